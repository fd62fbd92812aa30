/* A PumpSwap-compatible constant-product pool (buy / sell of base tokens against WSOL or USDC), written
 * from pump-public-docs (PUMP_SWAP_README.md, idl/pump_amm.json), plus `migrate`, which moves a
 * completed pump.fun curve's reserves into its canonical pool (only by CPI from pump's `migrate`).
 * Exact integer math; lp, protocol and coin-creator fee bps from the Fee Program's FeeConfig tiers
 * (pumpswap_fees.h; GlobalConfig's without that account), each rounded up; a cashback pool's creator
 * fee goes to the trader (PUMP_CASHBACK_README.md), who claims it with claim_cashback
 * (pumpswap_cashback.h). Events as Anchor `Program data:` logs and self-CPIs. The accounts past the
 * 17th of a buy and a sell: pumpswap_accounts.h. Build: python -m localnet.programs.build */
#include "sbf.h"
#include "pump_ids.h"
#include "pump_layout.h"
#include "pump_amm_ids.h"

static const u8 ACCOUNT_POOL[8] = {0xf1, 0x9a, 0x6d, 0x04, 0x11, 0xb1, 0x6d, 0xbc};
static const u8 ACCOUNT_GLOBAL_CONFIG[8] = {0x95, 0x08, 0x9c, 0xca, 0xa0, 0xfc, 0xb0, 0xd9};
static const u8 EVENT_BUY[8] = {0x67, 0xf4, 0x52, 0x1f, 0x2c, 0xf5, 0x77, 0x77};
static const u8 EVENT_SELL[8] = {0x3e, 0x2f, 0x37, 0x0a, 0xa5, 0x03, 0xdc, 0x2a};
static const u8 EVENT_CREATE_POOL[8] = {0xb1, 0x31, 0x0c, 0xd2, 0xa0, 0x76, 0xa7, 0x74};
/* 6EF8rrecthR5Dkzon8Nwu78hRvfCKubJ14M5uBEwF6P */
static const SolPubkey PUMP_PROGRAM_ID = {{1, 86, 224, 246, 147, 102, 90, 207, 68, 219, 21, 104, 191, 23, 91, 170, 81, 137, 203, 151, 245, 210, 255, 59, 101, 93, 43, 182, 253, 109, 24, 176}};

/* GlobalConfig: admin, lp_fee_bps, protocol_fee_bps, disable_flags, protocol_fee_recipients[8] */
#define CONFIG_ADMIN 8
#define CONFIG_LP_FEE_BPS 40
#define CONFIG_PROTOCOL_FEE_BPS 48
#define CONFIG_FEE_RECIPIENTS 57
#define CONFIG_MIN_LEN (CONFIG_FEE_RECIPIENTS + 8 * 32)
/* Pool: bump, index u16, creator, base_mint, quote_mint, lp_mint, base vault, quote vault, lp_supply, coin_creator */
#define POOL_BUMP 8
#define POOL_INDEX 9
#define POOL_CREATOR 11
#define POOL_BASE_MINT 43
#define POOL_QUOTE_MINT 75
#define POOL_BASE_VAULT 139
#define POOL_QUOTE_VAULT 171
#define POOL_COIN_CREATOR 211
#define POOL_MIN_LEN 243
#define POOL_SPACE 300
#define TOKEN_ACCOUNT_AMOUNT 64

#define ERR_ZERO_BASE_AMOUNT 6001
#define ERR_ZERO_QUOTE_AMOUNT 6002
#define ERR_TOO_LITTLE_POOL_TOKEN_LIQUIDITY 6003
#define ERR_EXCEEDED_SLIPPAGE 6004
#define ERR_CURVE_NOT_COMPLETE 6050          /* local: migrate of a live curve */
#define ERR_AMM_OVERFLOW 6023                /* idl/pump_amm.json (the pump program's Overflow is 6024) */
#define ERR_AMM_DIVISION_BY_ZERO 6025

