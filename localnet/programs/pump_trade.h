/* pump.fun legacy-list trades as mainnet takes them since the 2026-04-28 upgrade: buy and
 * buy_exact_sol_in (18 accounts), sell (16), SPL Token or Token-2022 coins, the protocol fee split
 * with a buyback fee recipient by Global.buyback_basis_points. */
#pragma once

enum { B_GLOBAL, B_FEE_RECIPIENT, B_MINT, B_CURVE, B_CURVE_ATA, B_USER_ATA, B_USER, B_SYSTEM, B_TOKEN_PROGRAM,
       B_CREATOR_VAULT, B_EVENT_AUTHORITY, B_PROGRAM, B_GLOBAL_VOLUME, B_USER_VOLUME, B_FEE_CONFIG, B_FEE_PROGRAM,
       B_CURVE_V2, B_BUYBACK, B_IDL_ACCOUNTS = 16, B_ACCOUNTS = 18 };
enum { S_GLOBAL, S_FEE_RECIPIENT, S_MINT, S_CURVE, S_CURVE_ATA, S_USER_ATA, S_USER, S_SYSTEM, S_CREATOR_VAULT,
       S_TOKEN_PROGRAM, S_EVENT_AUTHORITY, S_PROGRAM, S_FEE_CONFIG, S_FEE_PROGRAM, S_CURVE_V2, S_BUYBACK,
       S_IDL_ACCOUNTS = 14, S_ACCOUNTS = 16 };

/* The accounts both sides name, by their index in the instruction's list. */
typedef struct {
    const SolAccountInfo *global, *fee_recipient, *mint, *curve, *curve_ata, *user_ata, *user, *system,
        *token_program, *creator_vault, *event_authority, *program, *fee_config, *fee_program, *curve_v2, *buyback;
    u8 curve_bump;
    Curve c;
    bool mayhem;
    const SolPubkey *creator;
    bool keep_fees;                         /* v3: protocol and creator fee stay on the curve (SWEEP_FEES.md) */
    bool topup_vault;                       /* v2 sell: the seller tops the creator vault up to rent-exempt */
    bool token_quote;                       /* the curve trades against a quote token (USDC), not SOL */
    const SolAccountInfo *quote_mint, *quote_tp, *curve_quote_ata, *user_quote_ata, *fee_quote_ata,
        *buyback_quote_ata, *vault_quote_ata;
    FeeRates rates;                         /* the fee config's tier for the curve before the trade */
    const SolAccountInfo *cashback_to, *cashback_quote_ata;   /* a cashback coin's user volume accumulator */
} TradeAccounts;

static bool key_in(const SolPubkey *k, const u8 *list, int n) {
    for (int i = 0; i < n; i++) if (key_eq(k, (const SolPubkey *)(list + 32 * i))) return true;
    return false;
}

/* normal coins pay Global.fee_recipient(s); mayhem coins the reserved ones */
static u64 check_trade_fee_recipient(const TradeAccounts *t) {
    const u8 *g = t->global->data;
    const SolPubkey *k = t->fee_recipient->key;
    bool ok = t->mayhem ? key_eq(k, (const SolPubkey *)(g + GLOBAL_RESERVED_FEE_RECIPIENT)) || key_in(k, g + GLOBAL_RESERVED_FEE_RECIPIENTS, 7)
                        : key_eq(k, (const SolPubkey *)(g + GLOBAL_FEE_RECIPIENT)) || key_in(k, g + GLOBAL_FEE_RECIPIENTS, 7);
    return ok ? 0 : fail(ERR_NOT_AUTHORIZED);
}


