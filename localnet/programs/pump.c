/* A pump.fun-compatible bonding-curve program (create, create_v2, buy, buy_exact_sol_in, sell with the 2026 account lists, buy_v2/sell_v2/buy_exact_quote_in_v2, their v3 and the fee sweeps, migrate), written from
 * shared/PROTOCOL_FACTS.md and the public IDL. Exact integer curve math and fees; events
 * as Anchor `Program data:` logs. Build: python -m localnet.programs.build */
#include "sbf.h"
#include "pump_ids.h"
#include "pump_layout.h"

static const char *error_name(u64 code) {
    if (code == ERR_NOT_AUTHORIZED) return "NotAuthorized";
    if (code == ERR_TOO_MUCH_SOL_REQUIRED) return "TooMuchSolRequired";
    if (code == ERR_TOO_LITTLE_SOL_RECEIVED) return "TooLittleSolReceived";
    if (code == ERR_BONDING_CURVE_COMPLETE) return "BondingCurveComplete";
    if (code == ERR_BONDING_CURVE_NOT_COMPLETE) return "BondingCurveNotComplete";
    if (code == ERR_NOT_INITIALIZED) return "NotInitialized";
    if (code == ERR_BUY_ZERO_AMOUNT) return "BuyZeroAmount";
    if (code == ERR_SELL_ZERO_AMOUNT) return "SellZeroAmount";
    if (code == ERR_ARITHMETIC_OVERFLOW) return "Overflow";
    if (code == ERR_CREATOR_SHOULD_NOT_BE_ZERO) return "CreatorShouldNotBeZero";
    if (code == ERR_NAME_TOO_LONG) return "NameTooLong";
    if (code == ERR_SYMBOL_TOO_LONG) return "SymbolTooLong";
    if (code == ERR_URI_TOO_LONG) return "UriTooLong";
    if (code == ERR_BUY_NOT_ENOUGH_SOL_TO_COVER_FEES) return "BuyNotEnoughSolToCoverFees";
    if (code == ERR_BUY_SLIPPAGE_BELOW_MIN_TOKENS_OUT) return "BuySlippageBelowMinTokensOut";
    if (code == ERR_BUYBACK_FEE_RECIPIENT_NOT_AUTHORIZED) return "BuybackFeeRecipientNotAuthorized";
    if (code == ERR_BUYBACK_FEE_RECIPIENT_MISSING) return "BuybackFeeRecipientMissing";
    if (code == 6063) return "UnsupportedQuoteMint";
    if (code == 6064) return "InvalidQuoteTokenProgram";
    if (code == 6094) return "CashbackCoinNotSupported";
    if (code == ERR_CONSTRAINT_MUT) return "ConstraintMut";
    if (code == ERR_CONSTRAINT_HAS_ONE) return "ConstraintHasOne";
    if (code == ERR_CONSTRAINT_SEEDS) return "ConstraintSeeds";
    if (code == ERR_CONSTRAINT_ADDRESS) return "ConstraintAddress";
    if (code == ERR_ACCOUNT_DISCRIMINATOR_MISMATCH) return "AccountDiscriminatorMismatch";
    if (code == ERR_ACCOUNT_NOT_ENOUGH_KEYS) return "AccountNotEnoughKeys";
    if (code == ERR_ACCOUNT_OWNED_BY_WRONG_PROGRAM) return "AccountOwnedByWrongProgram";
    if (code == ERR_ACCOUNT_NOT_SIGNER) return "AccountNotSigner";
    if (code == ERR_INSTRUCTION_FALLBACK_NOT_FOUND) return "InstructionFallbackNotFound";
    return "InstructionDidNotDeserialize";
}

/* Logs like Anchor ("AnchorError occurred. Error Code: X. Error Number: N.") and returns Custom(N). */
static u64 fail(u64 code) {
    u8 buf[128];
    Writer w = {buf, 0, sizeof(buf), false};
    const char *prefix = "AnchorError occurred. Error Code: ", *number = ". Error Number: ", *name = error_name(code);
    put_bytes(&w, prefix, 34);
    u64 n = 0;
    while (name[n]) n++;
    put_bytes(&w, name, n);
    put_bytes(&w, number, 16);
    u8 digits[20];
    int d = 0;
    for (u64 v = code; d == 0 || v; v /= 10) digits[d++] = (u8)('0' + v % 10);
    while (d) put_u8(&w, digits[--d]);
    put_u8(&w, '.');
    sol_log_((const char *)buf, w.len);
    return code;
}

/* ---------- account checks ---------- */
static u64 check_signer(const SolAccountInfo *a) { return a->is_signer ? 0 : fail(ERR_ACCOUNT_NOT_SIGNER); }
static u64 check_writable(const SolAccountInfo *a) { return a->is_writable ? 0 : fail(ERR_CONSTRAINT_MUT); }
static u64 check_address(const SolAccountInfo *a, const SolPubkey *expected) {
    return key_eq(a->key, expected) ? 0 : fail(ERR_CONSTRAINT_ADDRESS);
}