/* "number=Name;" entries: a char table, since pointer tables in .rodata cannot be relocated */
static const char ERROR_NAMES[] =
    "6001=ZeroBaseAmount;6002=ZeroQuoteAmount;6003=TooLittlePoolTokenLiquidity;6004=ExceededSlippage;"
    "6050=BondingCurveNotComplete;6023=Overflow;6025=DivisionByZero;6053=BuybackFeeRecipientNotAuthorized;6058=BuybackFeeRecipientMissing;6000=NotAuthorized;2000=ConstraintMut;"
    "2006=ConstraintSeeds;2012=ConstraintAddress;3002=AccountDiscriminatorMismatch;3005=AccountNotEnoughKeys;"
    "3007=AccountOwnedByWrongProgram;3010=AccountNotSigner;101=InstructionFallbackNotFound;"
    "102=InstructionDidNotDeserialize;";

/* Logs "AnchorError occurred. Error Code: X. Error Number: N." and returns Custom(N). */
static u64 fail(u64 code) {
    u8 digits[20], buf[128];
    int d = 0;
    for (u64 v = code; d == 0 || v; v /= 10) digits[d++] = (u8)('0' + v % 10);
    u8 number[20];
    for (int i = 0; i < d; i++) number[i] = digits[d - 1 - i];
    Writer w = {buf, 0, sizeof(buf), false};
    put_bytes(&w, "AnchorError occurred. Error Code: ", 34);
    u64 at = 0, n = sizeof(ERROR_NAMES) - 1;
    while (at < n) {                        /* find "<number>=" at an entry start */
        u64 end = at;
        while (end < n && ERROR_NAMES[end] != ';') end++;
        if (end - at > (u64)d && bytes_eq(ERROR_NAMES + at, number, d) && ERROR_NAMES[at + d] == '=') {
            put_bytes(&w, ERROR_NAMES + at + d + 1, end - at - d - 1);
            break;
        }
        at = end + 1;
    }
    put_bytes(&w, ". Error Number: ", 16);
    put_bytes(&w, number, d);
    put_u8(&w, '.');
    sol_log_((const char *)buf, w.len);
    return code;
}

static u64 need(bool ok, u64 code) { return ok ? 0 : fail(code); }
static u64 token_amount(const SolAccountInfo *a) { return a->data_len >= 72 ? rd64(a->data + TOKEN_ACCOUNT_AMOUNT) : 0; }
static u64 fee_ceil(u64 amount, u64 bps, u64 *out) { return mul_div(amount, bps, 10000, true, out); }

static bool is_ata(const SolPubkey *ata, const SolPubkey *owner, const SolPubkey *mint, const SolPubkey *token_program) {
    SolSignerSeed seeds[3] = {{owner->x, 32}, {token_program->x, 32}, {mint->x, 32}};
    SolPubkey derived;
    u8 bump;
    return find_pda(seeds, 3, &ATA_PROGRAM_ID, &derived, &bump) && key_eq(&derived, ata);
}

/* GlobalConfig at its PDA, owned by this program. */
static u64 check_config(const SolParams *p, const SolAccountInfo *config) {
    SolSignerSeed seeds[1];                 /* assigned, not initialised: a constant initialiser lands in .rodata */
    seeds[0].addr = (const u8 *)"global_config"; seeds[0].len = 13;
    SolPubkey derived;
    u8 bump;
    if (!find_pda(seeds, 1, p->program_id, &derived, &bump) || !key_eq(&derived, config->key)) return fail(ERR_CONSTRAINT_SEEDS);
    if (!key_eq(config->owner, p->program_id)) return fail(ERR_ACCOUNT_OWNED_BY_WRONG_PROGRAM);
    return need(config->data_len >= CONFIG_MIN_LEN && bytes_eq(config->data, ACCOUNT_GLOBAL_CONFIG, 8), ERR_ACCOUNT_DISCRIMINATOR_MISMATCH);
}

/* Pool seeds ["pool", index u16 LE, creator, base_mint, quote_mint, bump] */
typedef struct { u8 index[2]; u8 bump; SolSignerSeed seeds[6]; } PoolSeeds;
static void pool_seeds(PoolSeeds *s, const u8 *index, const SolPubkey *creator, const SolPubkey *base, const SolPubkey *quote) {
    s->index[0] = index[0]; s->index[1] = index[1];
    s->seeds[0] = (SolSignerSeed){(const u8 *)"pool", 4};
    s->seeds[1] = (SolSignerSeed){s->index, 2};
    s->seeds[2] = (SolSignerSeed){creator->x, 32};
    s->seeds[3] = (SolSignerSeed){base->x, 32};
    s->seeds[4] = (SolSignerSeed){quote->x, 32};
    s->seeds[5] = (SolSignerSeed){&s->bump, 1};
}