NOINLINE u64 check_trade_accounts(const SolParams *p, TradeAccounts *t) {
    u64 r;
    if ((r = check_global(p, t->global))) return r;
    if (t->global->data_len < GLOBAL_LEN) return fail(ERR_ACCOUNT_DISCRIMINATOR_MISMATCH);
    if ((r = check_writable(t->curve)) || (r = check_curve_pda(t->curve, t->mint, p->program_id, &t->curve_bump))) return r;
    if ((r = load_curve(p, t->curve, &t->c))) return r;
    t->mayhem = t->curve->data[CURVE_IS_MAYHEM] != 0;
    t->creator = (const SolPubkey *)(t->curve->data + CURVE_CREATOR);
    if ((r = check_writable(t->fee_recipient)) || (r = check_trade_fee_recipient(t))) return r;
    if (!is_token_program(t->token_program->key)) return fail(ERR_CONSTRAINT_ADDRESS);
    if (!key_eq(t->mint->owner, t->token_program->key)) return fail(ERR_ACCOUNT_OWNED_BY_WRONG_PROGRAM);
    if ((r = check_writable(t->curve_ata)) || (r = check_ata(t->curve_ata, t->curve->key, t->token_program, t->mint))) return r;
    if ((r = check_writable(t->user_ata)) || (r = check_writable(t->user)) || (r = check_signer(t->user))) return r;
    if ((r = check_address(t->event_authority, &EVENT_AUTHORITY_PDA)) || (r = check_address(t->program, p->program_id))) return r;
    if ((r = check_address(t->system, &SYSTEM_PROGRAM_ID))) return r;
    if ((r = check_writable(t->creator_vault)) || (r = check_creator_vault(t->creator_vault, t->creator, p->program_id))) return r;
    if ((r = check_address(t->fee_config, &FEE_CONFIG_PDA)) || (r = check_address(t->fee_program, &FEE_PROGRAM_ID))) return r;
    SolSignerSeed v2_seeds[2] = {{(const u8 *)"bonding-curve-v2", 16}, {t->mint->key->x, 32}};
    u8 bump;
    if ((r = check_pda(t->curve_v2, v2_seeds, 2, p->program_id, &bump))) return r;
    if ((r = check_writable(t->buyback))) return r;
    if (!key_in(t->buyback->key, t->global->data + GLOBAL_BUYBACK_FEE_RECIPIENTS, 8)) return fail(ERR_BUYBACK_FEE_RECIPIENT_NOT_AUTHORIZED);
    FeeQuery q = {t->fee_config, t->global, t->mint, &t->c, t->token_quote};
    return fee_rates(&q, &t->rates);
}

/* SPL Token Transfer, or Token-2022 TransferChecked (its mints may carry extensions) */
typedef struct { const SolPubkey *from, *to, *authority; u64 amount; const SolSignerSeeds *signer; } TokenMove;

static u64 token_transfer(const SolParams *p, const TradeAccounts *t, const TokenMove *m) {
    const SolPubkey *from = m->from, *to = m->to, *authority = m->authority;
    const SolSignerSeeds *signer = m->signer;
    u8 data[10];
    wr64(data + 1, m->amount);
    if (key_eq(t->token_program->key, &TOKEN_PROGRAM_ID)) {
        data[0] = 3;
        SolAccountMeta metas[3] = {{from, true, false}, {to, true, false}, {authority, false, true}};
        Call c = {&TOKEN_PROGRAM_ID, metas, 3, data, 9};
        return invoke_call(p, &c, signer);
    }
    data[0] = 12; data[9] = TOKEN_DECIMALS;
    SolAccountMeta metas[4] = {{from, true, false}, {t->mint->key, false, false}, {to, true, false}, {authority, false, true}};
    Call c = {&TOKEN_2022_PROGRAM_ID, metas, 4, data, 10};
    return invoke_call(p, &c, signer);
}

typedef struct { u64 fee_bps, creator_fee_bps, buyback_bps, fee, creator_fee, buyback_fee, cashback_bps, cashback; } Fees;
typedef struct { u64 tokens, sol_cost; Fees f; bool track_volume; const char *ix_name; } BuyFill;

#define USER_VOLUME_ACCUMULATOR_SPACE 137   /* BUY.md: "Rent for 137-byte account" */

