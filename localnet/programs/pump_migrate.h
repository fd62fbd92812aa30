/* pump.fun `migrate` (idl/pump.json, 24 accounts, no args): anyone may graduate a complete curve.
 * The curve's tokens go to the pool authority's token account, its real SOL less
 * Global.pool_migration_fee to the pool authority's WSOL account (the fee to Global.withdraw_authority),
 * then a CPI signed by the pool-authority PDA seeds the coin's canonical PumpSwap pool.
 * SPL Token and Token-2022 (create_v2) coins, SOL-paired only.
 * Differences from mainnet: `user` must be writable (it pays the rent of the pool and its token
 * accounts); no LP mint is created, so lp_mint and user_pool_token_account are passed but unused. */
#pragma once
#include "pump_amm_ids.h"

enum { MG_GLOBAL, MG_WITHDRAW_AUTHORITY, MG_MINT, MG_CURVE, MG_CURVE_ATA, MG_USER, MG_SYSTEM, MG_TOKEN_PROGRAM,
       MG_PUMP_AMM, MG_POOL, MG_POOL_AUTHORITY, MG_AUTHORITY_BASE, MG_AUTHORITY_QUOTE, MG_AMM_CONFIG, MG_WSOL_MINT,
       MG_LP_MINT, MG_USER_POOL_TOKEN, MG_POOL_BASE, MG_POOL_QUOTE, MG_TOKEN_2022, MG_ATA_PROGRAM,
       MG_AMM_EVENT_AUTHORITY, MG_EVENT_AUTHORITY, MG_PROGRAM, MG_ACCOUNTS };

typedef struct { u8 curve_bump, authority_bump; } MigrateBumps;

/* The coin's token program: Token-2022 (passed as token_2022_program) for create_v2 coins, else SPL Token. */
static const SolAccountInfo *base_program_of(const SolParams *p) {
    const SolAccountInfo *a = p->ka;
    return key_eq(a[MG_MINT].owner, &TOKEN_2022_PROGRAM_ID) ? &a[MG_TOKEN_2022] : &a[MG_TOKEN_PROGRAM];
}

NOINLINE u64 check_migrate_accounts(const SolParams *p, MigrateBumps *bumps) {
    if (p->ka_num < MG_ACCOUNTS) return fail(ERR_ACCOUNT_NOT_ENOUGH_KEYS);
    const SolAccountInfo *a = p->ka, *mint = &a[MG_MINT], *authority = &a[MG_POOL_AUTHORITY];
    u64 r;
    if ((r = check_global(p, &a[MG_GLOBAL]))) return r;
    if (!a[MG_GLOBAL].data[GLOBAL_ENABLE_MIGRATE]) return fail(ERR_NOT_AUTHORIZED);
    if ((r = check_writable(&a[MG_WITHDRAW_AUTHORITY]))) return r;
    if (!key_eq(a[MG_WITHDRAW_AUTHORITY].key, (const SolPubkey *)(a[MG_GLOBAL].data + GLOBAL_WITHDRAW_AUTHORITY)))
        return fail(ERR_CONSTRAINT_HAS_ONE);
    if ((r = check_writable(&a[MG_CURVE])) || (r = check_curve_pda(&a[MG_CURVE], mint, p->program_id, &bumps->curve_bump))) return r;
    if ((r = check_address(&a[MG_TOKEN_PROGRAM], &TOKEN_PROGRAM_ID)) || (r = check_address(&a[MG_SYSTEM], &SYSTEM_PROGRAM_ID))) return r;
    if ((r = check_address(&a[MG_TOKEN_2022], &TOKEN_2022_PROGRAM_ID))) return r;
    const SolAccountInfo *base_program = base_program_of(p);
    if (!key_eq(mint->owner, base_program->key)) return fail(ERR_ACCOUNT_OWNED_BY_WRONG_PROGRAM);
    if ((r = check_writable(&a[MG_CURVE_ATA])) || (r = check_ata(&a[MG_CURVE_ATA], a[MG_CURVE].key, base_program, mint))) return r;
    if ((r = check_signer(&a[MG_USER])) || (r = check_writable(&a[MG_USER]))) return r;
    if ((r = check_address(&a[MG_PUMP_AMM], &PUMP_AMM_PROGRAM_ID)) || (r = check_address(&a[MG_AMM_CONFIG], &PUMP_AMM_GLOBAL_CONFIG))) return r;
    if ((r = check_address(&a[MG_WSOL_MINT], &WSOL_MINT)) || (r = check_address(&a[MG_ATA_PROGRAM], &ATA_PROGRAM_ID))) return r;
    if ((r = check_address(&a[MG_AMM_EVENT_AUTHORITY], &PUMP_AMM_EVENT_AUTHORITY))) return r;
    if ((r = check_address(&a[MG_EVENT_AUTHORITY], &EVENT_AUTHORITY_PDA)) || (r = check_address(&a[MG_PROGRAM], p->program_id))) return r;
    SolSignerSeed seeds[2] = {{(const u8 *)"pool-authority", 14}, {mint->key->x, 32}};
    if ((r = check_pda(authority, seeds, 2, p->program_id, &bumps->authority_bump))) return r;
    if ((r = check_writable(&a[MG_AUTHORITY_BASE])) || (r = check_ata(&a[MG_AUTHORITY_BASE], authority->key, base_program, mint))) return r;
    if ((r = check_writable(&a[MG_AUTHORITY_QUOTE])) || (r = check_ata(&a[MG_AUTHORITY_QUOTE], authority->key, &a[MG_TOKEN_PROGRAM], &a[MG_WSOL_MINT]))) return r;
    /* the pool and its vaults are checked by the pool program */
    return 0;
}