/* BPF calls take at most five arguments, hence the struct. mint: NULL for SPL Token moves; a
   Token-2022 base mint's account for TransferChecked (its mints may carry extensions). */
typedef struct { const SolPubkey *from, *to, *authority; u64 amount; const SolAccountInfo *mint; } Move;
static u64 token_transfer(const SolParams *p, const Move *mv, const SolSignerSeeds *signer) {
    Move m = *mv;
    if (m.amount == 0) return 0;
    u8 data[10];
    wr64(data + 1, m.amount);
    if (!m.mint || !key_eq(m.mint->owner, &TOKEN_2022_PROGRAM_ID)) {
        data[0] = 3;
        SolAccountMeta metas[3] = {{m.from, true, false}, {m.to, true, false}, {m.authority, false, true}};
        Call c = {&TOKEN_PROGRAM_ID, metas, 3, data, 9};
        return invoke_call(p, &c, signer);
    }
    data[0] = 12; data[9] = m.mint->data_len > 44 ? m.mint->data[44] : 0;
    SolAccountMeta metas[4] = {{m.from, true, false}, {m.mint->key, false, false}, {m.to, true, false}, {m.authority, false, true}};
    Call c = {&TOKEN_2022_PROGRAM_ID, metas, 4, data, 10};
    return invoke_call(p, &c, signer);
}

/* the base mint's token program: SPL Token or Token-2022, as the account passed and the mint's owner agree */
static bool base_program_ok(const SolAccountInfo *program, const SolAccountInfo *mint) {
    bool known = key_eq(program->key, &TOKEN_PROGRAM_ID) || key_eq(program->key, &TOKEN_2022_PROGRAM_ID);
    return known && key_eq(mint->owner, program->key);
}

/* ---------- buy / sell ---------- */
enum { T_POOL, T_USER, T_CONFIG, T_BASE_MINT, T_QUOTE_MINT, T_USER_BASE, T_USER_QUOTE, T_POOL_BASE, T_POOL_QUOTE,
       T_FEE_RECIPIENT, T_FEE_RECIPIENT_ATA, T_BASE_TOKEN_PROGRAM, T_QUOTE_TOKEN_PROGRAM, T_SYSTEM, T_ATA_PROGRAM,
       T_EVENT_AUTHORITY, T_PROGRAM, T_ACCOUNTS };

typedef struct {
    u64 base_amount, limit, user_base, user_quote, pool_base, pool_quote, quote_amount, lp_fee_bps, lp_fee,
        protocol_fee_bps, protocol_fee, quote_with_lp_fee, user_quote_amount, creator_fee_bps, creator_fee,
        cashback_bps, cashback;
    u8 track_volume;
} Swap;

#include "pumpswap_accounts.h"
#include "pumpswap_fees.h"
#include "pumpswap_cashback.h"

