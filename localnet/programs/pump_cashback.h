/* Cashback claims (PUMP_CASHBACK_README.md, docs/instructions/CLAIM_CASHBACK.md, idl/pump.json):
 * claim_cashback (5 accounts) pays the lamports a user's volume accumulator holds above its rent to
 * the user; claim_cashback_v2 (10) does the same for WSOL, and for a quote token (USDC) moves the
 * accumulator's quote account balance to the user's quote account. Permissionless: `user` need not sign. */
#pragma once

static const u8 IX_CLAIM_CASHBACK[8] = {0x25, 0x3a, 0x23, 0x7e, 0xbe, 0x35, 0xe4, 0xc5};
static const u8 IX_CLAIM_CASHBACK_V2[8] = {0x7a, 0xf3, 0xcc, 0x41, 0x5e, 0x74, 0x1d, 0x37};
static const u8 EVENT_CLAIM_CASHBACK[8] = {0xe2, 0xd6, 0xf6, 0x21, 0x07, 0xf2, 0x93, 0xe5};

enum { CC_USER, CC_VOLUME, CC_SYSTEM, CC_EVENT_AUTHORITY, CC_PROGRAM, CC_ACCOUNTS };
enum { CV_USER, CV_VOLUME, CV_QUOTE_MINT, CV_QUOTE_TP, CV_ATA_PROGRAM, CV_VOLUME_QUOTE, CV_USER_QUOTE, CV_SYSTEM,
       CV_EVENT_AUTHORITY, CV_PROGRAM, CV_ACCOUNTS };
#define VOLUME_MIN_LEN 106                  /* through total_stable_cashback_claimed */

static u64 check_accumulator(const SolParams *p, const SolAccountInfo *user, const SolAccountInfo *volume, u8 *bump) {
    u64 r;
    SolSignerSeed seeds[2] = {{(const u8 *)"user_volume_accumulator", 23}, {user->key->x, 32}};
    if ((r = check_writable(user)) || (r = check_writable(volume)) || (r = check_pda(volume, seeds, 2, p->program_id, bump))) return r;
    if (!key_eq(volume->owner, p->program_id)) return fail(ERR_ACCOUNT_OWNED_BY_WRONG_PROGRAM);
    if (volume->data_len < VOLUME_MIN_LEN || !bytes_eq(volume->data, ACCOUNT_USER_VOLUME_ACCUMULATOR, 8))
        return fail(ERR_ACCOUNT_DISCRIMINATOR_MISMATCH);
    return 0;
}

/* ClaimCashbackEvent {user, amount, timestamp, total_claimed, total_cashback_earned}; lamports_moved:
   the self-CPI carries the two accounts whose lamports changed directly. */
static u64 emit_claim(const SolParams *p, const SolAccountInfo *user, const SolAccountInfo *volume, u64 amount, bool stable) {
    const u8 *d = volume->data;
    u8 buf[16 + 32 + 8 * 4];
    Writer w = event_writer(buf, sizeof(buf), EVENT_CLAIM_CASHBACK);
    put_key(&w, user->key); put_u64(&w, amount); put_u64(&w, (u64)clock_unix_timestamp());
    put_u64(&w, rd64(d + (stable ? VOLUME_STABLE_CASHBACK_CLAIMED : VOLUME_CASHBACK_CLAIMED)));
    put_u64(&w, rd64(d + (stable ? VOLUME_STABLE_CASHBACK_EARNED : VOLUME_CASHBACK_EARNED)));
    SolAccountMeta moved[2] = {{volume->key, true, false}, {user->key, true, false}};
    return emit_listing(p, &w, moved, stable ? 0 : 2);
}

NOINLINE u64 claim_sol_cashback(const SolParams *p, const SolAccountInfo *user, const SolAccountInfo *volume) {
    u64 rent = rent_exempt_minimum(volume->data_len);
    u64 amount = *volume->lamports > rent ? *volume->lamports - rent : 0;
    *volume->lamports -= amount;
    *user->lamports += amount;
    wr64(volume->data + VOLUME_CASHBACK_CLAIMED, rd64(volume->data + VOLUME_CASHBACK_CLAIMED) + amount);
    return emit_claim(p, user, volume, amount, false);
}

NOINLINE u64 claim_cashback(const SolParams *p) {
    const SolAccountInfo *a = p->ka;
    u64 r;
    u8 bump;
    if (p->ka_num < CC_ACCOUNTS) return fail(ERR_ACCOUNT_NOT_ENOUGH_KEYS);
    if ((r = check_accumulator(p, &a[CC_USER], &a[CC_VOLUME], &bump))) return r;
    if ((r = check_address(&a[CC_SYSTEM], &SYSTEM_PROGRAM_ID))) return r;
    if ((r = check_address(&a[CC_EVENT_AUTHORITY], &EVENT_AUTHORITY_PDA)) || (r = check_address(&a[CC_PROGRAM], p->program_id))) return r;
    return claim_sol_cashback(p, &a[CC_USER], &a[CC_VOLUME]);
}

NOINLINE u64 claim_cashback_v2(const SolParams *p) {
    const SolAccountInfo *a = p->ka, *user = &a[CV_USER], *volume = &a[CV_VOLUME];
    const SolAccountInfo *mint = &a[CV_QUOTE_MINT], *tp = &a[CV_QUOTE_TP];
    u64 r;
    u8 bump;
    if (p->ka_num < CV_ACCOUNTS) return fail(ERR_ACCOUNT_NOT_ENOUGH_KEYS);
    if ((r = check_accumulator(p, user, volume, &bump))) return r;
    if ((r = check_address(&a[CV_ATA_PROGRAM], &ATA_PROGRAM_ID)) || (r = check_address(&a[CV_SYSTEM], &SYSTEM_PROGRAM_ID))) return r;
    if ((r = check_address(&a[CV_EVENT_AUTHORITY], &EVENT_AUTHORITY_PDA)) || (r = check_address(&a[CV_PROGRAM], p->program_id))) return r;
    if (key_eq(mint->key, &WSOL_MINT)) {    /* legacy SOL cashback: lamports, the token accounts unused */
        if ((r = check_address(tp, &TOKEN_PROGRAM_ID))) return r;
        return claim_sol_cashback(p, user, volume);
    }
    if (!is_token_program(tp->key) || !key_eq(mint->owner, tp->key)) return fail(ERR_INVALID_QUOTE_TOKEN_PROGRAM);
    if ((r = check_ata(&a[CV_VOLUME_QUOTE], volume->key, tp, mint)) || (r = check_ata(&a[CV_USER_QUOTE], user->key, tp, mint))) return r;
    const SolAccountInfo *from = &a[CV_VOLUME_QUOTE];
    u64 amount = key_eq(from->owner, tp->key) && from->data_len >= 72 ? rd64(from->data + 64) : 0;
    if (amount) {
        SolSignerSeed seeds[3] = {{(const u8 *)"user_volume_accumulator", 23}, {user->key->x, 32}, {&bump, 1}};
        SolSignerSeeds signer = {seeds, 3};
        TradeAccounts q = {0};
        q.quote_mint = mint; q.quote_tp = tp;
        TokenMove move = {from->key, a[CV_USER_QUOTE].key, volume->key, amount, &signer};
        if ((r = quote_transfer(p, &q, &move))) return r;
    }
    wr64(volume->data + VOLUME_STABLE_CASHBACK_CLAIMED, rd64(volume->data + VOLUME_STABLE_CASHBACK_CLAIMED) + amount);
    return emit_claim(p, user, volume, amount, true);
}
