/* pump.fun unified-list trades: buy_v2 / buy_exact_quote_in_v2 (27 accounts, docs/instructions/BUY.md),
 * sell_v2 (26, SELL.md) paying fees per trade; buy_v3 / buy_exact_quote_in_v3 / sell_v3 (17,
 * TRADE_V3.md) keeping the protocol and creator fee on the curve; sweep_protocol_fee / sweep_creator_fee
 * (13, SWEEP_FEES.md). SOL-paired coins (WSOL named as quote mint, native SOL moved) and coins paired
 * with a whitelisted quote token such as USDC (pump_quote.h). */
#pragma once

/* buy_v2 order; sell_v2 is the same without global_volume_accumulator (index 19) */
enum { Q_GLOBAL, Q_BASE_MINT, Q_QUOTE_MINT, Q_BASE_TP, Q_QUOTE_TP, Q_ATA_PROGRAM, Q_FEE_RECIPIENT, Q_FEE_RECIPIENT_ATA,
       Q_BUYBACK, Q_BUYBACK_ATA, Q_CURVE, Q_CURVE_BASE_ATA, Q_CURVE_QUOTE_ATA, Q_USER, Q_USER_BASE_ATA,
       Q_USER_QUOTE_ATA, Q_CREATOR_VAULT, Q_CREATOR_VAULT_ATA, Q_SHARING_CONFIG, Q_GLOBAL_VOLUME, Q_USER_VOLUME,
       Q_USER_VOLUME_ATA, Q_FEE_CONFIG, Q_FEE_PROGRAM, Q_SYSTEM, Q_EVENT_AUTHORITY, Q_PROGRAM, Q_BUY_ACCOUNTS };
/* v3: one list for the three trades */
enum { T_GLOBAL, T_BASE_MINT, T_QUOTE_MINT, T_BASE_TP, T_QUOTE_TP, T_CURVE, T_CURVE_BASE_ATA, T_CURVE_QUOTE_ATA,
       T_USER, T_USER_BASE_ATA, T_USER_QUOTE_ATA, T_USER_VOLUME, T_FEE_CONFIG, T_BUYBACK, T_SYSTEM,
       T_EVENT_AUTHORITY, T_PROGRAM, T_ACCOUNTS };

/* The quote side. A SOL-paired coin: the curve records the default key, the trade names WSOL and
   SPL Token, its quote ATAs are seed-checked and never touched. A token-paired coin: the quote mint
   the curve records, under the token program that owns it. */
static u64 check_quote(TradeAccounts *t, const SolAccountInfo *quote_mint, const SolAccountInfo *quote_tp) {
    const SolPubkey *recorded = (const SolPubkey *)(t->curve->data + CURVE_QUOTE_MINT);
    t->quote_mint = quote_mint; t->quote_tp = quote_tp;
    t->token_quote = !key_is_zero(recorded);
    if (!key_eq(quote_mint->key, t->token_quote ? recorded : &WSOL_MINT)) return fail(ERR_UNSUPPORTED_QUOTE_MINT);
    if (!t->token_quote) return key_eq(quote_tp->key, &TOKEN_PROGRAM_ID) ? 0 : fail(ERR_INVALID_QUOTE_TOKEN_PROGRAM);
    if (!is_token_program(quote_tp->key) || !key_eq(quote_mint->owner, quote_tp->key)) return fail(ERR_INVALID_QUOTE_TOKEN_PROGRAM);
    return 0;
}

