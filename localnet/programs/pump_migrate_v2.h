/* pump.fun `migrate_v2` (idl/pump.json, 27 accounts, no args): a complete curve into its canonical
 * PumpSwap pool quoted in the curve's own quote mint: WSOL for a SOL-paired curve (as `migrate`),
 * the quote token (USDC) for a token-paired one. Differences from mainnet, as `migrate`: `user` must
 * be writable (it pays the rent of the pool and its token accounts), no LP mint. Assumed where the docs
 * are silent: a token-paired curve pays no Global.pool_migration_fee (a lamport amount; the curve
 * holds no SOL reserves), so its whole real quote reserves seed the pool. */
#pragma once

static const u8 IX_MIGRATE_V2[8] = {0xbb, 0xcb, 0x12, 0x1f, 0xce, 0xed, 0xfe, 0x29};

enum { M2_GLOBAL, M2_WITHDRAW_AUTHORITY, M2_BASE_MINT, M2_QUOTE_MINT, M2_CURVE, M2_CURVE_BASE, M2_CURVE_QUOTE, M2_USER,
       M2_SYSTEM, M2_PUMP_AMM, M2_POOL, M2_POOL_AUTHORITY, M2_AUTHORITY_BASE, M2_AUTHORITY_QUOTE, M2_AMM_CONFIG,
       M2_LP_MINT, M2_USER_POOL_TOKEN, M2_POOL_BASE, M2_POOL_QUOTE, M2_BASE_TP, M2_QUOTE_TP, M2_TOKEN_2022,
       M2_ATA_PROGRAM, M2_AMM_EVENT_AUTHORITY, M2_RENT, M2_EVENT_AUTHORITY, M2_PROGRAM, M2_ACCOUNTS };

static const SolPubkey RENT_SYSVAR_ID = {{6, 167, 213, 23, 25, 44, 92, 81, 33, 140, 201, 76, 61, 74, 241, 127, 88, 218, 238, 8, 155, 161, 253, 68, 227, 219, 217, 138, 0, 0, 0, 0}};

/* The list's fixed addresses and PDAs; the quote side as a trade checks it (check_quote). */
NOINLINE u64 check_migrate_v2_accounts(const SolParams *p, TradeAccounts *q, MigrateBumps *bumps) {
    if (p->ka_num < M2_ACCOUNTS) return fail(ERR_ACCOUNT_NOT_ENOUGH_KEYS);
    const SolAccountInfo *a = p->ka, *mint = &a[M2_BASE_MINT], *curve = &a[M2_CURVE], *authority = &a[M2_POOL_AUTHORITY];
    const SolAccountInfo *base_tp = &a[M2_BASE_TP], *quote_tp = &a[M2_QUOTE_TP], *quote_mint = &a[M2_QUOTE_MINT];
    u64 r;
    if ((r = check_global(p, &a[M2_GLOBAL]))) return r;
    if (!a[M2_GLOBAL].data[GLOBAL_ENABLE_MIGRATE]) return fail(ERR_NOT_AUTHORIZED);
    if ((r = check_writable(&a[M2_WITHDRAW_AUTHORITY]))) return r;
    if (!key_eq(a[M2_WITHDRAW_AUTHORITY].key, (const SolPubkey *)(a[M2_GLOBAL].data + GLOBAL_WITHDRAW_AUTHORITY)))
        return fail(ERR_CONSTRAINT_HAS_ONE);
    if ((r = check_writable(curve)) || (r = check_curve_pda(curve, mint, p->program_id, &bumps->curve_bump))) return r;
    if (!key_eq(curve->owner, p->program_id)) return fail(ERR_ACCOUNT_OWNED_BY_WRONG_PROGRAM);
    if (curve->data_len < CURVE_V2_SPACE || !bytes_eq(curve->data, ACCOUNT_BONDING_CURVE, 8)) return fail(ERR_ACCOUNT_DISCRIMINATOR_MISMATCH);
    q->curve = curve;
    if ((r = check_quote(q, quote_mint, quote_tp))) return r;
    if (!is_token_program(base_tp->key)) return fail(ERR_CONSTRAINT_ADDRESS);
    if (!key_eq(mint->owner, base_tp->key)) return fail(ERR_ACCOUNT_OWNED_BY_WRONG_PROGRAM);
    if ((r = check_address(&a[M2_SYSTEM], &SYSTEM_PROGRAM_ID)) || (r = check_address(&a[M2_TOKEN_2022], &TOKEN_2022_PROGRAM_ID))) return r;
    if ((r = check_address(&a[M2_ATA_PROGRAM], &ATA_PROGRAM_ID)) || (r = check_address(&a[M2_RENT], &RENT_SYSVAR_ID))) return r;
    if ((r = check_writable(&a[M2_CURVE_BASE])) || (r = check_ata(&a[M2_CURVE_BASE], curve->key, base_tp, mint))) return r;
    if ((r = check_writable(&a[M2_CURVE_QUOTE])) || (r = check_ata(&a[M2_CURVE_QUOTE], curve->key, quote_tp, quote_mint))) return r;
    if ((r = check_signer(&a[M2_USER])) || (r = check_writable(&a[M2_USER]))) return r;
    if ((r = check_address(&a[M2_PUMP_AMM], &PUMP_AMM_PROGRAM_ID)) || (r = check_address(&a[M2_AMM_CONFIG], &PUMP_AMM_GLOBAL_CONFIG))) return r;
    if ((r = check_address(&a[M2_AMM_EVENT_AUTHORITY], &PUMP_AMM_EVENT_AUTHORITY))) return r;
    if ((r = check_address(&a[M2_EVENT_AUTHORITY], &EVENT_AUTHORITY_PDA)) || (r = check_address(&a[M2_PROGRAM], p->program_id))) return r;
    SolSignerSeed seeds[2] = {{(const u8 *)"pool-authority", 14}, {mint->key->x, 32}};
    if ((r = check_pda(authority, seeds, 2, p->program_id, &bumps->authority_bump))) return r;
    if ((r = check_writable(&a[M2_AUTHORITY_BASE])) || (r = check_ata(&a[M2_AUTHORITY_BASE], authority->key, base_tp, mint))) return r;
    if ((r = check_writable(&a[M2_AUTHORITY_QUOTE])) || (r = check_ata(&a[M2_AUTHORITY_QUOTE], authority->key, quote_tp, quote_mint))) return r;
    return 0;                               /* the pool and its vaults are checked by the pool program */
}