/* [b"user_volume_accumulator", user], created (137 bytes, paid by the user) when missing */
NOINLINE u64 init_user_volume(const SolParams *p, const SolAccountInfo *user, const SolAccountInfo *accumulator) {
    u64 r;
    u8 bump;
    SolSignerSeed seeds[3] = {{(const u8 *)"user_volume_accumulator", 23}, {user->key->x, 32}, {&bump, 1}};
    if ((r = check_writable(accumulator)) || (r = check_pda(accumulator, seeds, 2, p->program_id, &bump))) return r;
    if (key_eq(accumulator->owner, p->program_id)) return 0;
    SolSignerSeeds signer = {seeds, 3};
    NewAccount account = {user->key, accumulator->key, p->program_id, USER_VOLUME_ACCUMULATOR_SPACE};
    if ((r = system_create_account(p, &account, &signer))) return r;
    copy_bytes(accumulator->data, ACCOUNT_USER_VOLUME_ACCUMULATOR, 8);
    copy_bytes(accumulator->data + 8, user->key, 32);
    return 0;
}

/* protocol and creator fee rounded up; the buyback share of the protocol fee rounded down */
static u64 fees_on(const TradeAccounts *t, u64 sol, Fees *f) {
    f->fee_bps = t->rates.protocol_bps; f->creator_fee_bps = t->rates.creator_bps;
    f->buyback_bps = rd64(t->global->data + GLOBAL_BUYBACK_BPS); f->creator_fee = 0;
    if (f->buyback_bps > 10000) return fail(ERR_ARITHMETIC_OVERFLOW);
    if (!fee_of(sol, f->fee_bps, &f->fee)) return fail(ERR_ARITHMETIC_OVERFLOW);
    if (!key_is_zero(t->creator) && !fee_of(sol, f->creator_fee_bps, &f->creator_fee)) return fail(ERR_ARITHMETIC_OVERFLOW);
    if (!mul_div(f->fee, f->buyback_bps, 10000, false, &f->buyback_fee)) return fail(ERR_ARITHMETIC_OVERFLOW);
    f->cashback_bps = f->cashback = 0;
    if (t->cashback_to) {                   /* PUMP_CASHBACK_README.md: the creator fee goes to the trader instead */
        f->cashback_bps = f->creator_fee_bps; f->cashback = f->creator_fee;
        f->creator_fee_bps = f->creator_fee = 0;
    }
    return 0;
}

/* protocol + creator fee + cashback: what a buy pays on top of the curve's price, a sell below it */
static u64 fees_total(const Fees *f) { return f->fee + f->creator_fee + f->cashback; }

/* A cashback coin's trade credits the trader's user volume accumulator (created, paid by the trader,
   when missing: an assumption for the legacy lists, whose docs say no more than "handled automatically"). */
static u64 use_cashback(const SolParams *p, TradeAccounts *t, const SolAccountInfo *accumulator) {
    if (!t->curve->data[CURVE_IS_CASHBACK] || t->curve->data_len < CURVE_V2_SPACE) return 0;
    u64 r;
    if ((r = init_user_volume(p, t->user, accumulator))) return r;
    t->cashback_to = accumulator;
    return 0;
}

/* UserVolumeAccumulator (idl/pump.json): cashback_earned u64 at 74, stable_cashback_earned at 90 */
#define VOLUME_CASHBACK_EARNED 74
#define VOLUME_CASHBACK_CLAIMED 82
#define VOLUME_STABLE_CASHBACK_EARNED 90
#define VOLUME_STABLE_CASHBACK_CLAIMED 98
static void record_cashback(const TradeAccounts *t, const Fees *f) {
    if (!f->cashback) return;
    u8 *d = t->cashback_to->data;
    u64 at = t->token_quote ? VOLUME_STABLE_CASHBACK_EARNED : VOLUME_CASHBACK_EARNED;
    wr64(d + at, rd64(d + at) + f->cashback);
}

