/* The Fee Program's FeeConfig at [b"fee_config", pump program id] under pfee... (idl/pump_fees.json),
 * read by every trade for its protocol and creator fee rates: the tier of the curve's market cap,
 * as docs/FEE_PROGRAM_README.md's computeFeesBps / calculateFeeTier; Global's rates when there is
 * no fee config account. */
#pragma once

/* sha256("account:FeeConfig")[:8] */
static const u8 ACCOUNT_FEE_CONFIG[8] = {0x8f, 0x34, 0x92, 0xbb, 0xdb, 0x7b, 0x4c, 0x9b};
/* disc 8, bump 1, admin 32, flat_fees {lp, protocol, creator: u64} 24, then fee_tiers: u32 count and
   FeeTier {market_cap_lamports_threshold: u128, fees: Fees} each */
#define FEE_CONFIG_TIERS 65
#define FEE_TIER_SIZE 40
#define FEE_TIER_PROTOCOL_BPS 24               /* after the u128 threshold and lp_fee_bps */
#define FEE_TIER_CREATOR_BPS 32
#define MINT_SUPPLY 36

typedef struct { u64 protocol_bps, creator_bps; } FeeRates;

/* bondingCurveMarketCap: virtual_sol * mint supply / virtual_token, all 128 bits of it */
static void curve_market_cap(const Curve *c, u64 supply, u64 *hi, u64 *lo) {
    u64 ph, pl, rem;
    mul_64_128(c->virtual_sol, supply, &ph, &pl);
    *hi = ph / c->virtual_token;
    *lo = div_128_64(ph % c->virtual_token, pl, c->virtual_token, &rem);
}

static bool u128_below(u64 ah, u64 al, const u8 *b) {
    u64 bl = rd64(b), bh = rd64(b + 8);
    return ah < bh || (ah == bh && al < bl);
}

/* fee_tiers, or for a curve paired with a quote token its stable_fee_tiers when there are some: an
   assumption from FeeConfig.stable_fee_tiers and get_fees' is_new_quote_mint (the docs say no more) */
typedef struct { const SolAccountInfo *fee_config, *global, *mint; const Curve *c; bool token_quote; } FeeQuery;

static const u8 *tier_list(const SolAccountInfo *fee_config, bool stable, u64 *n) {
    const u8 *d = fee_config->data;
    u64 len = fee_config->data_len, pos = FEE_CONFIG_TIERS;
    *n = rd32(d + pos);
    if (len < pos + 4 + *n * FEE_TIER_SIZE) return NULL;
    if (!stable) return d + pos + 4;
    u64 stable_pos = pos + 4 + *n * FEE_TIER_SIZE, m;
    if (len < stable_pos + 4) return NULL;
    m = rd32(d + stable_pos);
    if (m == 0) return d + pos + 4;         /* no stable schedule: the lamport one */
    if (len < stable_pos + 4 + m * FEE_TIER_SIZE) return NULL;
    *n = m;
    return d + stable_pos + 4;
}

NOINLINE u64 fee_rates(const FeeQuery *q, FeeRates *out) {
    const SolAccountInfo *fee_config = q->fee_config;
    if (!key_eq(fee_config->owner, &FEE_PROGRAM_ID) || fee_config->data_len == 0) {   /* no fee config: Global */
        out->protocol_bps = rd64(q->global->data + GLOBAL_FEE_BPS);
        out->creator_bps = rd64(q->global->data + GLOBAL_CREATOR_FEE_BPS);
        return 0;
    }
    if (fee_config->data_len < FEE_CONFIG_TIERS + 4 || !bytes_eq(fee_config->data, ACCOUNT_FEE_CONFIG, 8))
        return fail(ERR_ACCOUNT_DISCRIMINATOR_MISMATCH);
    u64 n;
    const u8 *tiers = tier_list(fee_config, q->token_quote, &n);
    if (!tiers || n == 0) return fail(ERR_ACCOUNT_DID_NOT_DESERIALIZE);
    const u8 *tier = tiers;                                     /* below the first threshold: the first tier */
    if (n > 1) {                                                /* one tier applies at any market cap */
        if (q->mint->data_len < MINT_SUPPLY + 8 || q->c->virtual_token == 0) return fail(ERR_ARITHMETIC_OVERFLOW);
        u64 hi, lo;
        curve_market_cap(q->c, rd64(q->mint->data + MINT_SUPPLY), &hi, &lo);
        for (u64 i = n; i-- > 0;) {                             /* else the last tier whose threshold it reaches */
            if (!u128_below(hi, lo, tiers + i * FEE_TIER_SIZE)) { tier = tiers + i * FEE_TIER_SIZE; break; }
        }
    }
    out->protocol_bps = rd64(tier + FEE_TIER_PROTOCOL_BPS);
    out->creator_bps = rd64(tier + FEE_TIER_CREATOR_BPS);
    return 0;
}
