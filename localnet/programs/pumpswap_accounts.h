/* The accounts a current PumpSwap buy or sell names after the 17 both share, checked as the real
 * program does: idl/pump_amm.json buy accounts 18-23 (coin creator vault ATA and authority, global and
 * user volume accumulators, fee_config, fee_program) or sell accounts 18-21 (no accumulators); then the
 * remaining accounts: for a cashback pool the quote ATA of the user's AMM volume accumulator (buy), or
 * that ATA and the accumulator (sell) (PUMP_CASHBACK_README.md); then pool-v2, a buyback fee recipient
 * GlobalConfig lists and its quote ATA (BREAKING_FEE_RECIPIENT.md: required since the upgrade of April
 * 28th 2026; 26/27 accounts a buy, 24/26 a sell). Fewer than the IDL's accounts: AccountNotEnoughKeys;
 * the IDL's without the remaining ones: BuybackFeeRecipientMissing (the IDL's error; the pump program
 * answers its own for the same omission). Also the accounts a trade makes when missing, paid by the
 * user (idl buy_exact_quote_in docs: the fee recipient's and creator vault's ATAs, the accumulator; the
 * cashback ATA "initialized if needed"). Included by pumpswap.c. */

/* GlobalConfig (idl/pump_amm.json field order) */
#define CONFIG_COIN_CREATOR_FEE_BPS 313
#define CONFIG_RESERVED_FEE_RECIPIENT 385
#define CONFIG_RESERVED_FEE_RECIPIENTS 418    /* [Pubkey; 7] */
#define CONFIG_BUYBACK_FEE_RECIPIENTS 643     /* [Pubkey; 8] */
#define CONFIG_CURRENT_LEN (CONFIG_BUYBACK_FEE_RECIPIENTS + 8 * 32)
/* Pool: is_mayhem_mode, is_cashback_coin after coin_creator */
#define POOL_IS_MAYHEM 243
#define POOL_IS_CASHBACK 244
#define USER_VOLUME_ACCUMULATOR_SPACE 137     /* docs/instructions/BUY.md: "Rent for 137-byte account" */

/* pump_amm error numbers (idl/pump_amm.json), not the pump program's */
#define ERR_AMM_BUYBACK_FEE_RECIPIENT_NOT_AUTHORIZED 6053
#define ERR_AMM_BUYBACK_FEE_RECIPIENT_MISSING 6058

enum { X_CREATOR_VAULT_ATA = T_ACCOUNTS, X_CREATOR_VAULT_AUTHORITY,
       B_GLOBAL_VOLUME = X_CREATOR_VAULT_AUTHORITY + 1, B_USER_VOLUME, B_FEE_CONFIG, B_FEE_PROGRAM, B_IDL_ACCOUNTS };
enum { S_FEE_CONFIG = X_CREATOR_VAULT_AUTHORITY + 1, S_FEE_PROGRAM, S_IDL_ACCOUNTS };

/* Where a trade's creator fee goes: the coin creator's vault ATA, or for a cashback pool the
   trader's AMM volume accumulator's quote ATA (PUMP_CASHBACK_README.md). */
typedef struct { const SolAccountInfo *fee_to, *fee_owner; bool cashback; } CreatorFeeTo;

/* key == PDA [seed, arg] under program (arg NULL: [seed] alone) */
static bool is_pda2(const SolPubkey *key, const char *seed, u64 seed_len, const u8 *arg, const SolPubkey *program) {
    SolSignerSeed seeds[2] = {{(const u8 *)seed, seed_len}, {arg, 32}};
    SolPubkey derived;
    u8 bump;
    return find_pda(seeds, arg ? 2 : 1, program, &derived, &bump) && key_eq(&derived, key);
}

static bool is_pool_cashback(const SolAccountInfo *pool) {
    return pool->data_len > POOL_IS_CASHBACK && pool->data[POOL_IS_CASHBACK] != 0;
}