static void load_buy_accounts(const SolParams *p, TradeAccounts *t) {
    const SolAccountInfo *a = p->ka;
    TradeAccounts x = {&a[B_GLOBAL], &a[B_FEE_RECIPIENT], &a[B_MINT], &a[B_CURVE], &a[B_CURVE_ATA], &a[B_USER_ATA],
                       &a[B_USER], &a[B_SYSTEM], &a[B_TOKEN_PROGRAM], &a[B_CREATOR_VAULT], &a[B_EVENT_AUTHORITY],
                       &a[B_PROGRAM], &a[B_FEE_CONFIG], &a[B_FEE_PROGRAM], &a[B_CURVE_V2], &a[B_BUYBACK]};
    *t = x;
}

static u64 check_account_count(const SolParams *p, u64 idl, u64 full) {
    if (p->ka_num < idl) return fail(ERR_ACCOUNT_NOT_ENOUGH_KEYS);
    if (p->ka_num < full) return fail(ERR_BUYBACK_FEE_RECIPIENT_MISSING);
    return 0;
}

/* v3 trades record the fees they keep in the curve's appended protocol_fees / creator_fee fields */
static void keep_fees_on_curve(TradeAccounts *t, const Fees *f) {
    u8 *d = t->curve->data;
    wr64(d + CURVE_PROTOCOL_FEES, rd64(d + CURVE_PROTOCOL_FEES) + f->fee - f->buyback_fee);
    wr64(d + CURVE_CREATOR_FEE_WAITING, rd64(d + CURVE_CREATOR_FEE_WAITING) + f->creator_fee);
}

/* the event's fee_recipient: the zero key when the fee stays on the curve (TRADE_V3.md) */
static const SolPubkey *fee_paid_to(const TradeAccounts *t) { return t->keep_fees ? &SYSTEM_PROGRAM_ID : t->fee_recipient->key; }

static u64 creator_fee_waiting(const TradeAccounts *t) {
    return t->curve->data_len >= CURVE_V3_SPACE ? rd64(t->curve->data + CURVE_CREATOR_FEE_WAITING) : 0;
}

static const SolPubkey *quote_of(const TradeAccounts *t) { return t->token_quote ? t->quote_mint->key : NULL; }

#include "pump_quote.h"

/* Pays sol + fees, moves the tokens, updates the curve, emits TradeEvent (and CompleteEvent). */
NOINLINE u64 settle_buy(const SolParams *p, TradeAccounts *t, const BuyFill *fill) {
    u64 r, tokens = fill->tokens, sol_cost = fill->sol_cost;
    const Fees *f = &fill->f;
    const SolPubkey *user = t->user->key;
    if (t->token_quote) {
        if ((r = pay_buy_in_quote(p, t, f, sol_cost))) return r;
    } else if (t->keep_fees) {              /* v3: the curve keeps both fees, the buyback share is paid now */
        if ((r = system_transfer(p, user, t->curve->key, sol_cost + f->fee - f->buyback_fee + f->creator_fee))) return r;
        if ((r = system_transfer(p, user, t->buyback->key, f->buyback_fee))) return r;
        keep_fees_on_curve(t, f);
    } else {
        if ((r = system_transfer(p, user, t->curve->key, sol_cost))) return r;
        if ((r = system_transfer(p, user, t->buyback->key, f->buyback_fee))) return r;
        if ((r = system_transfer(p, user, t->fee_recipient->key, f->fee - f->buyback_fee))) return r;
        /* an empty vault must end rent-exempt: the buyer tops it up (as buy_v2 documents) */
        u64 vault_topup = 0, vault_lamports = *t->creator_vault->lamports, vault_min = rent_exempt_minimum(0);
        if (f->creator_fee && vault_lamports + f->creator_fee < vault_min) vault_topup = vault_min - vault_lamports - f->creator_fee;
        if ((r = system_transfer(p, user, t->creator_vault->key, f->creator_fee + vault_topup))) return r;
        if (f->cashback && (r = system_transfer(p, user, t->cashback_to->key, f->cashback))) return r;
    }
    record_cashback(t, f);

    SolSignerSeed seeds[3] = {{(const u8 *)"bonding-curve", 13}, {t->mint->key->x, 32}, {&t->curve_bump, 1}};
    SolSignerSeeds signer = {seeds, 3};
    TokenMove move = {t->curve_ata->key, t->user_ata->key, t->curve->key, tokens, &signer};
    if ((r = token_transfer(p, t, &move))) return r;

    Curve *c = &t->c;
    c->virtual_sol += sol_cost; c->real_sol += sol_cost;
    c->virtual_token -= tokens; c->real_token -= tokens;
    if (c->real_token == 0) c->complete = true;
    curve_write(t->curve->data, c);
    i64 now = clock_unix_timestamp();
    Trade ev = {t->mint->key, user, fee_paid_to(t), t->creator, sol_cost, tokens, f->fee_bps, f->fee,
                f->creator_fee_bps, f->creator_fee, f->buyback_bps, f->buyback_fee, true, fill->track_volume, t->mayhem,
                fill->ix_name, c, t->keep_fees, creator_fee_waiting(t), quote_of(t), f->cashback_bps, f->cashback};
    emit_trade(p, &ev, now);
    if (c->complete) emit_complete(p, user, t->mint->key, t->curve->key, now);
    return 0;
}

