/* pump.fun account and event layouts (same reading of the IDL as adapters/pumpfun/layout_v1.py),
 * Anchor error codes, and the event writers. */
#pragma once
#include "sbf.h"

/* Anchor discriminators: sha256("global:<ix>")[:8], sha256("account:<Name>")[:8], sha256("event:<Name>")[:8] */
static const u8 IX_CREATE[8] = {0x18, 0x1e, 0xc8, 0x28, 0x05, 0x1c, 0x07, 0x77};
static const u8 IX_BUY[8] = {0x66, 0x06, 0x3d, 0x12, 0x01, 0xda, 0xeb, 0xea};
static const u8 IX_SELL[8] = {0x33, 0xe6, 0x85, 0xa4, 0x01, 0x7f, 0x83, 0xad};
static const u8 IX_CREATE_V2[8] = {0xd6, 0x90, 0x4c, 0xec, 0x5f, 0x8b, 0x31, 0xb4};
static const u8 IX_BUY_EXACT_SOL_IN[8] = {0x38, 0xfc, 0x74, 0x08, 0x9e, 0xdf, 0xcd, 0x5f};
static const u8 IX_BUY_V2[8] = {0xb8, 0x17, 0xee, 0x61, 0x67, 0xc5, 0xd3, 0x3d};
static const u8 IX_SELL_V2[8] = {0x5d, 0xf6, 0x82, 0x3c, 0xe7, 0xe9, 0x40, 0xb2};
static const u8 IX_BUY_EXACT_QUOTE_IN_V2[8] = {0xc2, 0xab, 0x1c, 0x46, 0x68, 0x4d, 0x5b, 0x2f};
static const u8 IX_BUY_V3[8] = {0x07, 0x05, 0x1d, 0xc4, 0xf5, 0x17, 0x65, 0x50};
static const u8 IX_SELL_V3[8] = {0x1c, 0x92, 0xde, 0x77, 0x26, 0xc4, 0x69, 0xd5};
static const u8 IX_BUY_EXACT_QUOTE_IN_V3[8] = {0xe1, 0xf7, 0x50, 0x1e, 0xd5, 0xb3, 0x84, 0x88};
static const u8 IX_SWEEP_PROTOCOL_FEE[8] = {0x08, 0x30, 0xbe, 0x07, 0xb6, 0x44, 0xb7, 0xe5};
static const u8 IX_SWEEP_CREATOR_FEE[8] = {0x20, 0xf6, 0xbf, 0x34, 0x08, 0xc9, 0x49, 0xba};
static const u8 ACCOUNT_USER_VOLUME_ACCUMULATOR[8] = {0x56, 0xff, 0x70, 0x0e, 0x66, 0x35, 0x9a, 0xfa};
static const u8 EVENT_SWEEP_BONDING_CURVE_FEE[8] = {0x74, 0x2b, 0x4d, 0xbd, 0x11, 0x7a, 0x48, 0x2b};
static const u8 ACCOUNT_GLOBAL[8] = {0xa7, 0xe8, 0xe8, 0xb1, 0xc8, 0x6c, 0x72, 0x7f};
static const u8 ACCOUNT_BONDING_CURVE[8] = {0x17, 0xb7, 0xf8, 0x37, 0x60, 0xd8, 0xac, 0x60};
static const u8 EVENT_CREATE[8] = {0x1b, 0x72, 0xa9, 0x4d, 0xde, 0xeb, 0x63, 0x76};
static const u8 EVENT_TRADE[8] = {0xbd, 0xdb, 0x7f, 0xd3, 0x4e, 0xe6, 0x61, 0xee};
static const u8 EVENT_COMPLETE[8] = {0x5f, 0x72, 0x61, 0x9c, 0xd4, 0x2e, 0x98, 0x08};
static const u8 IX_MIGRATE[8] = {0x9b, 0xea, 0xe7, 0x92, 0xec, 0x9e, 0xa2, 0x1e};
static const u8 EVENT_COMPLETE_PUMP_AMM_MIGRATION[8] = {0xbd, 0xe9, 0x5d, 0xb9, 0x5c, 0x94, 0xea, 0x94};
/* sha256("anchor:event")[:8]: tags an event carried by a self-CPI (Anchor emit_cpi!) */
static const u8 EVENT_IX_TAG[8] = {0xe4, 0x45, 0xa5, 0x2e, 0x51, 0xcb, 0x9a, 0x1d};

