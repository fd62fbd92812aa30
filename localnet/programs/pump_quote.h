/* Trades of a curve paired with a quote token (USDC): the same amounts as a SOL-paired trade, moved
 * as token transfers between the quote token accounts named by the v2 / v3 lists. */
#pragma once

static u64 quote_transfer(const SolParams *p, const TradeAccounts *t, const TokenMove *m) {
    if (m->amount == 0) return 0;
    u8 data[10];
    wr64(data + 1, m->amount);
    if (key_eq(t->quote_tp->key, &TOKEN_PROGRAM_ID)) {
        data[0] = 3;
        SolAccountMeta metas[3] = {{m->from, true, false}, {m->to, true, false}, {m->authority, false, true}};
        Call c = {&TOKEN_PROGRAM_ID, metas, 3, data, 9};
        return invoke_call(p, &c, m->signer);
    }
    data[0] = 12; data[9] = t->quote_mint->data_len > 44 ? t->quote_mint->data[44] : 0;   /* the mint's decimals */
    SolAccountMeta metas[4] = {{m->from, true, false}, {t->quote_mint->key, false, false}, {m->to, true, false},
                               {m->authority, false, true}};
    Call c = {&TOKEN_2022_PROGRAM_ID, metas, 4, data, 10};
    return invoke_call(p, &c, m->signer);
}

/* v2: fee recipient's and creator vault's quote ATAs are created when missing (BUY.md: "ATA rent if missing") */
static u64 pay_fees_out_in_quote(const SolParams *p, const TradeAccounts *t, const Fees *f, const TokenMove *source) {
    u64 r;
    const SolPubkey *from = source->from, *authority = source->authority;
    const SolSignerSeeds *signer = source->signer;
    const SolPubkey *payer = t->user->key;
    if ((r = create_ata(p, payer, t->fee_recipient->key, t->quote_tp, t->quote_mint))) return r;
    TokenMove fee = {from, t->fee_quote_ata->key, authority, f->fee - f->buyback_fee, signer};
    if ((r = quote_transfer(p, t, &fee))) return r;
    if (!f->creator_fee) return 0;
    if ((r = create_ata(p, payer, t->creator_vault->key, t->quote_tp, t->quote_mint))) return r;
    TokenMove creator = {from, t->vault_quote_ata->key, authority, f->creator_fee, signer};
    return quote_transfer(p, t, &creator);
}

/* a cashback coin's cashback: to the accumulator's quote account, created when missing (payer: the trader) */
static u64 pay_cashback_in_quote(const SolParams *p, const TradeAccounts *t, const Fees *f, const TokenMove *source) {
    if (!f->cashback) return 0;
    u64 r;
    if ((r = create_ata(p, t->user->key, t->cashback_to->key, t->quote_tp, t->quote_mint))) return r;
    TokenMove cashback = {source->from, t->cashback_quote_ata->key, source->authority, f->cashback, source->signer};
    return quote_transfer(p, t, &cashback);
}

NOINLINE u64 pay_buy_in_quote(const SolParams *p, TradeAccounts *t, const Fees *f, u64 cost) {
    u64 r;
    const SolPubkey *user = t->user->key, *from = t->user_quote_ata->key;
    u64 to_curve = cost + (t->keep_fees ? f->fee - f->buyback_fee + f->creator_fee : 0);
    TokenMove curve = {from, t->curve_quote_ata->key, user, to_curve, NULL};
    if ((r = quote_transfer(p, t, &curve))) return r;
    TokenMove buyback = {from, t->buyback_quote_ata->key, user, f->buyback_fee, NULL};
    if ((r = quote_transfer(p, t, &buyback))) return r;
    if (t->keep_fees) { keep_fees_on_curve(t, f); return 0; }
    TokenMove source = {from, NULL, user, 0, NULL};
    if ((r = pay_fees_out_in_quote(p, t, f, &source))) return r;
    return pay_cashback_in_quote(p, t, f, &source);
}

NOINLINE u64 pay_sell_in_quote(const SolParams *p, const TradeAccounts *t, const Fees *f, u64 net) {
    u64 r;
    u8 bump = t->curve_bump;
    SolSignerSeed seeds[3] = {{(const u8 *)"bonding-curve", 13}, {t->mint->key->x, 32}, {&bump, 1}};
    SolSignerSeeds signer = {seeds, 3};
    const SolPubkey *from = t->curve_quote_ata->key, *curve = t->curve->key;
    TokenMove to_user = {from, t->user_quote_ata->key, curve, net, &signer};
    if ((r = quote_transfer(p, t, &to_user))) return r;
    TokenMove buyback = {from, t->buyback_quote_ata->key, curve, f->buyback_fee, &signer};
    if ((r = quote_transfer(p, t, &buyback))) return r;
    TokenMove source = {from, NULL, curve, 0, &signer};
    if (t->keep_fees) return 0;
    if ((r = pay_fees_out_in_quote(p, t, f, &source))) return r;
    return pay_cashback_in_quote(p, t, f, &source);
}