/* Checks shared by buy and sell; fills the pool's signer seeds and the reserves. */
static u64 check_swap_accounts(const SolParams *p, Swap *s, PoolSeeds *seeds) {
    const SolAccountInfo *a = p->ka, *pool = &a[T_POOL];
    u64 r;
    if (p->ka_num < T_ACCOUNTS) return fail(ERR_ACCOUNT_NOT_ENOUGH_KEYS);
    if (!key_eq(pool->owner, p->program_id)) return fail(ERR_ACCOUNT_OWNED_BY_WRONG_PROGRAM);
    if ((r = need(pool->data_len >= POOL_MIN_LEN && bytes_eq(pool->data, ACCOUNT_POOL, 8), ERR_ACCOUNT_DISCRIMINATOR_MISMATCH))) return r;
    if ((r = need(a[T_USER].is_signer, ERR_ACCOUNT_NOT_SIGNER)) || (r = check_config(p, &a[T_CONFIG]))) return r;
    const u8 *d = pool->data;
    if ((r = need(key_eq(a[T_BASE_MINT].key, (const SolPubkey *)(d + POOL_BASE_MINT))
                  && key_eq(a[T_QUOTE_MINT].key, (const SolPubkey *)(d + POOL_QUOTE_MINT))
                  && key_eq(a[T_POOL_BASE].key, (const SolPubkey *)(d + POOL_BASE_VAULT))
                  && key_eq(a[T_POOL_QUOTE].key, (const SolPubkey *)(d + POOL_QUOTE_VAULT))
                  && base_program_ok(&a[T_BASE_TOKEN_PROGRAM], &a[T_BASE_MINT])
                  && key_eq(a[T_QUOTE_TOKEN_PROGRAM].key, &TOKEN_PROGRAM_ID)
                  && key_eq(a[T_SYSTEM].key, &SYSTEM_PROGRAM_ID) && key_eq(a[T_ATA_PROGRAM].key, &ATA_PROGRAM_ID)
                  && key_eq(a[T_PROGRAM].key, p->program_id), ERR_CONSTRAINT_ADDRESS))) return r;
    if ((r = need(is_pda2(a[T_EVENT_AUTHORITY].key, "__event_authority", 17, NULL, p->program_id), ERR_CONSTRAINT_SEEDS))) return r;
    if ((r = need(a[T_USER_BASE].is_writable && a[T_USER_QUOTE].is_writable && a[T_POOL_BASE].is_writable
                  && a[T_POOL_QUOTE].is_writable && a[T_FEE_RECIPIENT_ATA].is_writable, ERR_CONSTRAINT_MUT))) return r;
    const u8 *config = a[T_CONFIG].data;
    if ((r = need(protocol_recipient_ok(&a[T_CONFIG], pool, a[T_FEE_RECIPIENT].key), ERR_CONSTRAINT_ADDRESS))) return r;
    if ((r = need(is_ata(a[T_FEE_RECIPIENT_ATA].key, a[T_FEE_RECIPIENT].key, a[T_QUOTE_MINT].key, &TOKEN_PROGRAM_ID), ERR_CONSTRAINT_SEEDS))) return r;
    pool_seeds(seeds, d + POOL_INDEX, (const SolPubkey *)(d + POOL_CREATOR), a[T_BASE_MINT].key, a[T_QUOTE_MINT].key);
    seeds->bump = d[POOL_BUMP];
    s->lp_fee_bps = rd64(config + CONFIG_LP_FEE_BPS);
    s->protocol_fee_bps = rd64(config + CONFIG_PROTOCOL_FEE_BPS);
    /* no coin creator (a non-canonical pool): no creator fee, as pump-swap-sdk */
    s->creator_fee_bps = key_is_zero((const SolPubkey *)(d + POOL_COIN_CREATOR)) || a[T_CONFIG].data_len < CONFIG_CURRENT_LEN
                         ? 0 : rd64(config + CONFIG_COIN_CREATOR_FEE_BPS);
    s->user_base = token_amount(&a[T_USER_BASE]);
    s->user_quote = token_amount(&a[T_USER_QUOTE]);
    s->pool_base = token_amount(&a[T_POOL_BASE]);
    s->pool_quote = token_amount(&a[T_POOL_QUOTE]);
    return 0;
}

/* BuyEvent / SellEvent in idl/pump_amm.json field order; volume fields zero (not tracked here) */
static void emit_swap(const SolParams *p, const Swap *s, bool is_buy) {
    const SolAccountInfo *a = p->ka;
    u8 buf[16 + 8 * 14 + 32 * 7 + 16 + 1 + 8 * 5 + 7 + 32];
    Writer w = event_writer(buf, sizeof(buf), is_buy ? EVENT_BUY : EVENT_SELL);
    put_u64(&w, (u64)clock_unix_timestamp());
    put_u64(&w, s->base_amount); put_u64(&w, s->limit);
    put_u64(&w, s->user_base); put_u64(&w, s->user_quote); put_u64(&w, s->pool_base); put_u64(&w, s->pool_quote);
    put_u64(&w, s->quote_amount); put_u64(&w, s->lp_fee_bps); put_u64(&w, s->lp_fee);
    put_u64(&w, s->protocol_fee_bps); put_u64(&w, s->protocol_fee);
    put_u64(&w, s->quote_with_lp_fee); put_u64(&w, s->user_quote_amount);
    put_key(&w, a[T_POOL].key); put_key(&w, a[T_USER].key); put_key(&w, a[T_USER_BASE].key); put_key(&w, a[T_USER_QUOTE].key);
    put_key(&w, a[T_FEE_RECIPIENT].key); put_key(&w, a[T_FEE_RECIPIENT_ATA].key);
    put_key(&w, (const SolPubkey *)(a[T_POOL].data + POOL_COIN_CREATOR));
    put_u64(&w, s->creator_fee_bps); put_u64(&w, s->creator_fee);
    if (is_buy) {   /* track_volume, total_unclaimed/claimed tokens, current volume, last update, min base out, ix_name */
        put_u8(&w, s->track_volume); put_zeros(&w, 8 * 4); put_u64(&w, s->base_amount);
        put_str(&w, (const u8 *)"buy", 3);
    }
    put_u64(&w, s->cashback_bps); put_u64(&w, s->cashback);
    put_u64(&w, 0); put_u64(&w, 0);         /* buyback fee bps, fee: GlobalConfig.buyback_basis_points not applied */
    emit(p, &w);
}