/* The Global account: at its PDA, owned by this program, with the Global discriminator. */
static u64 check_global(const SolParams *p, const SolAccountInfo *g) {
    if (!key_eq(g->key, &GLOBAL_PDA)) return fail(ERR_CONSTRAINT_SEEDS);
    if (!key_eq(g->owner, p->program_id)) return fail(ERR_ACCOUNT_OWNED_BY_WRONG_PROGRAM);
    if (g->data_len < GLOBAL_MIN_LEN || !bytes_eq(g->data, ACCOUNT_GLOBAL, 8)) return fail(ERR_ACCOUNT_DISCRIMINATOR_MISMATCH);
    if (!g->data[GLOBAL_INITIALIZED]) return fail(ERR_NOT_INITIALIZED);
    return 0;
}

/* The fee recipient must be Global.fee_recipient or one of Global.fee_recipients[7]. */
static u64 check_fee_recipient(const SolAccountInfo *g, const SolAccountInfo *fee_recipient) {
    if (key_eq(fee_recipient->key, (const SolPubkey *)(g->data + GLOBAL_FEE_RECIPIENT))) return 0;
    for (int i = 0; i < 7; i++)
        if (key_eq(fee_recipient->key, (const SolPubkey *)(g->data + GLOBAL_FEE_RECIPIENTS + 32 * i))) return 0;
    return fail(ERR_NOT_AUTHORIZED);
}

/* account must be the PDA of seeds; the bump is returned for signing */
static u64 check_pda(const SolAccountInfo *a, const SolSignerSeed *seeds, int n, const SolPubkey *program, u8 *bump) {
    SolPubkey derived;
    if (!find_pda(seeds, n, program, &derived, bump) || !key_eq(&derived, a->key)) return fail(ERR_CONSTRAINT_SEEDS);
    return 0;
}

static u64 check_curve_pda(const SolAccountInfo *curve, const SolAccountInfo *mint, const SolPubkey *program, u8 *bump) {
    SolSignerSeed seeds[2] = {{(const u8 *)"bonding-curve", 13}, {mint->key->x, 32}};
    return check_pda(curve, seeds, 2, program, bump);
}

static u64 check_ata(const SolAccountInfo *ata, const SolPubkey *owner, const SolAccountInfo *token_program, const SolAccountInfo *mint) {
    SolSignerSeed seeds[3] = {{owner->x, 32}, {token_program->key->x, 32}, {mint->key->x, 32}};
    u8 bump;
    return check_pda(ata, seeds, 3, &ATA_PROGRAM_ID, &bump);
}

static u64 check_creator_vault(const SolAccountInfo *vault, const SolPubkey *creator, const SolPubkey *program) {
    SolSignerSeed seeds[2] = {{(const u8 *)"creator-vault", 13}, {creator->x, 32}};
    u8 bump;
    return check_pda(vault, seeds, 2, program, &bump);
}

static bool is_token_program(const SolPubkey *k) { return key_eq(k, &TOKEN_PROGRAM_ID) || key_eq(k, &TOKEN_2022_PROGRAM_ID); }

/* ATA CreateIdempotent: owner's account for mint under token_program, rent paid by payer */
static u64 create_ata(const SolParams *p, const SolPubkey *payer, const SolPubkey *owner, const SolAccountInfo *token_program,
                      const SolAccountInfo *mint) {
    SolPubkey ata;
    u8 bump, create[1] = {1};
    SolSignerSeed seeds[3] = {{owner->x, 32}, {token_program->key->x, 32}, {mint->key->x, 32}};
    if (!find_pda(seeds, 3, &ATA_PROGRAM_ID, &ata, &bump)) return fail(ERR_CONSTRAINT_SEEDS);
    SolAccountMeta metas[6] = {{payer, true, true}, {&ata, true, false}, {owner, false, false}, {mint->key, false, false},
                               {&SYSTEM_PROGRAM_ID, false, false}, {token_program->key, false, false}};
    Call c = {&ATA_PROGRAM_ID, metas, 6, create, 1};
    return invoke_call(p, &c, NULL);
}

/* A live curve of this program for this mint. */
static u64 load_curve(const SolParams *p, const SolAccountInfo *curve, Curve *c) {
    if (!key_eq(curve->owner, p->program_id)) return fail(ERR_ACCOUNT_OWNED_BY_WRONG_PROGRAM);
    if (curve->data_len < CURVE_MIN_LEN || !bytes_eq(curve->data, ACCOUNT_BONDING_CURVE, 8)) return fail(ERR_ACCOUNT_DISCRIMINATOR_MISMATCH);
    curve_read(curve->data, c);
    if (c->complete) return fail(ERR_BONDING_CURVE_COMPLETE);
    return 0;
}