/* Global: offsets after the 8-byte discriminator as in the IDL */
#define GLOBAL_INITIALIZED 8
#define GLOBAL_FEE_RECIPIENT 41
#define GLOBAL_INITIAL_VIRTUAL_TOKEN 73
#define GLOBAL_INITIAL_VIRTUAL_SOL 81
#define GLOBAL_INITIAL_REAL_TOKEN 89
#define GLOBAL_TOKEN_TOTAL_SUPPLY 97
#define GLOBAL_FEE_BPS 105
#define GLOBAL_WITHDRAW_AUTHORITY 113
#define GLOBAL_ENABLE_MIGRATE 145
#define GLOBAL_POOL_MIGRATION_FEE 146
#define GLOBAL_CREATOR_FEE_BPS 154
#define GLOBAL_FEE_RECIPIENTS 162          /* [Pubkey; 7] */
#define GLOBAL_MIN_LEN (GLOBAL_FEE_RECIPIENTS + 7 * 32)
#define GLOBAL_CREATE_V2_ENABLED 450
#define GLOBAL_RESERVED_FEE_RECIPIENT 483      /* mayhem coins pay these */
#define GLOBAL_MAYHEM_MODE_ENABLED 515
#define GLOBAL_RESERVED_FEE_RECIPIENTS 516     /* [Pubkey; 7] */
#define GLOBAL_IS_CASHBACK_ENABLED 740
#define GLOBAL_BUYBACK_FEE_RECIPIENTS 741      /* [Pubkey; 8] */
#define GLOBAL_BUYBACK_BPS 997
#define GLOBAL_INITIAL_VIRTUAL_QUOTE 1005
#define GLOBAL_WHITELISTED_QUOTE_MINTS 1013    /* [Pubkey; 1] */
#define GLOBAL_LEN 1045                        /* every field of the 2026 IDL */

/* BondingCurve in IDL order (2026): reserves, complete, creator, is_mayhem_mode, is_cashback_coin, quote_mint */
#define CURVE_VIRTUAL_TOKEN 8
#define CURVE_VIRTUAL_SOL 16
#define CURVE_REAL_TOKEN 24
#define CURVE_REAL_SOL 32
#define CURVE_TOKEN_TOTAL_SUPPLY 40
#define CURVE_COMPLETE 48
#define CURVE_CREATOR 49
#define CURVE_MIN_LEN 81
#define CURVE_IS_MAYHEM 81
#define CURVE_IS_CASHBACK 82
#define CURVE_QUOTE_MINT 83                /* default key: SOL-paired */
#define CURVE_SPACE 151                    /* legacy create: a mainnet curve after extend_account */
#define CURVE_V2_SPACE 115                 /* create_v2 makes the curve this size (mainnet tx of 2026) */
/* appended by the v3 upgrade (SWEEP_FEES.md "Account layout"); offsets assumed: the public IDL at hand predates them */
#define CURVE_PROTOCOL_FEES 115
#define CURVE_CREATOR_FEE_WAITING 123
#define CURVE_V3_SPACE 131

#define TOKEN_DECIMALS 6
#define MINT_SPACE 82
#define METADATA_SPACE 679
#define MINT_2022_POINTER_SPACE 234        /* mint + account type + MetadataPointer TLV */

