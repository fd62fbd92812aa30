/* The accounts a current PumpSwap sell names after the 17 of the pre-upgrade list, checked as the real
 * program does (idl/pump_amm.json sell accounts 18-21, then the remaining accounts: the cashback pair
 * for a cashback pool, PUMP_CASHBACK_README.md; pool-v2, one buyback fee recipient and its quote ATA,
 * BREAKING_FEE_RECIPIENT.md). A 17-account sell (the local Jupiter route's pre-upgrade form) skips
 * them; any list longer than 17 must be the whole current one. Included by pumpswap.c. */

#define CONFIG_BUYBACK_FEE_RECIPIENTS 643     /* GlobalConfig.buyback_fee_recipients: [Pubkey; 8] */
#define CONFIG_CURRENT_LEN (CONFIG_BUYBACK_FEE_RECIPIENTS + 8 * 32)
#define POOL_IS_CASHBACK 244                  /* Pool.is_cashback_coin (after is_mayhem_mode) */

enum { S_CREATOR_VAULT_ATA = T_ACCOUNTS, S_CREATOR_VAULT_AUTHORITY, S_FEE_CONFIG, S_FEE_PROGRAM, S_IDL_ACCOUNTS };

/* key == PDA [seed, arg] under program */
static bool is_pda2(const SolPubkey *key, const char *seed, u64 seed_len, const u8 *arg, const SolPubkey *program) {
    SolSignerSeed seeds[2] = {{(const u8 *)seed, seed_len}, {arg, 32}};
    SolPubkey derived;
    u8 bump;
    return find_pda(seeds, 2, program, &derived, &bump) && key_eq(&derived, key);
}

static bool is_pool_cashback(const SolAccountInfo *pool) {
    return pool->data_len > POOL_IS_CASHBACK && pool->data[POOL_IS_CASHBACK] != 0;
}

/* The cashback pair: the user's AMM volume accumulator's quote ATA, then the accumulator. */
static u64 check_cashback_accounts(const SolParams *p, u64 at) {
    const SolAccountInfo *a = p->ka, *accumulator_ata = &a[at], *accumulator = &a[at + 1];
    u64 r;
    if ((r = need(is_pda2(accumulator->key, "user_volume_accumulator", 23, a[T_USER].key->x, p->program_id)
                  && is_ata(accumulator_ata->key, accumulator->key, a[T_QUOTE_MINT].key, a[T_QUOTE_TOKEN_PROGRAM].key),
                  ERR_CONSTRAINT_SEEDS))) return r;
    return need(accumulator_ata->is_writable && accumulator->is_writable, ERR_CONSTRAINT_MUT);
}

/* pool-v2, a buyback fee recipient GlobalConfig lists, and that recipient's quote ATA (writable). */
static u64 check_buyback_accounts(const SolParams *p, u64 at) {
    const SolAccountInfo *a = p->ka, *config = &a[T_CONFIG], *buyback = &a[at + 1], *buyback_ata = &a[at + 2];
    u64 r;
    if ((r = need(is_pda2(a[at].key, "pool-v2", 7, a[T_BASE_MINT].key->x, p->program_id), ERR_CONSTRAINT_SEEDS))) return r;
    bool listed = false;
    for (int i = 0; config->data_len >= CONFIG_CURRENT_LEN && i < 8; i++) {
        const SolPubkey *entry = (const SolPubkey *)(config->data + CONFIG_BUYBACK_FEE_RECIPIENTS + 32 * i);
        if (key_eq(buyback->key, entry) && !key_eq(entry, &SYSTEM_PROGRAM_ID)) listed = true;   /* unset slots: zero key */
    }
    if ((r = need(listed, ERR_CONSTRAINT_ADDRESS))) return r;
    if ((r = need(is_ata(buyback_ata->key, buyback->key, a[T_QUOTE_MINT].key, a[T_QUOTE_TOKEN_PROGRAM].key),
                  ERR_CONSTRAINT_SEEDS))) return r;
    return need(buyback_ata->is_writable, ERR_CONSTRAINT_MUT);
}

NOINLINE u64 check_current_sell_accounts(const SolParams *p) {
    const SolAccountInfo *a = p->ka, *pool = &a[T_POOL];
    bool cashback = is_pool_cashback(pool);
    u64 r, remaining = S_IDL_ACCOUNTS + (cashback ? 2 : 0);
    if (p->ka_num < remaining + 3) return fail(ERR_ACCOUNT_NOT_ENOUGH_KEYS);
    const SolPubkey *vault_authority = a[S_CREATOR_VAULT_AUTHORITY].key;
    if ((r = need(is_pda2(vault_authority, "creator_vault", 13, pool->data + POOL_COIN_CREATOR, p->program_id)
                  && is_ata(a[S_CREATOR_VAULT_ATA].key, vault_authority, a[T_QUOTE_MINT].key, a[T_QUOTE_TOKEN_PROGRAM].key)
                  && is_pda2(a[S_FEE_CONFIG].key, "fee_config", 10, p->program_id->x, &FEE_PROGRAM_ID), ERR_CONSTRAINT_SEEDS))) return r;
    if ((r = need(key_eq(a[S_FEE_PROGRAM].key, &FEE_PROGRAM_ID), ERR_CONSTRAINT_ADDRESS))) return r;
    if ((r = need(a[S_CREATOR_VAULT_ATA].is_writable, ERR_CONSTRAINT_MUT))) return r;
    if (cashback && (r = check_cashback_accounts(p, S_IDL_ACCOUNTS))) return r;
    return check_buyback_accounts(p, remaining);
}