typedef struct { u64 amount, limit; bool track_volume; const char *ix_name; } BuyOrder;

/* `amount` tokens for at most `limit` lamports, fees included; the real program sells at most what is left */
NOINLINE u64 buy_tokens(const SolParams *p, TradeAccounts *t, const BuyOrder *o) {
    u64 r, tokens = o->amount < t->c.real_token ? o->amount : t->c.real_token;
    if (tokens == 0 || tokens >= t->c.virtual_token) return fail(ERR_BONDING_CURVE_COMPLETE);
    BuyFill fill = {tokens, 0, {0}, o->track_volume, o->ix_name};
    if (!mul_div(t->c.virtual_sol, tokens, t->c.virtual_token - tokens, false, &fill.sol_cost)) return fail(ERR_ARITHMETIC_OVERFLOW);
    fill.sol_cost += 1;
    if ((r = fees_on(t, fill.sol_cost, &fill.f))) return r;
    if (fill.sol_cost + fees_total(&fill.f) > o->limit) return fail(ERR_TOO_MUCH_SOL_REQUIRED);
    return settle_buy(p, t, &fill);
}

/* buy: `amount` tokens for at most max_sol_cost lamports, fees included */
NOINLINE u64 buy(const SolParams *p, Reader *args) {
    u64 r;
    if ((r = check_account_count(p, B_IDL_ACCOUNTS, B_ACCOUNTS))) return r;
    u64 amount = get_u64(args), max_sol_cost = get_u64(args);
    if (args->bad) return fail(ERR_INSTRUCTION_DID_NOT_DESERIALIZE);
    bool track_volume = args->pos < args->len ? get_u8(args) != 0 : false;   /* OptionBool is optional */
    if (amount == 0) return fail(ERR_BUY_ZERO_AMOUNT);
    TradeAccounts t;
    load_buy_accounts(p, &t);
    if ((r = check_trade_accounts(p, &t)) || (r = use_cashback(p, &t, &p->ka[B_USER_VOLUME]))) return r;
    BuyOrder order = {amount, max_sol_cost, track_volume, "buy"};
    return buy_tokens(p, &t, &order);
}

