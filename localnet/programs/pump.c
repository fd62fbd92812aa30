/* A pump.fun-compatible bonding-curve program (legacy create / buy / sell, migrate), written from
 * shared/PROTOCOL_FACTS.md and the public IDL. Exact integer curve math and fees; events
 * as Anchor `Program data:` logs. Build: python -m localnet.programs.build */
#include "sbf.h"
#include "pump_ids.h"
#include "pump_layout.h"

static const char *error_name(u64 code) {
    if (code == ERR_NOT_AUTHORIZED) return "NotAuthorized";
    if (code == ERR_TOO_MUCH_SOL_REQUIRED) return "TooMuchSolRequired";
    if (code == ERR_TOO_LITTLE_SOL_RECEIVED) return "TooLittleSolReceived";
    if (code == ERR_BONDING_CURVE_COMPLETE) return "BondingCurveComplete";
    if (code == ERR_BONDING_CURVE_NOT_COMPLETE) return "BondingCurveNotComplete";
    if (code == ERR_NOT_INITIALIZED) return "NotInitialized";
    if (code == ERR_BUY_ZERO_AMOUNT) return "BuyZeroAmount";
    if (code == ERR_SELL_ZERO_AMOUNT) return "SellZeroAmount";
    if (code == ERR_ARITHMETIC_OVERFLOW) return "Overflow";
    if (code == ERR_CREATOR_SHOULD_NOT_BE_ZERO) return "CreatorShouldNotBeZero";
    if (code == ERR_NAME_TOO_LONG) return "NameTooLong";
    if (code == ERR_SYMBOL_TOO_LONG) return "SymbolTooLong";
    if (code == ERR_URI_TOO_LONG) return "UriTooLong";
    if (code == ERR_CONSTRAINT_MUT) return "ConstraintMut";
    if (code == ERR_CONSTRAINT_HAS_ONE) return "ConstraintHasOne";
    if (code == ERR_CONSTRAINT_SEEDS) return "ConstraintSeeds";
    if (code == ERR_CONSTRAINT_ADDRESS) return "ConstraintAddress";
    if (code == ERR_ACCOUNT_DISCRIMINATOR_MISMATCH) return "AccountDiscriminatorMismatch";
    if (code == ERR_ACCOUNT_NOT_ENOUGH_KEYS) return "AccountNotEnoughKeys";
    if (code == ERR_ACCOUNT_OWNED_BY_WRONG_PROGRAM) return "AccountOwnedByWrongProgram";
    if (code == ERR_ACCOUNT_NOT_SIGNER) return "AccountNotSigner";
    if (code == ERR_INSTRUCTION_FALLBACK_NOT_FOUND) return "InstructionFallbackNotFound";
    return "InstructionDidNotDeserialize";
}

/* Logs like Anchor ("AnchorError occurred. Error Code: X. Error Number: N.") and returns Custom(N). */
static u64 fail(u64 code) {
    u8 buf[128];
    Writer w = {buf, 0, sizeof(buf), false};
    const char *prefix = "AnchorError occurred. Error Code: ", *number = ". Error Number: ", *name = error_name(code);
    put_bytes(&w, prefix, 34);
    u64 n = 0;
    while (name[n]) n++;
    put_bytes(&w, name, n);
    put_bytes(&w, number, 16);
    u8 digits[20];
    int d = 0;
    for (u64 v = code; d == 0 || v; v /= 10) digits[d++] = (u8)('0' + v % 10);
    while (d) put_u8(&w, digits[--d]);
    put_u8(&w, '.');
    sol_log_((const char *)buf, w.len);
    return code;
}

/* ---------- account checks ---------- */
static u64 check_signer(const SolAccountInfo *a) { return a->is_signer ? 0 : fail(ERR_ACCOUNT_NOT_SIGNER); }
static u64 check_writable(const SolAccountInfo *a) { return a->is_writable ? 0 : fail(ERR_CONSTRAINT_MUT); }
static u64 check_address(const SolAccountInfo *a, const SolPubkey *expected) {
    return key_eq(a->key, expected) ? 0 : fail(ERR_CONSTRAINT_ADDRESS);
}

