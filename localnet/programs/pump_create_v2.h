/* pump.fun `create_v2` (docs/instructions/COIN_CREATION.md, mainnet tx of 2026): a Token-2022 mint
 * with the MetadataPointer (to itself) and TokenMetadata extensions, 6 decimals, the whole supply
 * to the curve's ATA, mint authority revoked, metadata update authority removed, no freeze
 * authority; a 115-byte curve recording is_mayhem_mode / is_cashback_coin. SOL-paired only here:
 * the mayhem program's accounts are taken as passed (no mayhem program on the local chain). */
#pragma once
#include "pump_amm_ids.h"                 /* WSOL_MINT */

enum { V_MINT, V_MINT_AUTHORITY, V_CURVE, V_CURVE_ATA, V_GLOBAL, V_USER, V_SYSTEM, V_TOKEN_PROGRAM, V_ATA_PROGRAM,
       V_MAYHEM_PROGRAM, V_GLOBAL_PARAMS, V_SOL_VAULT, V_MAYHEM_STATE, V_MAYHEM_TOKEN_VAULT, V_EVENT_AUTHORITY,
       V_PROGRAM, V_ACCOUNTS, V_QUOTE_MINT = V_ACCOUNTS };

/* spl-token-metadata-interface discriminators: sha256("spl_token_metadata_interface:<name>")[:8] */
static const u8 TOKEN_METADATA_INITIALIZE[8] = {0xd2, 0xe1, 0x1e, 0xa2, 0x58, 0xb8, 0x4d, 0x8d};
static const u8 TOKEN_METADATA_UPDATE_AUTHORITY[8] = {0xd7, 0xe4, 0xa6, 0xe4, 0x54, 0x64, 0x56, 0x7b};

static u64 token_2022_call(const SolParams *p, const SolAccountMeta *metas, u64 n, const u8 *data, u64 len,
                           const SolSignerSeeds *signer) {
    Call c = {&TOKEN_2022_PROGRAM_ID, metas, n, data, len};
    return invoke_call(p, &c, signer);
}

/* mint account with the MetadataPointer extension, then InitializeMint2 */
NOINLINE u64 create_mint_2022(const SolParams *p) {
    const SolAccountInfo *a = p->ka;
    u64 r;
    NewAccount mint = {a[V_USER].key, a[V_MINT].key, &TOKEN_2022_PROGRAM_ID, MINT_2022_POINTER_SPACE};
    if ((r = system_create_account(p, &mint, NULL))) return r;
    SolAccountMeta mint_meta[1] = {{a[V_MINT].key, true, false}};
    u8 pointer[66];                         /* MetadataPointer Initialize: no authority, metadata = the mint */
    pointer[0] = 39; pointer[1] = 0;
    for (int i = 0; i < 32; i++) pointer[2 + i] = 0;
    copy_bytes(pointer + 34, a[V_MINT].key, 32);
    if ((r = token_2022_call(p, mint_meta, 1, pointer, 66, NULL))) return r;
    u8 init[35];                            /* InitializeMint2: decimals, authority, no freeze authority */
    init[0] = 20; init[1] = TOKEN_DECIMALS; copy_bytes(init + 2, &MINT_AUTHORITY_PDA, 32); init[34] = 0;
    return token_2022_call(p, mint_meta, 1, init, 35, NULL);
}

/* TokenMetadata in the mint: the payer funds the growth, then the update authority is dropped */
NOINLINE u64 write_token_metadata(const SolParams *p, const CreateArgs *args, const SolSignerSeeds *authority) {
    const SolAccountInfo *a = p->ka;
    u64 r;
    /* TLV header 4 + update authority 32 + mint 32 + three strings + empty additional_metadata vec */
    u64 size = 4 + 32 + 32 + 4 + args->name_len + 4 + args->symbol_len + 4 + args->uri_len + 4;
    if ((r = system_transfer(p, a[V_USER].key, a[V_MINT].key, size * 3480 * 2))) return r;
    u8 buf[300];
    Writer w = {buf, 0, sizeof(buf), false};
    put_bytes(&w, TOKEN_METADATA_INITIALIZE, 8);
    put_str(&w, args->name, args->name_len); put_str(&w, args->symbol, args->symbol_len); put_str(&w, args->uri, args->uri_len);
    if (w.overflow) return fail(ERR_INSTRUCTION_DID_NOT_DESERIALIZE);
    SolAccountMeta init_metas[4] = {{a[V_MINT].key, true, false}, {&MINT_AUTHORITY_PDA, false, false},
                                    {a[V_MINT].key, false, false}, {&MINT_AUTHORITY_PDA, false, true}};
    if ((r = token_2022_call(p, init_metas, 4, buf, w.len, authority))) return r;
    u8 update[40];
    copy_bytes(update, TOKEN_METADATA_UPDATE_AUTHORITY, 8);
    for (int i = 8; i < 40; i++) update[i] = 0;   /* new authority: none */
    SolAccountMeta update_metas[2] = {{a[V_MINT].key, true, false}, {&MINT_AUTHORITY_PDA, false, true}};
    return token_2022_call(p, update_metas, 2, update, 40, authority);
}