/* A token-paired curve's reserves to the pool authority: both sides by transfer, the curve signing. */
NOINLINE u64 stage_token_reserves(const SolParams *p, const Migrating *g, TradeAccounts *q, Migration *m, u8 curve_bump) {
    u64 r;
    SolSignerSeed seeds[3] = {{(const u8 *)"bonding-curve", 13}, {g->mint->key->x, 32}, {&curve_bump, 1}};
    SolSignerSeeds curve_signer = {seeds, 3};
    TradeAccounts base = {0};
    base.token_program = g->base_program; base.mint = g->mint;
    TokenMove move = {g->curve_base->key, g->authority_base->key, g->curve->key, m->base, &curve_signer};
    if ((r = token_transfer(p, &base, &move))) return r;
    TokenMove quote = {p->ka[M2_CURVE_QUOTE].key, g->authority_quote->key, g->curve->key, m->quote, &curve_signer};
    if ((r = quote_transfer(p, q, &quote))) return r;
    return emit_migration(p, g, m);
}

NOINLINE u64 migrate_v2(const SolParams *p) {
    MigrateBumps bumps;
    TradeAccounts q = {0};
    u64 r;
    if ((r = check_migrate_v2_accounts(p, &q, &bumps))) return r;
    const SolAccountInfo *a = p->ka, *curve = &a[M2_CURVE];
    Curve c;
    curve_read(curve->data, &c);
    if (!c.complete) return fail(ERR_BONDING_CURVE_NOT_COMPLETE);
    if (c.real_sol == 0) { LOG("Bonding curve already migrated"); return 0; }
    Migrating g = {&a[M2_USER], &a[M2_WITHDRAW_AUTHORITY], &a[M2_BASE_MINT], &a[M2_QUOTE_MINT], curve, &a[M2_CURVE_BASE],
                   &a[M2_POOL], &a[M2_POOL_AUTHORITY], &a[M2_AUTHORITY_BASE], &a[M2_AUTHORITY_QUOTE], &a[M2_POOL_BASE],
                   &a[M2_POOL_QUOTE], &a[M2_AMM_CONFIG], &a[M2_SYSTEM], &a[M2_QUOTE_TP], &a[M2_AMM_EVENT_AUTHORITY],
                   &a[M2_PUMP_AMM], &a[M2_BASE_TP], bumps.authority_bump};
    Migration m = {0};
    m.base = a[M2_CURVE_BASE].data_len >= 72 ? rd64(a[M2_CURVE_BASE].data + 64) : 0;
    if ((r = create_migration_token_accounts(p, &g))) return r;
    if (q.token_quote) {
        m.quote = c.real_sol;
        r = stage_token_reserves(p, &g, &q, &m, bumps.curve_bump);
    } else {
        r = stage_sol_reserves(p, &g, &c, &m, bumps.curve_bump);
    }
    if (r) return r;
    c.real_sol = 0; c.real_token = 0;
    curve_write(curve->data, &c);
    return seed_pool(p, &g, m.base, m.quote);
}