/* The Global account: at its PDA, owned by this program, with the Global discriminator. */
static u64 check_global(const SolParams *p, const SolAccountInfo *g) {
    if (!key_eq(g->key, &GLOBAL_PDA)) return fail(ERR_CONSTRAINT_SEEDS);
    if (!key_eq(g->owner, p->program_id)) return fail(ERR_ACCOUNT_OWNED_BY_WRONG_PROGRAM);
    if (g->data_len < GLOBAL_MIN_LEN || !bytes_eq(g->data, ACCOUNT_GLOBAL, 8)) return fail(ERR_ACCOUNT_DISCRIMINATOR_MISMATCH);
    if (!g->data[GLOBAL_INITIALIZED]) return fail(ERR_NOT_INITIALIZED);
    return 0;
}

/* The fee recipient must be Global.fee_recipient or one of Global.fee_recipients[7]. */
static u64 check_fee_recipient(const SolAccountInfo *g, const SolAccountInfo *fee_recipient) {
    if (key_eq(fee_recipient->key, (const SolPubkey *)(g->data + GLOBAL_FEE_RECIPIENT))) return 0;
    for (int i = 0; i < 7; i++)
        if (key_eq(fee_recipient->key, (const SolPubkey *)(g->data + GLOBAL_FEE_RECIPIENTS + 32 * i))) return 0;
    return fail(ERR_NOT_AUTHORIZED);
}

/* account must be the PDA of seeds; the bump is returned for signing */
static u64 check_pda(const SolAccountInfo *a, const SolSignerSeed *seeds, int n, const SolPubkey *program, u8 *bump) {
    SolPubkey derived;
    if (!find_pda(seeds, n, program, &derived, bump) || !key_eq(&derived, a->key)) return fail(ERR_CONSTRAINT_SEEDS);
    return 0;
}

static u64 check_curve_pda(const SolAccountInfo *curve, const SolAccountInfo *mint, const SolPubkey *program, u8 *bump) {
    SolSignerSeed seeds[2] = {{(const u8 *)"bonding-curve", 13}, {mint->key->x, 32}};
    return check_pda(curve, seeds, 2, program, bump);
}

static u64 check_ata(const SolAccountInfo *ata, const SolPubkey *owner, const SolAccountInfo *token_program, const SolAccountInfo *mint) {
    SolSignerSeed seeds[3] = {{owner->x, 32}, {token_program->key->x, 32}, {mint->key->x, 32}};
    u8 bump;
    return check_pda(ata, seeds, 3, &ATA_PROGRAM_ID, &bump);
}

static u64 check_creator_vault(const SolAccountInfo *vault, const SolPubkey *creator, const SolPubkey *program) {
    SolSignerSeed seeds[2] = {{(const u8 *)"creator-vault", 13}, {creator->x, 32}};
    u8 bump;
    return check_pda(vault, seeds, 2, program, &bump);
}

/* A live curve of this program for this mint. */
static u64 load_curve(const SolParams *p, const SolAccountInfo *curve, Curve *c) {
    if (!key_eq(curve->owner, p->program_id)) return fail(ERR_ACCOUNT_OWNED_BY_WRONG_PROGRAM);
    if (curve->data_len < CURVE_MIN_LEN || !bytes_eq(curve->data, ACCOUNT_BONDING_CURVE, 8)) return fail(ERR_ACCOUNT_DISCRIMINATOR_MISMATCH);
    curve_read(curve->data, c);
    if (c->complete) return fail(ERR_BONDING_CURVE_COMPLETE);
    return 0;
}

/* ceil(amount * bps / 10000) */
static bool fee_of(u64 amount, u64 bps, u64 *fee) { return mul_div(amount, bps, 10000, true, fee); }

/* ---------- create ---------- */
#include "pump_create.h"

/* ---------- buy ---------- */
enum { B_GLOBAL, B_FEE_RECIPIENT, B_MINT, B_CURVE, B_CURVE_ATA, B_USER_ATA, B_USER, B_SYSTEM, B_TOKEN_PROGRAM,
       B_CREATOR_VAULT, B_EVENT_AUTHORITY, B_PROGRAM, B_MIN_ACCOUNTS = 12 };