/* what v2 and v3 check alike: global, curve, base mint and program, curve ATAs, the user's, system, event authority */
NOINLINE u64 check_unified_core(const SolParams *p, TradeAccounts *t, const SolAccountInfo *quote_mint,
                                const SolAccountInfo *quote_tp, const SolAccountInfo *curve_quote_ata) {
    u64 r;
    if ((r = check_global(p, t->global))) return r;
    if (t->global->data_len < GLOBAL_LEN) return fail(ERR_ACCOUNT_DISCRIMINATOR_MISMATCH);
    if ((r = check_writable(t->curve)) || (r = check_curve_pda(t->curve, t->mint, p->program_id, &t->curve_bump))) return r;
    if ((r = load_curve(p, t->curve, &t->c))) return r;
    if (t->curve->data_len < CURVE_V2_SPACE) return fail(ERR_ACCOUNT_DISCRIMINATOR_MISMATCH);   /* no pre-2025 curves here */
    t->mayhem = t->curve->data[CURVE_IS_MAYHEM] != 0;
    t->creator = (const SolPubkey *)(t->curve->data + CURVE_CREATOR);
    if ((r = check_quote(t, quote_mint, quote_tp))) return r;
    t->curve_quote_ata = curve_quote_ata;
    if (t->token_quote && (r = check_writable(curve_quote_ata))) return r;
    if (!is_token_program(t->token_program->key)) return fail(ERR_CONSTRAINT_ADDRESS);
    if (!key_eq(t->mint->owner, t->token_program->key)) return fail(ERR_ACCOUNT_OWNED_BY_WRONG_PROGRAM);
    if ((r = check_writable(t->curve_ata)) || (r = check_ata(t->curve_ata, t->curve->key, t->token_program, t->mint))) return r;
    if ((r = check_ata(curve_quote_ata, t->curve->key, quote_tp, quote_mint))) return r;
    if ((r = check_writable(t->user_ata)) || (r = check_writable(t->user)) || (r = check_signer(t->user))) return r;
    if ((r = check_ata(t->user_ata, t->user->key, t->token_program, t->mint))) return r;
    if ((r = check_address(t->event_authority, &EVENT_AUTHORITY_PDA)) || (r = check_address(t->program, p->program_id))) return r;
    if ((r = check_address(t->system, &SYSTEM_PROGRAM_ID)) || (r = check_address(t->fee_config, &FEE_CONFIG_PDA))) return r;
    if ((r = check_writable(t->buyback))) return r;
    FeeQuery q = {t->fee_config, t->global, t->mint, &t->c, t->token_quote};
    return fee_rates(&q, &t->rates);
}

/* The 27 (buy) or 26 (sell) accounts of BUY.md / SELL.md, checked. */
NOINLINE u64 load_v2_accounts(const SolParams *p, TradeAccounts *t, bool is_buy) {
    const SolAccountInfo *a = p->ka;
    u64 n = is_buy ? Q_BUY_ACCOUNTS : Q_BUY_ACCOUNTS - 1, r;
    if (p->ka_num < n) return fail(ERR_ACCOUNT_NOT_ENOUGH_KEYS);
    int shift = is_buy ? 0 : 1;             /* sell_v2 has no global_volume_accumulator */
    TradeAccounts x = {&a[Q_GLOBAL], &a[Q_FEE_RECIPIENT], &a[Q_BASE_MINT], &a[Q_CURVE], &a[Q_CURVE_BASE_ATA],
                       &a[Q_USER_BASE_ATA], &a[Q_USER], &a[Q_SYSTEM - shift], &a[Q_BASE_TP], &a[Q_CREATOR_VAULT],
                       &a[Q_EVENT_AUTHORITY - shift], &a[Q_PROGRAM - shift], &a[Q_FEE_CONFIG - shift],
                       &a[Q_FEE_PROGRAM - shift], NULL, &a[Q_BUYBACK]};
    *t = x;
    t->topup_vault = true;
    const SolAccountInfo *quote_mint = &a[Q_QUOTE_MINT], *quote_tp = &a[Q_QUOTE_TP];
    if ((r = check_unified_core(p, t, quote_mint, quote_tp, &a[Q_CURVE_QUOTE_ATA]))) return r;
    if ((r = check_address(&a[Q_ATA_PROGRAM], &ATA_PROGRAM_ID)) || (r = check_address(t->fee_program, &FEE_PROGRAM_ID))) return r;
    if ((r = check_writable(t->fee_recipient)) || (r = check_trade_fee_recipient(t))) return r;
    if (!key_in(t->buyback->key, t->global->data + GLOBAL_BUYBACK_FEE_RECIPIENTS, 8)) return fail(ERR_BUYBACK_FEE_RECIPIENT_NOT_AUTHORIZED);
    if ((r = check_ata(&a[Q_FEE_RECIPIENT_ATA], t->fee_recipient->key, quote_tp, quote_mint))) return r;
    if ((r = check_ata(&a[Q_BUYBACK_ATA], t->buyback->key, quote_tp, quote_mint))) return r;
    if ((r = check_ata(&a[Q_USER_QUOTE_ATA], t->user->key, quote_tp, quote_mint))) return r;
    t->user_quote_ata = &a[Q_USER_QUOTE_ATA]; t->fee_quote_ata = &a[Q_FEE_RECIPIENT_ATA];
    t->buyback_quote_ata = &a[Q_BUYBACK_ATA]; t->vault_quote_ata = &a[Q_CREATOR_VAULT_ATA];
    if ((r = check_writable(t->creator_vault)) || (r = check_creator_vault(t->creator_vault, t->creator, p->program_id))) return r;
    if ((r = check_ata(&a[Q_CREATOR_VAULT_ATA], t->creator_vault->key, quote_tp, quote_mint))) return r;
    SolSignerSeed sharing[2] = {{(const u8 *)"sharing-config", 14}, {t->mint->key->x, 32}};
    u8 bump;
    if ((r = check_pda(&a[Q_SHARING_CONFIG], sharing, 2, &FEE_PROGRAM_ID, &bump))) return r;
    if (is_buy && (r = check_address(&a[Q_GLOBAL_VOLUME], &GLOBAL_VOLUME_ACCUMULATOR_PDA))) return r;
    const SolAccountInfo *volume = &a[Q_USER_VOLUME - shift];
    if ((r = init_user_volume(p, t->user, volume)) || (r = use_cashback(p, t, volume))) return r;
    t->cashback_quote_ata = &a[Q_USER_VOLUME_ATA - shift];
    return check_ata(&a[Q_USER_VOLUME_ATA - shift], volume->key, quote_tp, quote_mint);
}