static u64 create_curve_ata_2022(const SolParams *p) {
    const SolAccountInfo *a = p->ka;
    u8 ata_create[1] = {0};                 /* ATA Create (not idempotent: the curve ATA must be new) */
    SolAccountMeta ata_metas[6] = {
        {a[V_USER].key, true, true}, {a[V_CURVE_ATA].key, true, false}, {a[V_CURVE].key, false, false},
        {a[V_MINT].key, false, false}, {&SYSTEM_PROGRAM_ID, false, false}, {&TOKEN_2022_PROGRAM_ID, false, false}};
    Call ata_call = {&ATA_PROGRAM_ID, ata_metas, 6, ata_create, 1};
    return invoke_call(p, &ata_call, NULL);
}

/* the whole supply to the curve's ATA, then the mint authority revoked */
NOINLINE u64 supply_curve_2022(const SolParams *p, const SolSignerSeeds *authority, u64 supply) {
    const SolAccountInfo *a = p->ka;
    u64 r;
    u8 mint_to[9];
    mint_to[0] = 7; wr64(mint_to + 1, supply);
    SolAccountMeta mint_to_metas[3] = {{a[V_MINT].key, true, false}, {a[V_CURVE_ATA].key, true, false}, {&MINT_AUTHORITY_PDA, false, true}};
    if ((r = token_2022_call(p, mint_to_metas, 3, mint_to, 9, authority))) return r;
    u8 revoke[3] = {6, 0, 0};               /* SetAuthority(MintTokens, None) */
    SolAccountMeta revoke_metas[2] = {{a[V_MINT].key, true, false}, {&MINT_AUTHORITY_PDA, false, true}};
    return token_2022_call(p, revoke_metas, 2, revoke, 3, authority);
}

/* a non-SOL quote must be Global's whitelisted quote mint, with its own token program; not for mayhem coins */
NOINLINE u64 check_quote_mint_for_create(const SolParams *p, bool mayhem) {
    const SolAccountInfo *a = p->ka, *quote = &a[V_QUOTE_MINT], *quote_tp = &a[V_QUOTE_MINT + 2];
    if (mayhem) return fail(ERR_MAYHEM_MODE_QUOTE_MINT_NOT_ALLOWED);
    if (!key_eq(quote->key, (const SolPubkey *)(a[V_GLOBAL].data + GLOBAL_WHITELISTED_QUOTE_MINTS))) return fail(ERR_QUOTE_MINT_NOT_WHITELISTED);
    if (!is_token_program(quote_tp->key) || !key_eq(quote->owner, quote_tp->key)) return fail(ERR_INVALID_QUOTE_TOKEN_PROGRAM);
    if (check_writable(&a[V_QUOTE_MINT + 1])) return ERR_CONSTRAINT_MUT;
    return check_ata(&a[V_QUOTE_MINT + 1], a[V_CURVE].key, quote_tp, quote);
}