/* The creator fee on `quote` (rounded up): to the coin creator's vault, or as cashback to the trader. */
static u64 creator_fee_on(Swap *s, const CreatorFeeTo *to) {
    if (!fee_ceil(s->quote_amount, s->creator_fee_bps, &s->creator_fee)) return fail(ERR_AMM_OVERFLOW);
    if (to->cashback) {
        s->cashback_bps = s->creator_fee_bps; s->cashback = s->creator_fee;
        s->creator_fee_bps = s->creator_fee = 0;
    }
    return 0;
}

/* Where the protocol and creator fees land, made when missing (paid by the user). */
static u64 ensure_fee_accounts(const SolParams *p, const Swap *s, const CreatorFeeTo *to) {
    u64 r;
    if (s->protocol_fee && (r = ensure_quote_ata(p, &p->ka[T_FEE_RECIPIENT_ATA], p->ka[T_FEE_RECIPIENT].key))) return r;
    if (s->creator_fee + s->cashback && (r = ensure_quote_ata(p, to->fee_to, to->fee_owner->key))) return r;
    return 0;
}

/* buy(base_amount_out, max_quote_amount_in): quote in = ceil(Q*b / (B-b)), fees rounded up on top. */
NOINLINE u64 buy(const SolParams *p, Reader *args) {
    Swap s = {0};
    PoolSeeds seeds;
    s.base_amount = get_u64(args); s.limit = get_u64(args);
    if (args->pos < args->len) s.track_volume = get_u8(args);   /* track_volume OptionBool: one byte, optional */
    if (args->bad) return fail(ERR_INSTRUCTION_DID_NOT_DESERIALIZE);
    u64 r;
    CreatorFeeTo to;
    if ((r = check_swap_accounts(p, &s, &seeds)) || (r = check_current_accounts(p, true, &to))) return r;
    if ((r = pool_fee_rates(p, &p->ka[B_FEE_CONFIG], &s))) return r;
    if (s.base_amount == 0) return fail(ERR_ZERO_BASE_AMOUNT);
    if (s.base_amount >= s.pool_base) return fail(ERR_TOO_LITTLE_POOL_TOKEN_LIQUIDITY);
    if (!mul_div(s.pool_quote, s.base_amount, s.pool_base - s.base_amount, true, &s.quote_amount)) return fail(ERR_AMM_OVERFLOW);
    if (!fee_ceil(s.quote_amount, s.lp_fee_bps, &s.lp_fee) || !fee_ceil(s.quote_amount, s.protocol_fee_bps, &s.protocol_fee))
        return fail(ERR_AMM_OVERFLOW);
    if ((r = creator_fee_on(&s, &to))) return r;
    s.quote_with_lp_fee = s.quote_amount + s.lp_fee;
    s.user_quote_amount = s.quote_with_lp_fee + s.protocol_fee + s.creator_fee + s.cashback;
    if (s.user_quote_amount > s.limit) return fail(ERR_EXCEEDED_SLIPPAGE);
    const SolAccountInfo *a = p->ka;
    SolSignerSeeds pool_signer = {seeds.seeds, 6};
    if ((r = init_user_volume(p, &a[B_USER_VOLUME])) || (r = ensure_fee_accounts(p, &s, &to))) return r;
    if (to.cashback) credit_cashback(&a[B_USER_VOLUME], s.cashback);
    if ((r = token_transfer(p, &(Move){a[T_USER_QUOTE].key, a[T_POOL_QUOTE].key, a[T_USER].key, s.quote_with_lp_fee}, NULL))) return r;
    if ((r = token_transfer(p, &(Move){a[T_USER_QUOTE].key, a[T_FEE_RECIPIENT_ATA].key, a[T_USER].key, s.protocol_fee}, NULL))) return r;
    if ((r = token_transfer(p, &(Move){a[T_USER_QUOTE].key, to.fee_to->key, a[T_USER].key, s.creator_fee + s.cashback}, NULL))) return r;
    if ((r = token_transfer(p, &(Move){a[T_POOL_BASE].key, a[T_USER_BASE].key, a[T_POOL].key, s.base_amount, &a[T_BASE_MINT]}, &pool_signer))) return r;
    emit_swap(p, &s, true);
    return 0;
}