NOINLINE u64 buy(const SolParams *p, Reader *args) {
    if (p->ka_num < B_MIN_ACCOUNTS) return fail(ERR_ACCOUNT_NOT_ENOUGH_KEYS);
    u64 amount = get_u64(args), max_sol_cost = get_u64(args);
    if (args->bad) return fail(ERR_INSTRUCTION_DID_NOT_DESERIALIZE);
    bool track_volume = args->pos < args->len ? get_u8(args) != 0 : false;   /* OptionBool is optional */
    if (amount == 0) return fail(ERR_BUY_ZERO_AMOUNT);
    const SolAccountInfo *a = p->ka, *mint = &a[B_MINT], *curve = &a[B_CURVE], *user = &a[B_USER];
    u64 r;
    u8 curve_bump;
    if ((r = check_global(p, &a[B_GLOBAL]))) return r;
    if ((r = check_writable(&a[B_FEE_RECIPIENT])) || (r = check_fee_recipient(&a[B_GLOBAL], &a[B_FEE_RECIPIENT]))) return r;
    if ((r = check_writable(curve)) || (r = check_curve_pda(curve, mint, p->program_id, &curve_bump))) return r;
    if ((r = check_writable(&a[B_CURVE_ATA])) || (r = check_ata(&a[B_CURVE_ATA], curve->key, &a[B_TOKEN_PROGRAM], mint))) return r;
    if ((r = check_writable(&a[B_USER_ATA])) || (r = check_writable(user)) || (r = check_signer(user))) return r;
    if ((r = check_address(&a[B_TOKEN_PROGRAM], &TOKEN_PROGRAM_ID)) || (r = check_address(&a[B_EVENT_AUTHORITY], &EVENT_AUTHORITY_PDA))) return r;
    if ((r = check_address(&a[B_PROGRAM], p->program_id)) || (r = check_address(&a[B_SYSTEM], &SYSTEM_PROGRAM_ID))) return r;
    Curve c;
    if ((r = load_curve(p, curve, &c))) return r;
    const SolPubkey *creator = (const SolPubkey *)(curve->data + CURVE_CREATOR);
    if ((r = check_writable(&a[B_CREATOR_VAULT])) || (r = check_creator_vault(&a[B_CREATOR_VAULT], creator, p->program_id))) return r;

    /* the real program sells at most what is left on the curve */
    u64 tokens = amount < c.real_token ? amount : c.real_token;
    if (tokens == 0 || tokens >= c.virtual_token) return fail(ERR_BONDING_CURVE_COMPLETE);
    u64 sol_cost, fee, creator_fee = 0;
    const u8 *g = a[B_GLOBAL].data;
    u64 fee_bps = rd64(g + GLOBAL_FEE_BPS), creator_fee_bps = rd64(g + GLOBAL_CREATOR_FEE_BPS);
    if (!mul_div(c.virtual_sol, tokens, c.virtual_token - tokens, false, &sol_cost)) return fail(ERR_ARITHMETIC_OVERFLOW);
    sol_cost += 1;
    if (!fee_of(sol_cost, fee_bps, &fee)) return fail(ERR_ARITHMETIC_OVERFLOW);
    if (!key_is_zero(creator) && !fee_of(sol_cost, creator_fee_bps, &creator_fee)) return fail(ERR_ARITHMETIC_OVERFLOW);
    if (sol_cost + fee + creator_fee > max_sol_cost) return fail(ERR_TOO_MUCH_SOL_REQUIRED);

    if ((r = system_transfer(p, user->key, curve->key, sol_cost))) return r;
    if ((r = system_transfer(p, user->key, a[B_FEE_RECIPIENT].key, fee))) return r;
    /* an empty vault must end rent-exempt: the buyer tops it up (as buy_v2 documents) */
    u64 vault_topup = 0, vault_lamports = *a[B_CREATOR_VAULT].lamports, vault_min = rent_exempt_minimum(0);
    if (creator_fee && vault_lamports + creator_fee < vault_min) vault_topup = vault_min - vault_lamports - creator_fee;
    if ((r = system_transfer(p, user->key, a[B_CREATOR_VAULT].key, creator_fee + vault_topup))) return r;

    SolSignerSeed seeds[3] = {{(const u8 *)"bonding-curve", 13}, {mint->key->x, 32}, {&curve_bump, 1}};
    SolSignerSeeds signer = {seeds, 3};
    u8 data[9];
    data[0] = 3; wr64(data + 1, tokens);   /* SPL Token Transfer */
    SolAccountMeta metas[3] = {{a[B_CURVE_ATA].key, true, false}, {a[B_USER_ATA].key, true, false}, {curve->key, false, true}};
    Call transfer = {&TOKEN_PROGRAM_ID, metas, 3, data, 9};
    if ((r = invoke_call(p, &transfer, &signer))) return r;

    c.virtual_sol += sol_cost; c.real_sol += sol_cost;
    c.virtual_token -= tokens; c.real_token -= tokens;
    if (c.real_token == 0) c.complete = true;
    curve_write(curve->data, &c);
    i64 now = clock_unix_timestamp();
    Trade t = {mint->key, user->key, a[B_FEE_RECIPIENT].key, creator, sol_cost, tokens, fee_bps, fee,
               creator_fee_bps, creator_fee, true, track_volume, &c};
    emit_trade(p, &t, now);
    if (c.complete) emit_complete(p, user->key, mint->key, curve->key, now);
    return 0;
}