/* spend `amount` (fees included) for at least `limit` tokens; see buy_exact_sol_in */
NOINLINE u64 buy_exact_in(const SolParams *p, TradeAccounts *t, const BuyOrder *o) {
    u64 r, spendable = o->amount, min_tokens_out = o->limit;
    u64 total_bps = t->rates.protocol_bps + (key_is_zero(t->creator) ? 0 : t->rates.creator_bps);
    u64 sol, tokens;
    if (!mul_div(spendable, 10000, 10000 + total_bps, false, &sol)) return fail(ERR_ARITHMETIC_OVERFLOW);
    /* fees round up: step down until sol and its fees fit the spend (at most a lamport or two) */
    for (int i = 0; i < 4 && sol > 2; i++) {
        Fees probe;
        if ((r = fees_on(t, sol, &probe))) return r;
        if (sol + fees_total(&probe) <= spendable) break;
        sol -= 1;
    }
    if (sol < 2) return fail(ERR_BUY_NOT_ENOUGH_SOL_TO_COVER_FEES);
    if (t->c.virtual_sol + sol < sol) return fail(ERR_ARITHMETIC_OVERFLOW);
    if (!mul_div(t->c.virtual_token, sol - 1, t->c.virtual_sol + sol - 1, false, &tokens)) return fail(ERR_ARITHMETIC_OVERFLOW);
    if (tokens > t->c.real_token) {         /* the last buy of a curve: what is left, at the buy price */
        tokens = t->c.real_token;
        if (tokens == 0 || tokens >= t->c.virtual_token) return fail(ERR_BONDING_CURVE_COMPLETE);
        if (!mul_div(t->c.virtual_sol, tokens, t->c.virtual_token - tokens, false, &sol)) return fail(ERR_ARITHMETIC_OVERFLOW);
        sol += 1;
    }
    if (tokens == 0) return fail(ERR_BUY_ZERO_AMOUNT);
    if (tokens < min_tokens_out) return fail(ERR_BUY_SLIPPAGE_BELOW_MIN_TOKENS_OUT);
    BuyFill fill = {tokens, sol, {0}, o->track_volume, o->ix_name};
    if ((r = fees_on(t, sol, &fill.f))) return r;
    if (sol + fees_total(&fill.f) > spendable) return fail(ERR_BUY_NOT_ENOUGH_SOL_TO_COVER_FEES);
    return settle_buy(p, t, &fill);
}

/* buy_exact_sol_in: spend spendable_sol_in (fees included) for at least min_tokens_out. As the
   mainnet create_v2 tx of 2026 shows: sol = floor(spend * 10000 / (10000 + fee bps)), tokens from
   sol - 1, the curve takes sol. */
NOINLINE u64 buy_exact_sol_in(const SolParams *p, Reader *args) {
    u64 r;
    if ((r = check_account_count(p, B_IDL_ACCOUNTS, B_ACCOUNTS))) return r;
    u64 spendable = get_u64(args), min_tokens_out = get_u64(args);
    if (args->bad) return fail(ERR_INSTRUCTION_DID_NOT_DESERIALIZE);
    bool track_volume = args->pos < args->len ? get_u8(args) != 0 : false;
    if (spendable == 0) return fail(ERR_BUY_ZERO_AMOUNT);
    TradeAccounts t;
    load_buy_accounts(p, &t);
    if ((r = check_trade_accounts(p, &t)) || (r = use_cashback(p, &t, &p->ka[B_USER_VOLUME]))) return r;
    BuyOrder order = {spendable, min_tokens_out, track_volume, "buy_exact_sol_in"};
    return buy_exact_in(p, &t, &order);
}

