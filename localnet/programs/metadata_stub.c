/* Stand-in for the Metaplex Token Metadata program (metaqbxx...), which LiteSVM does not ship:
 * only CreateMetadataAccountV3 (discriminant 33), writing a Metadata account in Metaplex's
 * layout at its real PDA ["metadata", program, mint]. Anything else fails. A PDA of this
 * program can only be created by this program, so pump.c cannot write it itself. */
#include "sbf.h"

#define CREATE_METADATA_ACCOUNT_V3 33
#define METADATA_SPACE 679
#define MAX_NAME 32
#define MAX_SYMBOL 10
#define MAX_URI 200
#define KEY_METADATA_V1 4
#define TOKEN_STANDARD_FUNGIBLE 2
#define ERR_INVALID_INSTRUCTION 1
#define ERR_NAME_TOO_LONG 11
#define ERR_SYMBOL_TOO_LONG 12
#define ERR_URI_TOO_LONG 13
#define ERR_BAD_ACCOUNTS 35

enum { M_METADATA, M_MINT, M_MINT_AUTHORITY, M_PAYER, M_UPDATE_AUTHORITY, M_SYSTEM, M_ACCOUNTS };

/* Borsh string padded with zero bytes to its maximum, as Metaplex stores it */
static void put_padded(Writer *w, const u8 *s, u32 n, u32 max) {
    put_u32(w, max); put_bytes(w, s, n); put_zeros(w, max - n);
}

u64 entrypoint(u8 *input) {
    SolParams *p = heap_alloc(sizeof(SolParams));
    if (!p || !sol_deserialize(input, p)) return ERR_NOT_ENOUGH_ACCOUNT_KEYS;
    if (p->data_len < 1 || p->data[0] != CREATE_METADATA_ACCOUNT_V3) return ERR_INVALID_INSTRUCTION;
    if (p->ka_num < M_ACCOUNTS) return ERR_NOT_ENOUGH_ACCOUNT_KEYS;
    LOG("IX: Create Metadata Accounts v3");
    Reader r = {p->data, p->data_len, 1, false};
    u32 name_len, symbol_len, uri_len;
    const u8 *name = get_str(&r, &name_len), *symbol = get_str(&r, &symbol_len), *uri = get_str(&r, &uri_len);
    r.pos += 2;                              /* seller_fee_basis_points */
    if (r.bad || r.pos > r.len) return ERR_INVALID_INSTRUCTION;
    if (name_len > MAX_NAME) return ERR_NAME_TOO_LONG;
    if (symbol_len > MAX_SYMBOL) return ERR_SYMBOL_TOO_LONG;
    if (uri_len > MAX_URI) return ERR_URI_TOO_LONG;

    const SolAccountInfo *a = p->ka;
    if (!a[M_MINT_AUTHORITY].is_signer || !a[M_PAYER].is_signer) return ERR_MISSING_REQUIRED_SIGNATURE;
    u8 bump;
    SolSignerSeed seeds[4] = {{(const u8 *)"metadata", 8}, {p->program_id->x, 32}, {a[M_MINT].key->x, 32}, {&bump, 1}};
    SolPubkey derived;
    if (!find_pda(seeds, 3, p->program_id, &derived, &bump) || !key_eq(&derived, a[M_METADATA].key)) return ERR_BAD_ACCOUNTS;
    SolSignerSeeds signer = {seeds, 4};
    NewAccount metadata = {a[M_PAYER].key, a[M_METADATA].key, p->program_id, METADATA_SPACE};
    u64 err = system_create_account(p, &metadata, &signer);
    if (err) return err;

    Writer w = {a[M_METADATA].data, 0, METADATA_SPACE, false};
    put_u8(&w, KEY_METADATA_V1);
    put_key(&w, a[M_UPDATE_AUTHORITY].key);
    put_key(&w, a[M_MINT].key);
    put_padded(&w, name, name_len, MAX_NAME);
    put_padded(&w, symbol, symbol_len, MAX_SYMBOL);
    put_padded(&w, uri, uri_len, MAX_URI);
    put_u8(&w, 0); put_u8(&w, 0);            /* seller_fee_basis_points */
    put_u8(&w, 0);                           /* creators: None */
    put_u8(&w, 0);                           /* primary_sale_happened */
    put_u8(&w, 0);                           /* is_mutable: pump.fun coins are immutable */
    put_u8(&w, 1); put_u8(&w, bump);         /* edition_nonce: Some(bump) */
    put_u8(&w, 1); put_u8(&w, TOKEN_STANDARD_FUNGIBLE);
    return w.overflow ? ERR_INVALID_INSTRUCTION : 0;
}
