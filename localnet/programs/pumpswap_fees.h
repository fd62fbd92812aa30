/* A PumpSwap trade's lp, protocol and coin-creator fee rates (docs/FEE_PROGRAM_README.md computeFeesBps,
 * getFees, calculateFeeTier): with the Fee Program's FeeConfig at [b"fee_config", pump_amm id] (the
 * trade's fee_config account), a canonical pool (Pool.creator = pump's ["pool-authority", base_mint])
 * pays the tier of its market cap, quote reserve x base mint supply / base reserve, and any other pool
 * the config's flat fees; without that account, GlobalConfig's rates. A pool quoted in a token (USDC)
 * reads stable_fee_tiers when the config has some, as the pump program does (an assumption: the docs
 * say no more than get_fees' is_new_quote_mint). Included by pumpswap.c after pumpswap_accounts.h. */
#include "pump_fee_config.h"      /* the FeeConfig layout and tier list shared with the pump program */

#define FEE_TIER_LP_BPS 16        /* after the u128 threshold */

static bool is_canonical_pool(const SolAccountInfo *pool, const SolAccountInfo *base_mint) {
    return is_pda2((const SolPubkey *)(pool->data + POOL_CREATOR), "pool-authority", 14, base_mint->key->x, &PUMP_PROGRAM_ID);
}

/* quote reserve * base mint supply / base reserve, all 128 bits (poolMarketCap) */
static u64 pool_market_cap(const SolAccountInfo *base_mint, const Swap *s, u64 *hi, u64 *lo) {
    if (base_mint->data_len < MINT_SUPPLY + 8) return fail(ERR_ACCOUNT_DID_NOT_DESERIALIZE);
    if (s->pool_base == 0) return fail(ERR_AMM_DIVISION_BY_ZERO);
    u64 ph, pl, rem;
    mul_64_128(s->pool_quote, rd64(base_mint->data + MINT_SUPPLY), &ph, &pl);
    *hi = ph / s->pool_base;
    *lo = div_128_64(ph % s->pool_base, pl, s->pool_base, &rem);
    return 0;
}

/* Sets s's three rates (the creator's stays zero for a pool without a coin creator). */
NOINLINE u64 pool_fee_rates(const SolParams *p, const SolAccountInfo *fee_config, Swap *s) {
    const SolAccountInfo *a = p->ka, *pool = &a[T_POOL];
    bool has_creator = !key_is_zero((const SolPubkey *)(pool->data + POOL_COIN_CREATOR));
    if (!key_eq(fee_config->owner, &FEE_PROGRAM_ID) || fee_config->data_len == 0) return 0;   /* GlobalConfig's, set */
    if (fee_config->data_len < FEE_CONFIG_TIERS + 4 || !bytes_eq(fee_config->data, ACCOUNT_FEE_CONFIG, 8))
        return fail(ERR_ACCOUNT_DISCRIMINATOR_MISMATCH);
    const u8 *fees = fee_config->data + 41;                     /* flat_fees, after bump and admin */
    if (is_canonical_pool(pool, &a[T_BASE_MINT])) {
        u64 n, hi, lo, r;
        const u8 *tiers = tier_list(fee_config, !key_eq(a[T_QUOTE_MINT].key, &WSOL_MINT), &n);
        if (!tiers || n == 0) return fail(ERR_ACCOUNT_DID_NOT_DESERIALIZE);
        if ((r = pool_market_cap(&a[T_BASE_MINT], s, &hi, &lo))) return r;
        fees = tiers + FEE_TIER_LP_BPS;                         /* below the first threshold: the first tier */
        for (u64 i = n; i-- > 0;) {                             /* else the last tier whose threshold it reaches */
            if (!u128_below(hi, lo, tiers + i * FEE_TIER_SIZE)) { fees = tiers + i * FEE_TIER_SIZE + FEE_TIER_LP_BPS; break; }
        }
    }
    s->lp_fee_bps = rd64(fees); s->protocol_fee_bps = rd64(fees + 8);
    s->creator_fee_bps = has_creator ? rd64(fees + 16) : 0;
    return 0;
}