/* Anchor framework and pump.fun custom error codes */
#define ERR_INSTRUCTION_FALLBACK_NOT_FOUND 101
#define ERR_INSTRUCTION_DID_NOT_DESERIALIZE 102
#define ERR_CONSTRAINT_MUT 2000
#define ERR_CONSTRAINT_HAS_ONE 2001
#define ERR_CONSTRAINT_SEEDS 2006
#define ERR_CONSTRAINT_ADDRESS 2012
#define ERR_ACCOUNT_DISCRIMINATOR_MISMATCH 3002
#define ERR_ACCOUNT_DID_NOT_DESERIALIZE 3003
#define ERR_ACCOUNT_NOT_ENOUGH_KEYS 3005
#define ERR_ACCOUNT_OWNED_BY_WRONG_PROGRAM 3007
#define ERR_ACCOUNT_NOT_SIGNER 3010
#define ERR_NOT_AUTHORIZED 6000
#define ERR_TOO_MUCH_SOL_REQUIRED 6002
#define ERR_TOO_LITTLE_SOL_RECEIVED 6003
#define ERR_MINT_DOES_NOT_MATCH_BONDING_CURVE 6004
#define ERR_BONDING_CURVE_COMPLETE 6005
#define ERR_BONDING_CURVE_NOT_COMPLETE 6006
#define ERR_NOT_INITIALIZED 6007
#define ERR_BUY_ZERO_AMOUNT 6020
#define ERR_SELL_ZERO_AMOUNT 6022
#define ERR_ARITHMETIC_OVERFLOW 6024
#define ERR_CREATOR_SHOULD_NOT_BE_ZERO 6030
#define ERR_NAME_TOO_LONG 6043
#define ERR_SYMBOL_TOO_LONG 6044
#define ERR_URI_TOO_LONG 6045
#define ERR_BUY_NOT_ENOUGH_SOL_TO_COVER_FEES 6041
#define ERR_BUY_SLIPPAGE_BELOW_MIN_TOKENS_OUT 6042
#define ERR_BUYBACK_FEE_RECIPIENT_NOT_AUTHORIZED 6057
#define ERR_BUYBACK_FEE_RECIPIENT_MISSING 6062
#define ERR_UNSUPPORTED_QUOTE_MINT 6063
#define ERR_INVALID_QUOTE_TOKEN_PROGRAM 6064
#define ERR_QUOTE_MINT_NOT_WHITELISTED 6068
#define ERR_MAYHEM_MODE_QUOTE_MINT_NOT_ALLOWED 6071
#define ERR_CASHBACK_COIN_NOT_SUPPORTED 6094

typedef struct {
    u64 virtual_token, virtual_sol, real_token, real_sol, supply;
    bool complete;
} Curve;

static void curve_read(const u8 *d, Curve *c) {
    c->virtual_token = rd64(d + CURVE_VIRTUAL_TOKEN);
    c->virtual_sol = rd64(d + CURVE_VIRTUAL_SOL);
    c->real_token = rd64(d + CURVE_REAL_TOKEN);
    c->real_sol = rd64(d + CURVE_REAL_SOL);
    c->supply = rd64(d + CURVE_TOKEN_TOTAL_SUPPLY);
    c->complete = d[CURVE_COMPLETE] != 0;
}

static void curve_write(u8 *d, const Curve *c) {
    wr64(d + CURVE_VIRTUAL_TOKEN, c->virtual_token);
    wr64(d + CURVE_VIRTUAL_SOL, c->virtual_sol);
    wr64(d + CURVE_REAL_TOKEN, c->real_token);
    wr64(d + CURVE_REAL_SOL, c->real_sol);
    wr64(d + CURVE_TOKEN_TOTAL_SUPPLY, c->supply);
    d[CURVE_COMPLETE] = c->complete;
}

static i64 clock_unix_timestamp(void) {
    u64 clock[5] = {0};                     /* slot, epoch_start_ts, epoch, leader_epoch, unix_ts */
    sol_get_clock_sysvar(clock);
    return (i64)clock[4];
}

/* Starts an event buffer with room for the self-CPI tag in front. */
static Writer event_writer(u8 *buf, u64 cap, const u8 *discriminator) {
    Writer w = {buf, 0, cap, false};
    put_bytes(&w, EVENT_IX_TAG, 8);
    put_bytes(&w, discriminator, 8);
    return w;
}

/* As the real program: a `Program data:` log, and the same bytes as a self-CPI signed by the
   event authority (so indexers reading inner instructions see it too). `extra` accounts ride along
   unread: a CPI carries over the caller's pending lamport changes of the accounts it lists. */
