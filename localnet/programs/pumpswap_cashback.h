/* A cashback pool's trades credit the trader's AMM UserVolumeAccumulator (cashback_earned; the quote
 * itself sits in the accumulator's quote ATA), and `claim_cashback` (idl/pump_amm.json, 9 accounts, no
 * args) moves that ATA's whole balance to the user's quote ATA (PUMP_CASHBACK_README.md: "It transfers
 * WSOL from the WSOL ATA of the UserVolumeAccumulator to the user's WSOL ATA"), which must exist.
 * Permissionless, as the pump program's: `user` need not sign. Included by pumpswap.c. */

static const u8 IX_CLAIM_CASHBACK[8] = {0x25, 0x3a, 0x23, 0x7e, 0xbe, 0x35, 0xe4, 0xc5};
static const u8 EVENT_CLAIM_CASHBACK[8] = {0xe2, 0xd6, 0xf6, 0x21, 0x07, 0xf2, 0x93, 0xe5};

/* UserVolumeAccumulator (idl field order): user, needs_claim, total_unclaimed_tokens, total_claimed_tokens,
   current_sol_volume, last_update_timestamp, has_total_claimed_tokens, cashback_earned, total_cashback_claimed */
#define AMM_VOLUME_CASHBACK_EARNED 74
#define AMM_VOLUME_CASHBACK_CLAIMED 82

enum { CC_USER, CC_VOLUME, CC_QUOTE_MINT, CC_QUOTE_TP, CC_VOLUME_QUOTE, CC_USER_QUOTE, CC_SYSTEM, CC_EVENT_AUTHORITY,
       CC_PROGRAM, CC_ACCOUNTS };

static void credit_cashback(const SolAccountInfo *accumulator, u64 amount) {
    if (accumulator->data_len >= AMM_VOLUME_CASHBACK_CLAIMED + 8)
        wr64(accumulator->data + AMM_VOLUME_CASHBACK_EARNED, rd64(accumulator->data + AMM_VOLUME_CASHBACK_EARNED) + amount);
}

NOINLINE u64 claim_cashback(const SolParams *p) {
    const SolAccountInfo *a = p->ka, *user = &a[CC_USER], *volume = &a[CC_VOLUME], *from = &a[CC_VOLUME_QUOTE];
    u64 r;
    if (p->ka_num < CC_ACCOUNTS) return fail(ERR_ACCOUNT_NOT_ENOUGH_KEYS);
    const SolPubkey *mint = a[CC_QUOTE_MINT].key, *tp = a[CC_QUOTE_TP].key;
    if ((r = need(user->is_writable && volume->is_writable && from->is_writable && a[CC_USER_QUOTE].is_writable,
                  ERR_CONSTRAINT_MUT))) return r;
    u8 bump;
    SolSignerSeed seeds[3] = {{(const u8 *)"user_volume_accumulator", 23}, {user->key->x, 32}, {&bump, 1}};
    SolPubkey derived;
    if (!find_pda(seeds, 2, p->program_id, &derived, &bump) || !key_eq(&derived, volume->key)) return fail(ERR_CONSTRAINT_SEEDS);
    if ((r = need(is_ata(from->key, volume->key, mint, tp) && is_ata(a[CC_USER_QUOTE].key, user->key, mint, tp)
                  && is_pda2(a[CC_EVENT_AUTHORITY].key, "__event_authority", 17, NULL, p->program_id), ERR_CONSTRAINT_SEEDS))) return r;
    if ((r = need(key_eq(tp, &TOKEN_PROGRAM_ID) && key_eq(a[CC_SYSTEM].key, &SYSTEM_PROGRAM_ID)
                  && key_eq(a[CC_PROGRAM].key, p->program_id), ERR_CONSTRAINT_ADDRESS))) return r;
    if (!key_eq(volume->owner, p->program_id)) return fail(ERR_ACCOUNT_OWNED_BY_WRONG_PROGRAM);
    if ((r = need(volume->data_len >= AMM_VOLUME_CASHBACK_CLAIMED + 8 && bytes_eq(volume->data, ACCOUNT_USER_VOLUME_ACCUMULATOR, 8),
                  ERR_ACCOUNT_DISCRIMINATOR_MISMATCH))) return r;
    u64 amount = token_amount(from);
    SolSignerSeeds signer = {seeds, 3};
    if ((r = token_transfer(p, &(Move){from->key, a[CC_USER_QUOTE].key, volume->key, amount}, &signer))) return r;
    wr64(volume->data + AMM_VOLUME_CASHBACK_CLAIMED, rd64(volume->data + AMM_VOLUME_CASHBACK_CLAIMED) + amount);
    u8 buf[16 + 32 + 8 * 4];                /* ClaimCashbackEvent {user, amount, timestamp, total_claimed, total_cashback_earned} */
    Writer w = event_writer(buf, sizeof(buf), EVENT_CLAIM_CASHBACK);
    put_key(&w, user->key); put_u64(&w, amount); put_u64(&w, (u64)clock_unix_timestamp());
    put_u64(&w, rd64(volume->data + AMM_VOLUME_CASHBACK_CLAIMED)); put_u64(&w, rd64(volume->data + AMM_VOLUME_CASHBACK_EARNED));
    emit(p, &w);
    return 0;
}