/* sell(base_amount_in, min_quote_amount_out): quote out = floor(Q*b / (B+b)), fees rounded up off it. */
NOINLINE u64 sell(const SolParams *p, Reader *args) {
    Swap s = {0};
    PoolSeeds seeds;
    s.base_amount = get_u64(args); s.limit = get_u64(args);
    if (args->bad) return fail(ERR_INSTRUCTION_DID_NOT_DESERIALIZE);
    u64 r;
    CreatorFeeTo to;
    if ((r = check_swap_accounts(p, &s, &seeds)) || (r = check_current_accounts(p, false, &to))) return r;
    if ((r = pool_fee_rates(p, &p->ka[S_FEE_CONFIG], &s))) return r;
    if (s.base_amount == 0) return fail(ERR_ZERO_BASE_AMOUNT);
    if (s.pool_base + s.base_amount < s.base_amount) return fail(ERR_AMM_OVERFLOW);
    if (!mul_div(s.pool_quote, s.base_amount, s.pool_base + s.base_amount, false, &s.quote_amount)) return fail(ERR_AMM_OVERFLOW);
    if (!fee_ceil(s.quote_amount, s.lp_fee_bps, &s.lp_fee) || !fee_ceil(s.quote_amount, s.protocol_fee_bps, &s.protocol_fee))
        return fail(ERR_AMM_OVERFLOW);
    if ((r = creator_fee_on(&s, &to))) return r;
    if (s.lp_fee + s.protocol_fee + s.creator_fee + s.cashback >= s.quote_amount) return fail(ERR_ZERO_QUOTE_AMOUNT);
    s.quote_with_lp_fee = s.quote_amount - s.lp_fee;
    s.user_quote_amount = s.quote_with_lp_fee - s.protocol_fee - s.creator_fee - s.cashback;
    if (s.user_quote_amount < s.limit) return fail(ERR_EXCEEDED_SLIPPAGE);
    const SolAccountInfo *a = p->ka;
    SolSignerSeeds pool_signer = {seeds.seeds, 6};
    if ((r = ensure_fee_accounts(p, &s, &to))) return r;
    if (to.cashback) {   /* the accumulator the cashback is claimed through: made when missing (an assumption) */
        if ((r = init_user_volume(p, to.fee_owner))) return r;
        credit_cashback(to.fee_owner, s.cashback);
    }
    if ((r = token_transfer(p, &(Move){a[T_USER_BASE].key, a[T_POOL_BASE].key, a[T_USER].key, s.base_amount, &a[T_BASE_MINT]}, NULL))) return r;
    if ((r = token_transfer(p, &(Move){a[T_POOL_QUOTE].key, a[T_USER_QUOTE].key, a[T_POOL].key, s.user_quote_amount}, &pool_signer))) return r;
    if ((r = token_transfer(p, &(Move){a[T_POOL_QUOTE].key, a[T_FEE_RECIPIENT_ATA].key, a[T_POOL].key, s.protocol_fee}, &pool_signer))) return r;
    if ((r = token_transfer(p, &(Move){a[T_POOL_QUOTE].key, to.fee_to->key, a[T_POOL].key, s.creator_fee + s.cashback}, &pool_signer))) return r;
    emit_swap(p, &s, false);
    return 0;
}

/* ---------- migrate: pump's `migrate` CPI seeds a completed curve's canonical pool ---------- */
/* Only the pump program can sign for the pool-authority PDA, so only it can create the pool; the
   reserves come from the pool authority's token accounts, staged there by pump in the same call. */