/* A v3 trade grows an older curve to hold the kept fees; the trader pays the rent difference. */
NOINLINE u64 grow_curve_for_v3(const SolParams *p, TradeAccounts *t) {
    if (t->curve->data_len >= CURVE_V3_SPACE) return 0;
    /* the curve's lamports hold its reserves too: the trader pays the rent difference, whatever the balance */
    u64 r, more_rent = rent_exempt_minimum(CURVE_V3_SPACE) - rent_exempt_minimum(t->curve->data_len);
    if ((r = system_transfer(p, t->user->key, t->curve->key, more_rent))) return r;
    SolAccountInfo *curve = (SolAccountInfo *)t->curve;
    for (u64 i = curve->data_len; i < CURVE_V3_SPACE; i++) curve->data[i] = 0;
    *(u64 *)(curve->data - 8) = CURVE_V3_SPACE;   /* the serialized length the runtime reads back */
    curve->data_len = CURVE_V3_SPACE;
    return 0;
}

/* The 17 accounts of TRADE_V3.md, checked; cashback coins are refused (CashbackCoinNotSupported). */
NOINLINE u64 load_v3_accounts(const SolParams *p, TradeAccounts *t) {
    const SolAccountInfo *a = p->ka;
    u64 r;
    if (p->ka_num < T_ACCOUNTS) return fail(ERR_ACCOUNT_NOT_ENOUGH_KEYS);
    TradeAccounts x = {&a[T_GLOBAL], NULL, &a[T_BASE_MINT], &a[T_CURVE], &a[T_CURVE_BASE_ATA], &a[T_USER_BASE_ATA],
                       &a[T_USER], &a[T_SYSTEM], &a[T_BASE_TP], NULL, &a[T_EVENT_AUTHORITY], &a[T_PROGRAM],
                       &a[T_FEE_CONFIG], NULL, NULL, &a[T_BUYBACK]};
    *t = x;
    t->keep_fees = true;
    if ((r = check_unified_core(p, t, &a[T_QUOTE_MINT], &a[T_QUOTE_TP], &a[T_CURVE_QUOTE_ATA]))) return r;
    if (t->curve->data[CURVE_IS_CASHBACK]) return fail(ERR_CASHBACK_COIN_NOT_SUPPORTED);
    /* SOL-paired: the buyback recipient is the wallet itself; token-paired: that wallet's quote token account */
    const SolPubkey *buyback_wallet = t->buyback->key;
    if (t->token_quote) {
        const SolAccountInfo *b = t->buyback;
        if (!key_eq(b->owner, t->quote_tp->key) || b->data_len < 72 || !key_eq((const SolPubkey *)b->data, t->quote_mint->key))
            return fail(ERR_BUYBACK_FEE_RECIPIENT_NOT_AUTHORIZED);
        buyback_wallet = (const SolPubkey *)(b->data + 32);
    }
    if (!key_in(buyback_wallet, t->global->data + GLOBAL_BUYBACK_FEE_RECIPIENTS, 8)) return fail(ERR_BUYBACK_FEE_RECIPIENT_NOT_AUTHORIZED);
    t->buyback_quote_ata = t->buyback;
    if ((r = check_ata(&a[T_USER_QUOTE_ATA], t->user->key, &a[T_QUOTE_TP], &a[T_QUOTE_MINT]))) return r;
    t->user_quote_ata = &a[T_USER_QUOTE_ATA];
    if ((r = init_user_volume(p, t->user, &a[T_USER_VOLUME]))) return r;
    return grow_curve_for_v3(p, t);
}