NOINLINE u64 create_v2(const SolParams *p, Reader *reader) {
    if (p->ka_num < V_ACCOUNTS) return fail(ERR_ACCOUNT_NOT_ENOUGH_KEYS);
    CreateArgs args;
    args.name = get_str(reader, &args.name_len);
    args.symbol = get_str(reader, &args.symbol_len);
    args.uri = get_str(reader, &args.uri_len);
    args.creator = get_key(reader);
    args.is_mayhem_mode = get_u8(reader) != 0;
    if (reader->bad) return fail(ERR_INSTRUCTION_DID_NOT_DESERIALIZE);
    args.is_cashback_enabled = reader->pos < reader->len ? get_u8(reader) != 0 : false;   /* OptionBool */
    if (args.name_len > 32) return fail(ERR_NAME_TOO_LONG);
    if (args.symbol_len > 13) return fail(ERR_SYMBOL_TOO_LONG);
    if (args.uri_len > 200) return fail(ERR_URI_TOO_LONG);
    if (key_is_zero(args.creator)) return fail(ERR_CREATOR_SHOULD_NOT_BE_ZERO);
    const SolAccountInfo *a = p->ka, *mint = &a[V_MINT], *curve = &a[V_CURVE], *g = &a[V_GLOBAL];
    u64 r;
    u8 curve_bump, authority_bump;
    if ((r = check_global(p, g))) return r;
    if (g->data_len < GLOBAL_LEN || !g->data[GLOBAL_CREATE_V2_ENABLED]) return fail(ERR_NOT_AUTHORIZED);
    if (args.is_mayhem_mode && !g->data[GLOBAL_MAYHEM_MODE_ENABLED]) return fail(ERR_NOT_AUTHORIZED);
    if (!g->data[GLOBAL_IS_CASHBACK_ENABLED]) args.is_cashback_enabled = false;
    if ((r = check_signer(mint)) || (r = check_writable(mint))) return r;
    if ((r = check_signer(&a[V_USER])) || (r = check_writable(&a[V_USER]))) return r;
    SolSignerSeed authority_seeds[2] = {{(const u8 *)"mint-authority", 14}, {&authority_bump, 1}};
    if ((r = check_pda(&a[V_MINT_AUTHORITY], authority_seeds, 1, p->program_id, &authority_bump))) return r;
    if ((r = check_writable(curve)) || (r = check_curve_pda(curve, mint, p->program_id, &curve_bump))) return r;
    if ((r = check_address(&a[V_TOKEN_PROGRAM], &TOKEN_2022_PROGRAM_ID)) || (r = check_address(&a[V_ATA_PROGRAM], &ATA_PROGRAM_ID))) return r;
    if ((r = check_writable(&a[V_CURVE_ATA])) || (r = check_ata(&a[V_CURVE_ATA], curve->key, &a[V_TOKEN_PROGRAM], mint))) return r;
    if ((r = check_address(&a[V_EVENT_AUTHORITY], &EVENT_AUTHORITY_PDA)) || (r = check_address(&a[V_PROGRAM], p->program_id))) return r;
    if ((r = check_address(&a[V_SYSTEM], &SYSTEM_PROGRAM_ID))) return r;
    /* remaining accounts 17-19 (COIN_CREATION.md): quote mint, the curve's quote ATA, quote token program */
    const SolPubkey *quote = NULL;
    if (p->ka_num > V_QUOTE_MINT && !key_eq(a[V_QUOTE_MINT].key, &WSOL_MINT)) {
        if (p->ka_num < V_QUOTE_MINT + 3) return fail(ERR_ACCOUNT_NOT_ENOUGH_KEYS);
        if ((r = check_quote_mint_for_create(p, args.is_mayhem_mode))) return r;
        quote = a[V_QUOTE_MINT].key;
    }

    u64 supply = rd64(g->data + GLOBAL_TOKEN_TOTAL_SUPPLY);
    u64 virtual_quote = rd64(g->data + (quote ? GLOBAL_INITIAL_VIRTUAL_QUOTE : GLOBAL_INITIAL_VIRTUAL_SOL));
    Curve c = {rd64(g->data + GLOBAL_INITIAL_VIRTUAL_TOKEN), virtual_quote,
               rd64(g->data + GLOBAL_INITIAL_REAL_TOKEN), 0, supply, false};
    SolSignerSeeds authority_signer = {authority_seeds, 2};
    if ((r = create_mint_2022(p))) return r;
    SolSignerSeed curve_seeds[3] = {{(const u8 *)"bonding-curve", 13}, {mint->key->x, 32}, {&curve_bump, 1}};
    SolSignerSeeds curve_signer = {curve_seeds, 3};
    NewAccount curve_account = {a[V_USER].key, curve->key, p->program_id, CURVE_V2_SPACE};
    if ((r = system_create_account(p, &curve_account, &curve_signer))) return r;
    copy_bytes(curve->data, ACCOUNT_BONDING_CURVE, 8);
    curve_write(curve->data, &c);
    copy_bytes(curve->data + CURVE_CREATOR, args.creator, 32);
    curve->data[CURVE_IS_MAYHEM] = args.is_mayhem_mode;
    curve->data[CURVE_IS_CASHBACK] = args.is_cashback_enabled;
    if (quote) copy_bytes(curve->data + CURVE_QUOTE_MINT, quote, 32);
    if ((r = create_curve_ata_2022(p))) return r;
    if (quote && (r = create_ata(p, a[V_USER].key, curve->key, &a[V_QUOTE_MINT + 2], &a[V_QUOTE_MINT]))) return r;
    if ((r = write_token_metadata(p, &args, &authority_signer))) return r;
    if ((r = supply_curve_2022(p, &authority_signer, supply))) return r;
    CreatedCoin coin = {mint->key, curve->key, a[V_USER].key, &TOKEN_2022_PROGRAM_ID, quote};
    emit_create(p, &args, &coin, &c);
    return 0;
}