static u64 emit_listing(const SolParams *p, const Writer *w, const SolAccountMeta *extra, u64 n_extra) {
    if (w->overflow || n_extra > 3) return ERR_ARITHMETIC_OVERFLOW;
    SolBytes field = {w->buf + 8, w->len - 8};
    sol_log_data(&field, 1);
    u8 bump;
    SolSignerSeed seeds[2] = {{(const u8 *)"__event_authority", 17}, {&bump, 1}};
    SolPubkey authority;
    if (!find_pda(seeds, 1, p->program_id, &authority, &bump)) return ERR_CONSTRAINT_SEEDS;
    SolSignerSeeds signer = {seeds, 2};
    SolAccountMeta metas[4];                 /* a stack key: a constant table would need .rodata relocations */
    metas[0].pubkey = &authority; metas[0].is_writable = false; metas[0].is_signer = true;
    for (u64 i = 0; i < n_extra; i++) metas[1 + i] = extra[i];
    Call c = {p->program_id, metas, 1 + n_extra, w->buf, w->len};
    return invoke_call(p, &c, &signer);
}

static void emit(const SolParams *p, const Writer *w) { emit_listing(p, w, NULL, 0); }

typedef struct {
    const SolPubkey *mint, *user, *fee_recipient, *creator;
    u64 sol_amount, token_amount, fee_bps, fee, creator_fee_bps, creator_fee, buyback_bps, buyback_fee;
    bool is_buy, track_volume, mayhem;
    const char *ix_name;
    const Curve *after;
    bool v3;
    u64 creator_fee_unclaimed;
    const SolPubkey *quote_mint;            /* NULL: SOL */
    u64 cashback_bps, cashback;
} Trade;

/* TradeEvent in the field order of the IDL, up to real_quote_reserves (the mainnet sample's length). */
static void emit_trade(const SolParams *p, const Trade *t, i64 now) {
    u8 buf[420];
    Writer w = event_writer(buf, sizeof(buf), EVENT_TRADE);
    put_key(&w, t->mint); put_u64(&w, t->sol_amount); put_u64(&w, t->token_amount); put_u8(&w, t->is_buy);
    put_key(&w, t->user); put_u64(&w, (u64)now);
    put_u64(&w, t->after->virtual_sol); put_u64(&w, t->after->virtual_token);
    put_u64(&w, t->after->real_sol); put_u64(&w, t->after->real_token);
    put_key(&w, t->fee_recipient); put_u64(&w, t->fee_bps); put_u64(&w, t->fee);
    put_key(&w, t->creator); put_u64(&w, t->creator_fee_bps); put_u64(&w, t->creator_fee);
    put_u8(&w, t->track_volume);
    put_zeros(&w, 8 * 4);                   /* unclaimed, claimed, current volume, last update */
    u32 n = 0;
    while (t->ix_name[n]) n++;
    put_str(&w, (const u8 *)t->ix_name, n);
    put_u8(&w, t->mayhem);
    put_u64(&w, t->cashback_bps); put_u64(&w, t->cashback);
    put_u64(&w, t->buyback_bps); put_u64(&w, t->buyback_fee);
    put_u32(&w, 0);                         /* shareholders: empty vec */
    if (t->quote_mint) put_key(&w, t->quote_mint); else put_zeros(&w, 32);   /* default = SOL */
    put_u64(&w, t->sol_amount); put_u64(&w, t->after->virtual_sol); put_u64(&w, t->after->real_sol);
    if (t->v3) {                            /* October 2026 tail: holder_rewards_bps, holder_rewards, creator_fee_unclaimed */
        put_zeros(&w, 16); put_u64(&w, t->creator_fee_unclaimed);
    }
    emit(p, &w);
}

static void emit_complete(const SolParams *p, const SolPubkey *user, const SolPubkey *mint, const SolPubkey *curve, i64 now) {
    u8 buf[16 + 32 * 3 + 8 + 32];
    Writer w = event_writer(buf, sizeof(buf), EVENT_COMPLETE);
    put_key(&w, user); put_key(&w, mint); put_key(&w, curve); put_u64(&w, (u64)now);
    put_zeros(&w, 32);                      /* quote_mint */
    emit(p, &w);
}