/* ---------- sell ---------- */
enum { S_GLOBAL, S_FEE_RECIPIENT, S_MINT, S_CURVE, S_CURVE_ATA, S_USER_ATA, S_USER, S_SYSTEM, S_CREATOR_VAULT,
       S_TOKEN_PROGRAM, S_EVENT_AUTHORITY, S_PROGRAM, S_MIN_ACCOUNTS = 12 };

NOINLINE u64 sell(const SolParams *p, Reader *args) {
    if (p->ka_num < S_MIN_ACCOUNTS) return fail(ERR_ACCOUNT_NOT_ENOUGH_KEYS);
    u64 tokens = get_u64(args), min_sol_output = get_u64(args);
    if (args->bad) return fail(ERR_INSTRUCTION_DID_NOT_DESERIALIZE);
    if (tokens == 0) return fail(ERR_SELL_ZERO_AMOUNT);
    const SolAccountInfo *a = p->ka, *mint = &a[S_MINT], *curve = &a[S_CURVE], *user = &a[S_USER];
    u64 r;
    u8 curve_bump;
    if ((r = check_global(p, &a[S_GLOBAL]))) return r;
    if ((r = check_writable(&a[S_FEE_RECIPIENT])) || (r = check_fee_recipient(&a[S_GLOBAL], &a[S_FEE_RECIPIENT]))) return r;
    if ((r = check_writable(curve)) || (r = check_curve_pda(curve, mint, p->program_id, &curve_bump))) return r;
    if ((r = check_writable(&a[S_CURVE_ATA])) || (r = check_ata(&a[S_CURVE_ATA], curve->key, &a[S_TOKEN_PROGRAM], mint))) return r;
    if ((r = check_writable(&a[S_USER_ATA])) || (r = check_writable(user)) || (r = check_signer(user))) return r;
    if ((r = check_address(&a[S_TOKEN_PROGRAM], &TOKEN_PROGRAM_ID)) || (r = check_address(&a[S_EVENT_AUTHORITY], &EVENT_AUTHORITY_PDA))) return r;
    if ((r = check_address(&a[S_PROGRAM], p->program_id)) || (r = check_address(&a[S_SYSTEM], &SYSTEM_PROGRAM_ID))) return r;
    Curve c;
    if ((r = load_curve(p, curve, &c))) return r;
    const SolPubkey *creator = (const SolPubkey *)(curve->data + CURVE_CREATOR);
    if ((r = check_writable(&a[S_CREATOR_VAULT])) || (r = check_creator_vault(&a[S_CREATOR_VAULT], creator, p->program_id))) return r;

    const u8 *g = a[S_GLOBAL].data;
    u64 fee_bps = rd64(g + GLOBAL_FEE_BPS), creator_fee_bps = rd64(g + GLOBAL_CREATOR_FEE_BPS);
    u64 sol_out, fee, creator_fee = 0;
    if (c.virtual_token + tokens < tokens) return fail(ERR_ARITHMETIC_OVERFLOW);
    if (!mul_div(c.virtual_sol, tokens, c.virtual_token + tokens, false, &sol_out)) return fail(ERR_ARITHMETIC_OVERFLOW);
    if (sol_out > c.real_sol) return fail(ERR_ARITHMETIC_OVERFLOW);
    if (!fee_of(sol_out, fee_bps, &fee)) return fail(ERR_ARITHMETIC_OVERFLOW);
    if (!key_is_zero(creator) && !fee_of(sol_out, creator_fee_bps, &creator_fee)) return fail(ERR_ARITHMETIC_OVERFLOW);
    if (fee + creator_fee > sol_out) return fail(ERR_TOO_LITTLE_SOL_RECEIVED);
    u64 net = sol_out - fee - creator_fee;
    if (net < min_sol_output) return fail(ERR_TOO_LITTLE_SOL_RECEIVED);
    /* every buy leaves the vault rent-exempt, so this only guards a vault emptied by other means */
    if (creator_fee && *a[S_CREATOR_VAULT].lamports + creator_fee < rent_exempt_minimum(0)) return fail(ERR_NOT_AUTHORIZED);

    u8 data[9];
    data[0] = 3; wr64(data + 1, tokens);   /* SPL Token Transfer, signed by the seller */
    SolAccountMeta metas[3] = {{a[S_USER_ATA].key, true, false}, {a[S_CURVE_ATA].key, true, false}, {user->key, false, true}};
    Call transfer = {&TOKEN_PROGRAM_ID, metas, 3, data, 9};
    if ((r = invoke_call(p, &transfer, NULL))) return r;

    /* the curve is ours: move its lamports directly */
    *curve->lamports -= sol_out;
    *user->lamports += net;
    *a[S_FEE_RECIPIENT].lamports += fee;
    *a[S_CREATOR_VAULT].lamports += creator_fee;

    c.virtual_sol -= sol_out; c.real_sol -= sol_out;
    c.virtual_token += tokens; c.real_token += tokens;
    curve_write(curve->data, &c);
    Trade t = {mint->key, user->key, a[S_FEE_RECIPIENT].key, creator, sol_out, tokens, fee_bps, fee,
               creator_fee_bps, creator_fee, false, false, &c};
    emit_trade(p, &t, clock_unix_timestamp());
    return 0;
}