typedef enum { BUY_TOKENS, BUY_EXACT_QUOTE_IN, SELL_TOKENS } TradeKind;

NOINLINE u64 unified_trade(const SolParams *p, Reader *args, int version, TradeKind kind, const char *ix_name) {
    u64 amount = get_u64(args), limit = get_u64(args), r;
    if (args->bad) return fail(ERR_INSTRUCTION_DID_NOT_DESERIALIZE);
    if (amount == 0) return fail(kind == SELL_TOKENS ? ERR_SELL_ZERO_AMOUNT : ERR_BUY_ZERO_AMOUNT);
    TradeAccounts t;
    if ((r = version == 3 ? load_v3_accounts(p, &t) : load_v2_accounts(p, &t, kind != SELL_TOKENS))) return r;
    if (kind == SELL_TOKENS) return sell_tokens(p, &t, amount, limit, ix_name);
    BuyOrder order = {amount, limit, false, ix_name};
    return kind == BUY_TOKENS ? buy_tokens(p, &t, &order) : buy_exact_in(p, &t, &order);
}

/* ---------- sweeps: 13 accounts (SWEEP_FEES.md), no data ---------- */
enum { W_PAYER, W_GLOBAL, W_BASE_MINT, W_QUOTE_MINT, W_QUOTE_TP, W_ATA_PROGRAM, W_SYSTEM, W_CURVE, W_CURVE_QUOTE_ATA,
       W_RECIPIENT, W_RECIPIENT_QUOTE_ATA, W_EVENT_AUTHORITY, W_PROGRAM, W_ACCOUNTS };

static void emit_sweep(const SolParams *p, const SolAccountInfo *a, u64 amount, u8 bucket) {
    u8 buf[16 + 8 + 32 * 5 + 8 + 1];
    Writer w = event_writer(buf, sizeof(buf), EVENT_SWEEP_BONDING_CURVE_FEE);
    /* assumed to mirror PumpSwap's SweepPoolFeeEvent: timestamp, curve, base mint, quote mint, recipient, payer, amount, bucket */
    put_u64(&w, (u64)clock_unix_timestamp());
    put_key(&w, a[W_CURVE].key); put_key(&w, a[W_BASE_MINT].key); put_key(&w, a[W_QUOTE_MINT].key);
    put_key(&w, a[W_RECIPIENT].key); put_key(&w, a[W_PAYER].key); put_u64(&w, amount); put_u8(&w, bucket);
    emit(p, &w);
}

/* bucket 0: the protocol fee to a fee recipient (reserved one for mayhem coins); 1: the creator fee to
   the creator vault, topped up to rent-exempt by the payer. Works on a completed curve too. */