/* ceil(amount * bps / 10000) */
static bool fee_of(u64 amount, u64 bps, u64 *fee) { return mul_div(amount, bps, 10000, true, fee); }

/* ---------- create ---------- */
#include "pump_create.h"
#include "pump_create_v2.h"

/* ---------- trades ---------- */
#include "pump_fee_config.h"
#include "pump_trade.h"
#include "pump_trade_v2.h"
#include "pump_cashback.h"

/* ---------- migrate ---------- */
#include "pump_migrate.h"
#include "pump_migrate_v2.h"

u64 entrypoint(u8 *input) {
    SolParams *p = heap_alloc(sizeof(SolParams));
    if (!p || !sol_deserialize(input, p)) return ERR_NOT_ENOUGH_ACCOUNT_KEYS;
    if (p->data_len < 8) return fail(ERR_INSTRUCTION_FALLBACK_NOT_FOUND);
    Reader args = {p->data, p->data_len, 8, false};
    if (bytes_eq(p->data, EVENT_IX_TAG, 8)) {   /* our own emitted event: only the event authority may */
        bool ok = p->ka_num >= 1 && p->ka[0].is_signer && key_eq(p->ka[0].key, &EVENT_AUTHORITY_PDA);
        return ok ? 0 : fail(ERR_NOT_AUTHORIZED);
    }
    if (bytes_eq(p->data, IX_BUY, 8)) { LOG("Instruction: Buy"); return buy(p, &args); }
    if (bytes_eq(p->data, IX_SELL, 8)) { LOG("Instruction: Sell"); return sell(p, &args); }
    if (bytes_eq(p->data, IX_BUY_EXACT_SOL_IN, 8)) { LOG("Instruction: BuyExactSolIn"); return buy_exact_sol_in(p, &args); }
    if (bytes_eq(p->data, IX_BUY_V2, 8)) { LOG("Instruction: BuyV2"); return unified_trade(p, &args, 2, BUY_TOKENS, "buy_v2"); }
    if (bytes_eq(p->data, IX_SELL_V2, 8)) { LOG("Instruction: SellV2"); return unified_trade(p, &args, 2, SELL_TOKENS, "sell_v2"); }
    if (bytes_eq(p->data, IX_BUY_EXACT_QUOTE_IN_V2, 8)) {
        LOG("Instruction: BuyExactQuoteInV2"); return unified_trade(p, &args, 2, BUY_EXACT_QUOTE_IN, "buy_exact_quote_in_v2"); }
    if (bytes_eq(p->data, IX_BUY_V3, 8)) { LOG("Instruction: BuyV3"); return unified_trade(p, &args, 3, BUY_TOKENS, "buy_v3"); }
    if (bytes_eq(p->data, IX_SELL_V3, 8)) { LOG("Instruction: SellV3"); return unified_trade(p, &args, 3, SELL_TOKENS, "sell_v3"); }
    if (bytes_eq(p->data, IX_BUY_EXACT_QUOTE_IN_V3, 8)) {
        LOG("Instruction: BuyExactQuoteInV3"); return unified_trade(p, &args, 3, BUY_EXACT_QUOTE_IN, "buy_exact_quote_in_v3"); }
    if (bytes_eq(p->data, IX_CLAIM_CASHBACK, 8)) { LOG("Instruction: ClaimCashback"); return claim_cashback(p); }
    if (bytes_eq(p->data, IX_CLAIM_CASHBACK_V2, 8)) { LOG("Instruction: ClaimCashbackV2"); return claim_cashback_v2(p); }
    if (bytes_eq(p->data, IX_SWEEP_PROTOCOL_FEE, 8)) { LOG("Instruction: SweepProtocolFee"); return sweep(p, 0); }
    if (bytes_eq(p->data, IX_SWEEP_CREATOR_FEE, 8)) { LOG("Instruction: SweepCreatorFee"); return sweep(p, 1); }
    if (bytes_eq(p->data, IX_CREATE, 8)) { LOG("Instruction: Create"); return create(p, &args); }
    if (bytes_eq(p->data, IX_CREATE_V2, 8)) { LOG("Instruction: CreateV2"); return create_v2(p, &args); }
    if (bytes_eq(p->data, IX_MIGRATE, 8)) { LOG("Instruction: Migrate"); return migrate(p); }
    if (bytes_eq(p->data, IX_MIGRATE_V2, 8)) { LOG("Instruction: MigrateV2"); return migrate_v2(p); }
    return fail(ERR_INSTRUCTION_FALLBACK_NOT_FOUND);
}