/* sells `tokens` for at least min_sol_output lamports after fees; the curve is ours: lamports move directly */
NOINLINE u64 sell_tokens(const SolParams *p, TradeAccounts *t, u64 tokens, u64 min_sol_output, const char *ix_name) {
    u64 r;
    Curve *c = &t->c;
    u64 sol_out;
    if (c->virtual_token + tokens < tokens) return fail(ERR_ARITHMETIC_OVERFLOW);
    if (!mul_div(c->virtual_sol, tokens, c->virtual_token + tokens, false, &sol_out)) return fail(ERR_ARITHMETIC_OVERFLOW);
    if (sol_out > c->real_sol) return fail(ERR_ARITHMETIC_OVERFLOW);
    Fees f;
    if ((r = fees_on(t, sol_out, &f))) return r;
    if (fees_total(&f) > sol_out) return fail(ERR_TOO_LITTLE_SOL_RECEIVED);
    u64 net = sol_out - fees_total(&f);
    if (net < min_sol_output) return fail(ERR_TOO_LITTLE_SOL_RECEIVED);
    u64 vault_min = rent_exempt_minimum(0);
    if (!t->token_quote && !t->keep_fees && f.creator_fee && *t->creator_vault->lamports + f.creator_fee < vault_min) {
        /* v2 documents a top-up by the seller; legacy sell: every buy left the vault rent-exempt */
        if (!t->topup_vault) return fail(ERR_NOT_AUTHORIZED);
        if ((r = system_transfer(p, t->user->key, t->creator_vault->key, vault_min - *t->creator_vault->lamports - f.creator_fee))) return r;
    }

    TokenMove move = {t->user_ata->key, t->curve_ata->key, t->user->key, tokens, NULL};
    if ((r = token_transfer(p, t, &move))) return r;
    if (t->token_quote) {
        if ((r = pay_sell_in_quote(p, t, &f, net))) return r;
        if (t->keep_fees) keep_fees_on_curve(t, &f);
    } else if (t->keep_fees) {
        *t->curve->lamports -= net + f.buyback_fee;
        *t->user->lamports += net;
        *t->buyback->lamports += f.buyback_fee;
        keep_fees_on_curve(t, &f);
    } else {
        *t->curve->lamports -= net + f.buyback_fee;
        *t->user->lamports += net;
        *t->buyback->lamports += f.buyback_fee;
        *t->curve->lamports -= f.fee - f.buyback_fee + f.creator_fee;
        *t->fee_recipient->lamports += f.fee - f.buyback_fee;
        *t->creator_vault->lamports += f.creator_fee;
        *t->curve->lamports -= f.cashback;
        if (f.cashback) *t->cashback_to->lamports += f.cashback;
    }
    record_cashback(t, &f);

    c->virtual_sol -= sol_out; c->real_sol -= sol_out;
    c->virtual_token += tokens; c->real_token += tokens;
    curve_write(t->curve->data, c);
    Trade ev = {t->mint->key, t->user->key, fee_paid_to(t), t->creator, sol_out, tokens, f.fee_bps, f.fee,
                f.creator_fee_bps, f.creator_fee, f.buyback_bps, f.buyback_fee, false, false, t->mayhem, ix_name, c,
                t->keep_fees, creator_fee_waiting(t), quote_of(t), f.cashback_bps, f.cashback};
    emit_trade(p, &ev, clock_unix_timestamp());
    return 0;
}

NOINLINE u64 sell(const SolParams *p, Reader *args) {
    u64 r;
    if ((r = check_account_count(p, S_IDL_ACCOUNTS, S_ACCOUNTS))) return r;
    u64 tokens = get_u64(args), min_sol_output = get_u64(args);
    if (args->bad) return fail(ERR_INSTRUCTION_DID_NOT_DESERIALIZE);
    if (tokens == 0) return fail(ERR_SELL_ZERO_AMOUNT);
    const SolAccountInfo *a = p->ka;
    TradeAccounts t = {&a[S_GLOBAL], &a[S_FEE_RECIPIENT], &a[S_MINT], &a[S_CURVE], &a[S_CURVE_ATA], &a[S_USER_ATA],
                       &a[S_USER], &a[S_SYSTEM], &a[S_TOKEN_PROGRAM], &a[S_CREATOR_VAULT], &a[S_EVENT_AUTHORITY],
                       &a[S_PROGRAM], &a[S_FEE_CONFIG], &a[S_FEE_PROGRAM], &a[S_CURVE_V2], &a[S_BUYBACK]};
    if ((r = check_trade_accounts(p, &t))) return r;
    /* PUMP_CASHBACK_README.md: a cashback coin's sell pays cashback to remaining account 0, the seller's
       user volume accumulator; without it the creator fee goes to the creator */
    if (p->ka_num > S_ACCOUNTS && (r = use_cashback(p, &t, &a[S_ACCOUNTS]))) return r;
    return sell_tokens(p, &t, tokens, min_sol_output, "sell");
}