/* The accounts a migration moves reserves through, whichever list (migrate, migrate_v2) named them. */
typedef struct {
    const SolAccountInfo *user, *withdraw_authority, *mint, *quote_mint, *curve, *curve_base, *pool, *authority, *authority_base,
        *authority_quote, *pool_base, *pool_quote, *amm_config, *system, *quote_tp, *amm_event_authority, *pump_amm,
        *base_program;
    u8 authority_bump;
} Migrating;

/* The token accounts the migration fills: the pool authority's (staging) and the pool's vaults. */
NOINLINE u64 create_migration_token_accounts(const SolParams *p, const Migrating *g) {
    const SolPubkey *payer = g->user->key;
    u64 r;
    if ((r = create_ata(p, payer, g->authority->key, g->base_program, g->mint))) return r;
    if ((r = create_ata(p, payer, g->authority->key, g->quote_tp, g->quote_mint))) return r;
    if ((r = create_ata(p, payer, g->pool->key, g->base_program, g->mint))) return r;
    return create_ata(p, payer, g->pool->key, g->quote_tp, g->quote_mint);
}

/* PumpSwap `migrate(base_in, quote_in)`, signed by the pool authority: creates the canonical pool
   and moves the staged reserves into its vaults. */
NOINLINE u64 seed_pool(const SolParams *p, const Migrating *g, u64 base, u64 quote) {
    u8 data[24];
    copy_bytes(data, IX_MIGRATE, 8); wr64(data + 8, base); wr64(data + 16, quote);
    SolAccountMeta metas[16] = {
        {g->user->key, true, true}, {g->amm_config->key, false, false}, {g->pool->key, true, false},
        {g->authority->key, false, true}, {g->mint->key, false, false}, {g->quote_mint->key, false, false},
        {g->curve->key, false, false}, {g->authority_base->key, true, false}, {g->authority_quote->key, true, false},
        {g->pool_base->key, true, false}, {g->pool_quote->key, true, false}, {g->system->key, false, false},
        {g->quote_tp->key, false, false}, {g->amm_event_authority->key, false, false},
        {g->pump_amm->key, false, false}, {g->base_program->key, false, false}};
    u8 bump = g->authority_bump;
    SolSignerSeed seeds[3] = {{(const u8 *)"pool-authority", 14}, {g->mint->key->x, 32}, {&bump, 1}};
    SolSignerSeeds signer = {seeds, 3};
    Call c = {&PUMP_AMM_PROGRAM_ID, metas, 16, data, 24};
    return invoke_call(p, &c, &signer);
}

typedef struct { u64 base, quote, fee; bool lamports_moved; } Migration;

/* CompletePumpAmmMigrationEvent; when SOL moved off the curve directly, its self-CPI carries the
   changed accounts (see emit_listing). */
NOINLINE u64 emit_migration(const SolParams *p, const Migrating *g, const Migration *m) {
    u8 buf[16 + 32 * 2 + 8 * 3 + 32 + 8 + 32];
    Writer w = event_writer(buf, sizeof(buf), EVENT_COMPLETE_PUMP_AMM_MIGRATION);
    put_key(&w, g->user->key); put_key(&w, g->mint->key);
    put_u64(&w, m->base); put_u64(&w, m->quote); put_u64(&w, m->fee);
    put_key(&w, g->curve->key); put_u64(&w, (u64)clock_unix_timestamp()); put_key(&w, g->pool->key);
    SolAccountMeta moved[3] = {{g->curve->key, true, false}, {g->authority_quote->key, true, false},
                               {g->withdraw_authority->key, true, false}};
    return emit_listing(p, &w, moved, m->lamports_moved ? 3 : 0);
}