static bool listed(const SolAccountInfo *config, u64 at, u64 n, const SolPubkey *key) {
    for (u64 i = 0; config->data_len >= at + 32 * n && i < n; i++) {
        const SolPubkey *entry = (const SolPubkey *)(config->data + at + 32 * i);
        if (key_eq(key, entry) && !key_is_zero(entry)) return true;   /* unset slots: zero key */
    }
    return false;
}

/* The protocol fee recipient: one of GlobalConfig's eight, or for a mayhem pool one of its reserved
   recipients (docs/FEE_RECIPIENTS.md: mayhem coins pay the reserved ones). */
static bool protocol_recipient_ok(const SolAccountInfo *config, const SolAccountInfo *pool, const SolPubkey *key) {
    if (pool->data_len > POOL_IS_MAYHEM && pool->data[POOL_IS_MAYHEM] != 0)
        return listed(config, CONFIG_RESERVED_FEE_RECIPIENT, 1, key) || listed(config, CONFIG_RESERVED_FEE_RECIPIENTS, 7, key);
    return listed(config, CONFIG_FEE_RECIPIENTS, 8, key);
}

/* pool-v2, a buyback fee recipient GlobalConfig lists, and that recipient's quote ATA (writable). */
static u64 check_buyback_accounts(const SolParams *p, u64 at) {
    const SolAccountInfo *a = p->ka, *buyback = &a[at + 1], *buyback_ata = &a[at + 2];
    u64 r;
    if ((r = need(is_pda2(a[at].key, "pool-v2", 7, a[T_BASE_MINT].key->x, p->program_id), ERR_CONSTRAINT_SEEDS))) return r;
    if ((r = need(listed(&a[T_CONFIG], CONFIG_BUYBACK_FEE_RECIPIENTS, 8, buyback->key), ERR_AMM_BUYBACK_FEE_RECIPIENT_NOT_AUTHORIZED))) return r;
    if ((r = need(is_ata(buyback_ata->key, buyback->key, a[T_QUOTE_MINT].key, a[T_QUOTE_TOKEN_PROGRAM].key),
                  ERR_CONSTRAINT_SEEDS))) return r;
    return need(buyback_ata->is_writable, ERR_CONSTRAINT_MUT);
}

/* The cashback ATA (at `at`) of the accumulator, which a sell names next to it and a buy at B_USER_VOLUME. */
static u64 check_cashback_accounts(const SolParams *p, u64 at, const SolAccountInfo *accumulator, CreatorFeeTo *to) {
    const SolAccountInfo *a = p->ka, *accumulator_ata = &a[at];
    u64 r;
    if ((r = need(is_pda2(accumulator->key, "user_volume_accumulator", 23, a[T_USER].key->x, p->program_id)
                  && is_ata(accumulator_ata->key, accumulator->key, a[T_QUOTE_MINT].key, a[T_QUOTE_TOKEN_PROGRAM].key),
                  ERR_CONSTRAINT_SEEDS))) return r;
    if ((r = need(accumulator_ata->is_writable && accumulator->is_writable, ERR_CONSTRAINT_MUT))) return r;
    to->fee_to = accumulator_ata; to->fee_owner = accumulator; to->cashback = true;
    return 0;
}