NOINLINE u64 sweep(const SolParams *p, u8 bucket) {
    const SolAccountInfo *a = p->ka, *curve = &a[W_CURVE], *recipient = &a[W_RECIPIENT];
    u64 r;
    u8 bump;
    if (p->ka_num < W_ACCOUNTS) return fail(ERR_ACCOUNT_NOT_ENOUGH_KEYS);
    if ((r = check_signer(&a[W_PAYER])) || (r = check_writable(&a[W_PAYER]))) return r;
    if ((r = check_global(p, &a[W_GLOBAL]))) return r;
    if ((r = check_writable(curve)) || (r = check_curve_pda(curve, &a[W_BASE_MINT], p->program_id, &bump))) return r;
    if (!key_eq(curve->owner, p->program_id)) return fail(ERR_ACCOUNT_OWNED_BY_WRONG_PROGRAM);
    if (curve->data_len < CURVE_V2_SPACE || !bytes_eq(curve->data, ACCOUNT_BONDING_CURVE, 8)) return fail(ERR_ACCOUNT_DISCRIMINATOR_MISMATCH);
    TradeAccounts q = {0};
    q.curve = curve;
    if ((r = check_quote(&q, &a[W_QUOTE_MINT], &a[W_QUOTE_TP]))) return r;
    if ((r = check_address(&a[W_ATA_PROGRAM], &ATA_PROGRAM_ID))) return r;
    if ((r = check_address(&a[W_SYSTEM], &SYSTEM_PROGRAM_ID))) return r;
    if ((r = check_address(&a[W_EVENT_AUTHORITY], &EVENT_AUTHORITY_PDA)) || (r = check_address(&a[W_PROGRAM], p->program_id))) return r;
    if ((r = check_writable(recipient))) return r;
    const SolPubkey *creator = (const SolPubkey *)(curve->data + CURVE_CREATOR);
    if (bucket == 0) {
        TradeAccounts t = {&a[W_GLOBAL], recipient};
        t.mayhem = curve->data[CURVE_IS_MAYHEM] != 0;
        if ((r = check_trade_fee_recipient(&t))) return r;
    } else if ((r = check_creator_vault(recipient, creator, p->program_id))) return r;
    u64 offset = bucket == 0 ? CURVE_PROTOCOL_FEES : CURVE_CREATOR_FEE_WAITING;
    u64 amount = curve->data_len >= CURVE_V3_SPACE ? rd64(curve->data + offset) : 0;
    if (amount == 0) return 0;              /* nothing waiting: a no-op, as documented */
    if (q.token_quote) {                    /* from the curve's quote account to the recipient's, created if missing */
        if ((r = check_ata(&a[W_CURVE_QUOTE_ATA], curve->key, q.quote_tp, q.quote_mint))) return r;
        if ((r = check_ata(&a[W_RECIPIENT_QUOTE_ATA], recipient->key, q.quote_tp, q.quote_mint))) return r;
        if ((r = create_ata(p, a[W_PAYER].key, recipient->key, q.quote_tp, q.quote_mint))) return r;
        SolSignerSeed seeds[3] = {{(const u8 *)"bonding-curve", 13}, {a[W_BASE_MINT].key->x, 32}, {&bump, 1}};
        SolSignerSeeds signer = {seeds, 3};
        TokenMove move = {a[W_CURVE_QUOTE_ATA].key, a[W_RECIPIENT_QUOTE_ATA].key, curve->key, amount, &signer};
        if ((r = quote_transfer(p, &q, &move))) return r;
        wr64(curve->data + offset, 0);
        emit_sweep(p, a, amount, bucket);
        return 0;
    }
    if (*curve->lamports < amount) return fail(ERR_ARITHMETIC_OVERFLOW);
    u64 vault_min = rent_exempt_minimum(0);
    if (bucket == 1 && *recipient->lamports + amount < vault_min &&
        (r = system_transfer(p, a[W_PAYER].key, recipient->key, vault_min - *recipient->lamports - amount))) return r;
    *curve->lamports -= amount;
    *recipient->lamports += amount;
    wr64(curve->data + offset, 0);
    emit_sweep(p, a, amount, bucket);
    return 0;
}