enum { M_PAYER, M_CONFIG, M_POOL, M_POOL_AUTHORITY, M_BASE_MINT, M_QUOTE_MINT, M_CURVE, M_AUTHORITY_BASE, M_AUTHORITY_QUOTE,
       M_POOL_BASE, M_POOL_QUOTE, M_SYSTEM, M_TOKEN_PROGRAM, M_EVENT_AUTHORITY, M_PROGRAM, M_ACCOUNTS,
       M_BASE_TOKEN_PROGRAM = M_ACCOUNTS };   /* optional 16th: a Token-2022 coin's program (default SPL Token) */

static u64 check_pump_pda(const SolAccountInfo *a, const char *seed, u64 seed_len, const SolPubkey *mint) {
    SolSignerSeed seeds[2] = {{(const u8 *)seed, seed_len}, {mint->x, 32}};
    SolPubkey derived;
    u8 bump;
    return need(find_pda(seeds, 2, &PUMP_PROGRAM_ID, &derived, &bump) && key_eq(&derived, a->key), ERR_CONSTRAINT_SEEDS);
}

NOINLINE u64 migrate(const SolParams *p, Reader *args) {
    if (p->ka_num < M_ACCOUNTS) return fail(ERR_ACCOUNT_NOT_ENOUGH_KEYS);
    u64 base_in = get_u64(args), quote_in = get_u64(args);
    if (args->bad) return fail(ERR_INSTRUCTION_DID_NOT_DESERIALIZE);
    const SolAccountInfo *a = p->ka, *pool = &a[M_POOL], *mint = &a[M_BASE_MINT], *curve = &a[M_CURVE];
    u64 r;
    if ((r = need(a[M_PAYER].is_signer && a[M_POOL_AUTHORITY].is_signer, ERR_ACCOUNT_NOT_SIGNER)) || (r = check_config(p, &a[M_CONFIG]))) return r;
    if ((r = need(base_in > 0, ERR_ZERO_BASE_AMOUNT)) || (r = need(quote_in > 0, ERR_ZERO_QUOTE_AMOUNT))) return r;
    if ((r = check_pump_pda(curve, "bonding-curve", 13, mint->key)) || (r = check_pump_pda(&a[M_POOL_AUTHORITY], "pool-authority", 14, mint->key))) return r;
    if (!key_eq(curve->owner, &PUMP_PROGRAM_ID)) return fail(ERR_ACCOUNT_OWNED_BY_WRONG_PROGRAM);
    if ((r = need(curve->data_len >= CURVE_MIN_LEN && bytes_eq(curve->data, ACCOUNT_BONDING_CURVE, 8), ERR_ACCOUNT_DISCRIMINATOR_MISMATCH))) return r;
    if ((r = need(curve->data[CURVE_COMPLETE] != 0, ERR_CURVE_NOT_COMPLETE))) return r;
    if ((r = need(key_eq(a[M_TOKEN_PROGRAM].key, &TOKEN_PROGRAM_ID) && key_eq(a[M_PROGRAM].key, p->program_id)
                  && key_eq(a[M_SYSTEM].key, &SYSTEM_PROGRAM_ID), ERR_CONSTRAINT_ADDRESS))) return r;
    if ((r = need(pool->is_writable && pool->data_len == 0, ERR_CONSTRAINT_MUT))) return r;
    const SolAccountInfo *base_program = p->ka_num > M_BASE_TOKEN_PROGRAM ? &a[M_BASE_TOKEN_PROGRAM] : &a[M_TOKEN_PROGRAM];
    if ((r = need(base_program_ok(base_program, mint), ERR_CONSTRAINT_ADDRESS))) return r;
    if ((r = need(is_ata(a[M_POOL_BASE].key, pool->key, mint->key, base_program->key)
                  && is_ata(a[M_POOL_QUOTE].key, pool->key, a[M_QUOTE_MINT].key, &TOKEN_PROGRAM_ID), ERR_CONSTRAINT_SEEDS))) return r;

    PoolSeeds seeds;
    u8 index[2] = {0, 0};                   /* canonical pool index */
    pool_seeds(&seeds, index, a[M_POOL_AUTHORITY].key, mint->key, a[M_QUOTE_MINT].key);
    SolPubkey derived;
    if (!find_pda(seeds.seeds, 5, p->program_id, &derived, &seeds.bump) || !key_eq(&derived, pool->key)) return fail(ERR_CONSTRAINT_SEEDS);
    SolSignerSeeds pool_signer = {seeds.seeds, 6};
    NewAccount n = {a[M_PAYER].key, pool->key, p->program_id, POOL_SPACE};
    if ((r = system_create_account(p, &n, &pool_signer))) return r;
    const SolPubkey *authority = a[M_POOL_AUTHORITY].key;   /* signed by the caller, pump */
    if ((r = token_transfer(p, &(Move){a[M_AUTHORITY_BASE].key, a[M_POOL_BASE].key, authority, base_in, mint}, NULL))) return r;
    if ((r = token_transfer(p, &(Move){a[M_AUTHORITY_QUOTE].key, a[M_POOL_QUOTE].key, authority, quote_in, NULL}, NULL))) return r;

    u8 *d = pool->data;
    copy_bytes(d, ACCOUNT_POOL, 8);
    d[POOL_BUMP] = seeds.bump; d[POOL_INDEX] = 0; d[POOL_INDEX + 1] = 0;
    copy_bytes(d + POOL_CREATOR, a[M_POOL_AUTHORITY].key, 32);
    copy_bytes(d + POOL_BASE_MINT, mint->key, 32);
    copy_bytes(d + POOL_QUOTE_MINT, a[M_QUOTE_MINT].key, 32);
    copy_bytes(d + POOL_BASE_VAULT, a[M_POOL_BASE].key, 32);
    copy_bytes(d + POOL_QUOTE_VAULT, a[M_POOL_QUOTE].key, 32);
    copy_bytes(d + POOL_COIN_CREATOR, curve->data + CURVE_CREATOR, 32);   /* lp_mint, lp_supply stay zero: no LP tokens */
    d[POOL_IS_MAYHEM] = curve->data_len > CURVE_IS_MAYHEM ? curve->data[CURVE_IS_MAYHEM] : 0;   /* the coin's flags (idl Pool.is_mayhem_mode, is_cashback_coin) */
    d[POOL_IS_CASHBACK] = curve->data_len > CURVE_IS_CASHBACK ? curve->data[CURVE_IS_CASHBACK] : 0;

    u8 buf[16 + 8 + 32 * 4 + 16];
    Writer w = event_writer(buf, sizeof(buf), EVENT_CREATE_POOL);
    put_u64(&w, (u64)clock_unix_timestamp());
    put_key(&w, pool->key); put_key(&w, mint->key); put_key(&w, a[M_QUOTE_MINT].key); put_key(&w, a[M_POOL_AUTHORITY].key);
    put_u64(&w, base_in); put_u64(&w, quote_in);
    emit(p, &w);
    return 0;
}