/* A complete SOL-paired curve's reserves to the pool authority: tokens by transfer, SOL less
   Global.pool_migration_fee directly (the curve is ours; the fee to the withdraw authority), the
   WSOL account then synced to its lamports. */
NOINLINE u64 stage_sol_reserves(const SolParams *p, const Migrating *g, Curve *c, Migration *m, u8 curve_bump) {
    u64 r;
    m->fee = rd64(p->ka[0].data + GLOBAL_POOL_MIGRATION_FEE);     /* Global is the first account of both lists */
    if (c->real_sol <= m->fee || *g->curve->lamports < c->real_sol) return fail(ERR_ARITHMETIC_OVERFLOW);
    m->quote = c->real_sol - m->fee;
    SolSignerSeed seeds[3] = {{(const u8 *)"bonding-curve", 13}, {g->mint->key->x, 32}, {&curve_bump, 1}};
    SolSignerSeeds curve_signer = {seeds, 3};
    TradeAccounts base = {0};               /* the coin's program and mint, for token_transfer */
    base.token_program = g->base_program; base.mint = g->mint;
    TokenMove move = {g->curve_base->key, g->authority_base->key, g->curve->key, m->base, &curve_signer};
    if ((r = token_transfer(p, &base, &move))) return r;
    *g->curve->lamports -= c->real_sol;
    *g->authority_quote->lamports += m->quote;
    *g->withdraw_authority->lamports += m->fee;
    m->lamports_moved = true;
    if ((r = emit_migration(p, g, m))) return r;
    u8 sync[1] = {17};                      /* SPL Token SyncNative */
    SolAccountMeta sync_metas[1] = {{g->authority_quote->key, true, false}};
    Call sync_call = {&TOKEN_PROGRAM_ID, sync_metas, 1, sync, 1};
    return invoke_call(p, &sync_call, NULL);
}

NOINLINE u64 migrate(const SolParams *p) {
    MigrateBumps bumps;
    u64 r;
    if ((r = check_migrate_accounts(p, &bumps))) return r;
    const SolAccountInfo *a = p->ka, *curve = &a[MG_CURVE];
    if (!key_eq(curve->owner, p->program_id)) return fail(ERR_ACCOUNT_OWNED_BY_WRONG_PROGRAM);
    if (curve->data_len < CURVE_MIN_LEN || !bytes_eq(curve->data, ACCOUNT_BONDING_CURVE, 8)) return fail(ERR_ACCOUNT_DISCRIMINATOR_MISMATCH);
    Curve c;
    curve_read(curve->data, &c);
    if (!c.complete) return fail(ERR_BONDING_CURVE_NOT_COMPLETE);
    if (curve->data_len >= CURVE_V2_SPACE && !key_is_zero((const SolPubkey *)(curve->data + CURVE_QUOTE_MINT)))
        return fail(ERR_UNSUPPORTED_QUOTE_MINT);   /* a token-paired curve migrates with migrate_v2 */
    if (c.real_sol == 0) { LOG("Bonding curve already migrated"); return 0; }   /* idempotent, as on mainnet */
    Migrating g = {&a[MG_USER], &a[MG_WITHDRAW_AUTHORITY], &a[MG_MINT], &a[MG_WSOL_MINT], curve, &a[MG_CURVE_ATA], &a[MG_POOL],
                   &a[MG_POOL_AUTHORITY], &a[MG_AUTHORITY_BASE], &a[MG_AUTHORITY_QUOTE], &a[MG_POOL_BASE],
                   &a[MG_POOL_QUOTE], &a[MG_AMM_CONFIG], &a[MG_SYSTEM], &a[MG_TOKEN_PROGRAM], &a[MG_AMM_EVENT_AUTHORITY],
                   &a[MG_PUMP_AMM], base_program_of(p), bumps.authority_bump};
    Migration m = {0};
    m.base = a[MG_CURVE_ATA].data_len >= 72 ? rd64(a[MG_CURVE_ATA].data + 64) : 0;
    if ((r = create_migration_token_accounts(p, &g))) return r;
    if ((r = stage_sol_reserves(p, &g, &c, &m, bumps.curve_bump))) return r;
    c.real_sol = 0; c.real_token = 0;
    curve_write(curve->data, &c);
    return seed_pool(p, &g, m.base, m.quote);
}