/* ---------- migrate ---------- */
#include "pump_migrate.h"

u64 entrypoint(u8 *input) {
    SolParams *p = heap_alloc(sizeof(SolParams));
    if (!p || !sol_deserialize(input, p)) return ERR_NOT_ENOUGH_ACCOUNT_KEYS;
    if (p->data_len < 8) return fail(ERR_INSTRUCTION_FALLBACK_NOT_FOUND);
    Reader args = {p->data, p->data_len, 8, false};
    if (bytes_eq(p->data, EVENT_IX_TAG, 8)) {   /* our own emitted event: only the event authority may */
        bool ok = p->ka_num >= 1 && p->ka[0].is_signer && key_eq(p->ka[0].key, &EVENT_AUTHORITY_PDA);
        return ok ? 0 : fail(ERR_NOT_AUTHORIZED);
    }
    if (bytes_eq(p->data, IX_BUY, 8)) { LOG("Instruction: Buy"); return buy(p, &args); }
    if (bytes_eq(p->data, IX_SELL, 8)) { LOG("Instruction: Sell"); return sell(p, &args); }
    if (bytes_eq(p->data, IX_CREATE, 8)) { LOG("Instruction: Create"); return create(p, &args); }
    if (bytes_eq(p->data, IX_MIGRATE, 8)) { LOG("Instruction: Migrate"); return migrate(p); }
    return fail(ERR_INSTRUCTION_FALLBACK_NOT_FOUND);
}