u64 entrypoint(u8 *input) {
    SolParams *p = heap_alloc(sizeof(SolParams));
    if (!p || !sol_deserialize(input, p)) return ERR_NOT_ENOUGH_ACCOUNT_KEYS;
    if (p->data_len < 8) return fail(ERR_INSTRUCTION_FALLBACK_NOT_FOUND);
    Reader args = {p->data, p->data_len, 8, false};
    if (bytes_eq(p->data, EVENT_IX_TAG, 8)) {   /* our own emitted event: only our event authority signs it */
        SolSignerSeed seeds[1];
        seeds[0].addr = (const u8 *)"__event_authority"; seeds[0].len = 17;
        SolPubkey authority;
        u8 bump;
        bool ok = p->ka_num >= 1 && p->ka[0].is_signer && find_pda(seeds, 1, p->program_id, &authority, &bump)
                  && key_eq(p->ka[0].key, &authority);
        return ok ? 0 : fail(ERR_NOT_AUTHORIZED);
    }
    if (bytes_eq(p->data, IX_BUY, 8)) { LOG("Instruction: Buy"); return buy(p, &args); }
    if (bytes_eq(p->data, IX_SELL, 8)) { LOG("Instruction: Sell"); return sell(p, &args); }
    if (bytes_eq(p->data, IX_MIGRATE, 8)) { LOG("Instruction: Migrate"); return migrate(p, &args); }
    if (bytes_eq(p->data, IX_CLAIM_CASHBACK, 8)) { LOG("Instruction: ClaimCashback"); return claim_cashback(p); }
    return fail(ERR_INSTRUCTION_FALLBACK_NOT_FOUND);
}