NOINLINE u64 check_current_accounts(const SolParams *p, bool is_buy, CreatorFeeTo *to) {
    const SolAccountInfo *a = p->ka, *pool = &a[T_POOL];
    bool cashback = is_pool_cashback(pool);
    u64 r, idl = is_buy ? B_IDL_ACCOUNTS : S_IDL_ACCOUNTS, tail = idl + (cashback ? (is_buy ? 1 : 2) : 0);
    if (p->ka_num < idl) return fail(ERR_ACCOUNT_NOT_ENOUGH_KEYS);
    if (p->ka_num < tail + 3) return fail(ERR_AMM_BUYBACK_FEE_RECIPIENT_MISSING);
    const SolAccountInfo *vault_ata = &a[X_CREATOR_VAULT_ATA], *vault_authority = &a[X_CREATOR_VAULT_AUTHORITY];
    const SolPubkey *quote = a[T_QUOTE_MINT].key, *quote_program = a[T_QUOTE_TOKEN_PROGRAM].key;
    if ((r = need(is_pda2(vault_authority->key, "creator_vault", 13, pool->data + POOL_COIN_CREATOR, p->program_id)
                  && is_ata(vault_ata->key, vault_authority->key, quote, quote_program), ERR_CONSTRAINT_SEEDS))) return r;
    if ((r = need(vault_ata->is_writable, ERR_CONSTRAINT_MUT))) return r;
    if (is_buy) {
        const SolAccountInfo *user_volume = &a[B_USER_VOLUME];
        if ((r = need(is_pda2(a[B_GLOBAL_VOLUME].key, "global_volume_accumulator", 25, NULL, p->program_id)
                      && is_pda2(user_volume->key, "user_volume_accumulator", 23, a[T_USER].key->x, p->program_id),
                      ERR_CONSTRAINT_SEEDS))) return r;
        if ((r = need(user_volume->is_writable, ERR_CONSTRAINT_MUT))) return r;
    }
    u64 fee_config = is_buy ? B_FEE_CONFIG : S_FEE_CONFIG;
    if ((r = need(is_pda2(a[fee_config].key, "fee_config", 10, p->program_id->x, &FEE_PROGRAM_ID), ERR_CONSTRAINT_SEEDS))) return r;
    if ((r = need(key_eq(a[fee_config + 1].key, &FEE_PROGRAM_ID), ERR_CONSTRAINT_ADDRESS))) return r;
    to->fee_to = vault_ata; to->fee_owner = vault_authority; to->cashback = false;
    if (cashback && (r = check_cashback_accounts(p, idl, is_buy ? &a[B_USER_VOLUME] : &a[idl + 1], to))) return r;
    return check_buyback_accounts(p, tail);
}

/* The user's ["user_volume_accumulator", user], created (paid by the user) when missing. */
NOINLINE u64 init_user_volume(const SolParams *p, const SolAccountInfo *accumulator) {
    const SolAccountInfo *user = &p->ka[T_USER];
    if (key_eq(accumulator->owner, p->program_id)) return 0;
    u8 bump;
    SolSignerSeed seeds[3] = {{(const u8 *)"user_volume_accumulator", 23}, {user->key->x, 32}, {&bump, 1}};
    SolPubkey derived;
    if (!find_pda(seeds, 2, p->program_id, &derived, &bump)) return fail(ERR_CONSTRAINT_SEEDS);
    SolSignerSeeds signer = {seeds, 3};
    NewAccount account = {user->key, accumulator->key, p->program_id, USER_VOLUME_ACCUMULATOR_SPACE};
    u64 r;
    if ((r = system_create_account(p, &account, &signer))) return r;
    copy_bytes(accumulator->data, ACCOUNT_USER_VOLUME_ACCUMULATOR, 8);
    copy_bytes(accumulator->data + 8, user->key, 32);
    return 0;
}

/* A quote ATA of `owner` the trade pays into, created idempotently (paid by the user) when missing. */
NOINLINE u64 ensure_quote_ata(const SolParams *p, const SolAccountInfo *ata, const SolPubkey *owner) {
    if (ata->data_len > 0) return 0;
    const SolAccountInfo *a = p->ka;
    u8 create_idempotent[1] = {1};
    SolAccountMeta metas[6] = {
        {a[T_USER].key, true, true}, {ata->key, true, false}, {owner, false, false},
        {a[T_QUOTE_MINT].key, false, false}, {&SYSTEM_PROGRAM_ID, false, false}, {a[T_QUOTE_TOKEN_PROGRAM].key, false, false}};
    Call c = {&ATA_PROGRAM_ID, metas, 6, create_idempotent, 1};
    return invoke_call(p, &c, NULL);
}
