"""The local PumpSwap program takes a buy and a sell only with the current account lists and checks
every account past the 17th as the real program does (localnet/programs/pumpswap_accounts.h):
idl/pump_amm.json buy accounts 18-23 / sell accounts 18-21, the cashback accounts of a cashback pool
(PUMP_CASHBACK_README.md), then pool-v2, a buyback fee recipient GlobalConfig lists and its quote ATA
(BREAKING_FEE_RECIPIENT.md: required since April 28th 2026, so the pre-upgrade 17-account list is
refused). Then the pool's economics: lp, protocol and coin-creator fees, the creator fee going to the
trader's accumulator on a cashback coin, priced to the unit by the bot's own functions; and a mayhem
coin's pool, which pays a reserved fee recipient. The account lists are the docs-written ones of
tests/test_pumpswap_buy_v2.py and test_pumpswap_sell_v2.py; a USDC-quoted pool (migrate_v2) is the
market's graduated USDC coin, and its quote ATAs are USDC's."""
from __future__ import annotations

import struct

import pytest
from solders.account import Account
from solders.instruction import AccountMeta, Instruction
from solders.keypair import Keypair
from solders.pubkey import Pubkey
from solders.token.state import Mint

from actors.pool_buy import pool_buy_quote
from actors.pool_sell import PoolState, min_quote_out
from adapters.pumpswap import amm
from adapters.pumpswap.events import swap_events_from_logs
from adapters.pumpswap.fees import decode_fee_config, pool_fee_rates
from adapters.pumpswap.instructions_v2 import PoolKeys
from adapters.pumpswap.layout import GLOBAL_CONFIG, POOL
from adapters.pumpswap.wsol import build_wrap
from tests.localnet.test_pump_migrate_v2 import (CURVE_TOKENS, MIGRATE_BUDGET, PUMP_AMM, VTOK, WSOL, canonical_pool,
                                                 migrate_v2_accounts, token_amount)
from tests.localnet.test_pump_usdc import USDC, USDC_VIRTUAL, fund_usdc
from tests.localnet.test_pump_v2 import (GLOBAL, PUMP, RESERVED, TOKEN, TOKEN_2022, Chain, ata, create_user_ata,
                                         create_v2, disc, pda, quote_fees, ro, v2_accounts, w)
from tests.test_pumpswap_buy_v2 import BUY_DISCRIMINATOR, expected as expected_buy
from tests.test_pumpswap_sell_v2 import BUYBACK, PROTOCOL, SELL_DISCRIMINATOR, expected as expected_sell

OTHER = Keypair().pubkey()
# Anchor's ConstraintMut 2000, ConstraintSeeds 2006, ConstraintAddress 2012, AccountNotEnoughKeys 3005;
# idl/pump_amm.json's BuybackFeeRecipientNotAuthorized 6053 and BuybackFeeRecipientMissing 6058
MUT, SEEDS, ADDRESS, NOT_ENOUGH, NOT_A_BUYBACK_RECIPIENT, NO_BUYBACK_RECIPIENT = 2000, 2006, 2012, 3005, 6053, 6058
USER_VOLUME_ACCUMULATOR_SPACE = 137      # docs/instructions/BUY.md: "Rent for 137-byte account if missing"
USER_VOLUME_ACCUMULATOR_DISCRIMINATOR = bytes([86, 255, 112, 14, 102, 53, 154, 250])   # idl accounts
FEE_PROGRAM = Pubkey.from_string("pfeeUxB6jkeY1Hxd7CsFCAjcbHA9rWtchMGdZ6VojVZ")
FEE_CONFIG = Pubkey.find_program_address([b"fee_config", bytes(PUMP_AMM)], FEE_PROGRAM)[0]   # idl buy.fee_config


def install_native_mint(chain: Chain) -> None:
    """The WSOL mint, as on any cluster (the node has it; a bare LiteSVM does not)."""
    native_mint = bytes(Mint(mint_authority=None, supply=0, decimals=9, is_initialized=True, freeze_authority=None))
    chain.svm.set_account(WSOL, Account(lamports=chain.svm.minimum_balance_for_rent_exemption(82), data=native_mint,
                                        owner=TOKEN, executable=False, rent_epoch=0))


def graduated_coin(chain: Chain, cashback=False, mayhem=False, quote=USDC) -> tuple[PoolKeys, Pubkey]:
    """create_v2 (cashback / mayhem as asked) paired with `quote` (USDC or WSOL), its curve bought out,
    migrate_v2: (pool keys, creator)."""
    creator, mint = Pubkey.new_unique(), Keypair()
    curve = pda(b"bonding-curve", bytes(mint.pubkey()))
    ix = create_v2(mint.pubkey(), chain.user.pubkey(), creator, mayhem=mayhem, cashback=cashback)
    if quote == USDC:
        ix = Instruction(PUMP, bytes(ix.data), list(ix.accounts) + [ro(USDC), w(ata(curve, USDC, TOKEN)), ro(TOKEN)])
    chain.ok([ix], [mint])
    user, mint = chain.user.pubkey(), mint.pubkey()
    chain.ok([create_user_ata(user, mint, TOKEN_2022)])
    if quote == USDC:
        fund_usdc(chain, user, 20_000 * 10**6)
        cost = USDC_VIRTUAL * CURVE_TOKENS // (VTOK - CURVE_TOKENS) + 1
        fee, creator_fee, _ = quote_fees(cost)
        budget = 2 * (cost + fee + creator_fee)
    else:
        budget = 2 * (30 * 10**9 * CURVE_TOKENS // (VTOK - CURVE_TOKENS) + 1)
    fee_recipient = {"fee_recipient": RESERVED} if mayhem else {}
    chain.ok([Instruction(PUMP, disc("buy_v2") + struct.pack("<QQ", CURVE_TOKENS, budget),
                          v2_accounts(user, mint, creator, TOKEN_2022, quote_mint=quote, **fee_recipient))])
    withdraw_authority = Pubkey(bytes(chain.account(GLOBAL).data[113:145]))      # Global.withdraw_authority
    chain.ok([MIGRATE_BUDGET,
              Instruction(PUMP, disc("migrate_v2"), migrate_v2_accounts(user, mint, withdraw_authority, quote=quote))])
    pool = canonical_pool(mint, quote)
    keys = PoolKeys(pool, mint, quote, ata(pool, mint, TOKEN_2022), ata(pool, quote, TOKEN), creator, TOKEN_2022, TOKEN,
                    cashback)
    return keys, creator


def swap(discriminator: bytes, rows: list[tuple], amount: int = 10**12, limit: int = 0,
         extra: bytes = b"") -> Instruction:
    metas = [AccountMeta(key, is_signer=signer, is_writable=writable) for key, writable, signer in rows]
    return Instruction(PUMP_AMM, discriminator + struct.pack("<QQ", amount, limit) + extra, metas)


def replaced(rows: list[tuple], index: int, key=None, writable=None) -> list[tuple]:
    old_key, old_writable, signer = rows[index]
    return rows[:index] + [(old_key if key is None else key, old_writable if writable is None else writable, signer)] \
        + rows[index + 1:]


def accumulator(user: Pubkey) -> Pubkey:
    """The AMM's own ["user_volume_accumulator", user] (PUMP_CASHBACK_README.md)."""
    return pda(b"user_volume_accumulator", bytes(user), program=PUMP_AMM)


def refusals(chain: Chain, discriminator: bytes, rows: list[tuple], wrong: list[tuple], limit: int) -> list[tuple]:
    return [(index, chain.error_code([swap(discriminator, replaced(rows, index, key, writable), limit=limit)]))
            for index, key, writable, _ in wrong]


@pytest.mark.parametrize("cashback", [False, True], ids=["plain", "cashback"])
def test_a_sell_with_a_wrong_or_missing_account_is_refused(cashback):
    chain = Chain()
    keys, _ = graduated_coin(chain, cashback)
    user = chain.user.pubkey()
    rows = expected_sell(user, keys, cashback, quote=USDC)
    assert len(rows) == (26 if cashback else 24)
    at = 23 if cashback else 21                       # pool-v2's index: after the cashback pair, if any
    wrong = [  # (index, key or None, writable or None, error)
        (17, OTHER, None, SEEDS), (17, None, False, MUT),                       # coin creator vault ATA
        (18, OTHER, None, SEEDS),                                               # coin creator vault authority
        (19, OTHER, None, SEEDS), (20, OTHER, None, ADDRESS),                  # fee_config, fee_program
        (at, OTHER, None, SEEDS),                                               # pool-v2
        (at + 1, PROTOCOL, None, NOT_A_BUYBACK_RECIPIENT),                      # not a buyback fee recipient
        (at + 2, ata(BUYBACK, keys.base_mint, TOKEN_2022), None, SEEDS),        # not its quote ATA
        (at + 2, None, False, MUT),
    ]
    if cashback:
        other = accumulator(OTHER)
        wrong += [(21, ata(other, USDC, TOKEN), None, SEEDS), (21, None, False, MUT), (22, other, None, SEEDS),
                  (22, None, False, MUT)]
    assert refusals(chain, SELL_DISCRIMINATOR, rows, wrong, 0) == [(index, error) for index, _, _, error in wrong]
    short = [(rows[:20], NOT_ENOUGH), (rows[:17], NOT_ENOUGH),                 # the pre-upgrade 17 are refused
             (rows[:-1], NO_BUYBACK_RECIPIENT), (rows[:21], NO_BUYBACK_RECIPIENT)]
    if cashback:   # a cashback pool's sell without the cashback pair (BREAKING_FEE_RECIPIENT.md: 26 accounts)
        short.append((rows[:21] + rows[23:], NO_BUYBACK_RECIPIENT))
    assert [chain.error_code([swap(SELL_DISCRIMINATOR, cut)]) for cut, _ in short] == [error for _, error in short]

    held = token_amount(chain, ata(user, keys.base_mint, TOKEN_2022))
    chain.ok([swap(SELL_DISCRIMINATOR, rows)])                                 # the docs' list is taken
    assert token_amount(chain, ata(user, keys.base_mint, TOKEN_2022)) == held - 10**12


@pytest.mark.parametrize("cashback", [False, True], ids=["plain", "cashback"])
def test_a_buy_with_a_wrong_or_missing_account_is_refused(cashback):
    chain = Chain()
    keys, _ = graduated_coin(chain, cashback)
    user = chain.user.pubkey()
    rows = expected_buy(user, keys, cashback, quote=USDC)
    assert len(rows) == (27 if cashback else 26)
    at = 24 if cashback else 23                       # pool-v2's index: after the cashback ATA, if any
    limit = 10**12                                    # a million USDC: no wrong list fails on slippage
    wrong = [
        (17, OTHER, None, SEEDS), (17, None, False, MUT), (18, OTHER, None, SEEDS),   # coin creator vault
        (19, OTHER, None, SEEDS),                                               # global volume accumulator
        (20, accumulator(OTHER), None, SEEDS), (20, None, False, MUT),          # the user's volume accumulator
        (21, OTHER, None, SEEDS), (22, OTHER, None, ADDRESS),                  # fee_config, fee_program
        (at, OTHER, None, SEEDS), (at + 1, PROTOCOL, None, NOT_A_BUYBACK_RECIPIENT),
        (at + 2, ata(BUYBACK, keys.base_mint, TOKEN_2022), None, SEEDS), (at + 2, None, False, MUT),
    ]
    if cashback:
        wrong += [(23, ata(accumulator(OTHER), USDC, TOKEN), None, SEEDS), (23, None, False, MUT)]
    assert refusals(chain, BUY_DISCRIMINATOR, rows, wrong, limit) == [(index, error) for index, _, _, error in wrong]
    short = [(rows[:22], NOT_ENOUGH), (rows[:17], NOT_ENOUGH), (rows[:-1], NO_BUYBACK_RECIPIENT),
             (rows[:23], NO_BUYBACK_RECIPIENT)]
    if cashback:   # without the cashback ATA (BREAKING_FEE_RECIPIENT.md: a cashback coin's buy has 27)
        short.append((rows[:23] + rows[24:], NO_BUYBACK_RECIPIENT))
    assert [chain.error_code([swap(BUY_DISCRIMINATOR, cut, limit=limit)]) for cut, _ in short] == \
        [error for _, error in short]

    # the docs' list is taken; the user's AMM volume accumulator did not exist and is made, paid by the
    # user (idl buy_exact_quote_in: "unless already created"), so no init_user_volume_accumulator first
    assert chain.account(accumulator(user)) is None
    held = token_amount(chain, ata(user, keys.base_mint, TOKEN_2022))
    chain.ok([swap(BUY_DISCRIMINATOR, rows, limit=limit, extra=bytes([1]))])   # track_volume: Some(true)
    made = chain.account(accumulator(user))
    assert (made.owner, len(made.data)) == (PUMP_AMM, USER_VOLUME_ACCUMULATOR_SPACE)
    assert bytes(made.data[:40]) == USER_VOLUME_ACCUMULATOR_DISCRIMINATOR + bytes(user)
    assert token_amount(chain, ata(user, keys.base_mint, TOKEN_2022)) == held + 10**12
    chain.ok([swap(BUY_DISCRIMINATOR, rows, limit=limit)])                     # and again, with it in place


def pool_state(chain: Chain, keys: PoolKeys) -> PoolState:
    """What the bot reads before a pool trade (actors/pool_sell.read_pool does it over RPC), read here
    off the chain, priced with the bot's fee rules (adapters/pumpswap/fees.py)."""
    pool = POOL.decode(bytes(chain.account(keys.pool).data))
    config = GLOBAL_CONFIG.decode(bytes(chain.account(pda(b"global_config", program=PUMP_AMM)).data))
    reserves = amm.Reserves(token_amount(chain, keys.pool_base_token_account),
                            token_amount(chain, keys.pool_quote_token_account))
    fee_config = decode_fee_config(bytes(chain.account(FEE_CONFIG).data))
    supply = Mint.from_bytes(bytes(chain.account(keys.base_mint).data)[:82]).supply
    return PoolState(keys, pool, config, reserves, pool_fee_rates(config, pool, fee_config, reserves, supply))


def balance(chain: Chain, key: Pubkey) -> int:
    return token_amount(chain, key) if chain.account(key) is not None else 0


@pytest.mark.parametrize("cashback", [False, True], ids=["plain", "cashback"])
def test_the_bot_prices_pool_trades_to_the_unit_and_the_creator_fee_lands_where_the_docs_say(cashback):
    """The bot's own buy and sell pricing (actors/pool_buy.pool_buy_quote, actors/pool_sell.min_quote_out,
    no slippage) is exactly what the program charges and pays; the creator fee goes to the creator
    vault's quote ATA (PUMP_SWAP_CREATOR_FEE_README.md), or on a cashback coin to the quote ATA of the
    user's AMM volume accumulator and not to the creator (PUMP_CASHBACK_README.md)."""
    chain = Chain()
    keys, creator = graduated_coin(chain, cashback)
    user = chain.user.pubkey()
    vault = ata(pda(b"creator_vault", bytes(creator), program=PUMP_AMM), USDC, TOKEN)
    cashback_ata = ata(accumulator(user), USDC, TOKEN)
    user_usdc, user_coin = ata(user, USDC, TOKEN), ata(user, keys.base_mint, TOKEN_2022)

    state = pool_state(chain, keys)
    assert state.config.coin_creator_fee_basis_points > 0 and state.pool.coin_creator == creator
    base_out, cost = pool_buy_quote(state, 50 * 10**6, 0)
    creator_fee = amm.buy_base_out(state.reserves, base_out, *state.rates).coin_creator_fee
    before = (balance(chain, user_usdc), balance(chain, user_coin), balance(chain, vault), balance(chain, cashback_ata))
    chain.ok([swap(BUY_DISCRIMINATOR, expected_buy(user, keys, cashback, quote=USDC), base_out, cost)])
    after = (balance(chain, user_usdc), balance(chain, user_coin), balance(chain, vault), balance(chain, cashback_ata))
    paid_to = (0, creator_fee) if cashback else (creator_fee, 0)
    assert creator_fee > 0
    assert (before[0] - after[0], after[1] - before[1], after[2] - before[2], after[3] - before[3]) == \
        (cost, base_out, *paid_to)

    state = pool_state(chain, keys)
    proceeds = min_quote_out(state, base_out, 0)
    creator_fee = amm.sell_base_in(state.reserves, base_out, *state.rates).coin_creator_fee
    chain.ok([swap(SELL_DISCRIMINATOR, expected_sell(user, keys, cashback, quote=USDC), base_out, proceeds)])
    paid_to = (0, creator_fee) if cashback else (creator_fee, 0)
    assert creator_fee > 0
    assert (balance(chain, user_usdc) - after[0], after[1] - balance(chain, user_coin),
            balance(chain, vault) - after[2], balance(chain, cashback_ata) - after[3]) == (proceeds, base_out, *paid_to)


def test_a_mayhem_coin_graduates_into_a_mayhem_pool_that_pays_a_reserved_fee_recipient():
    """Pool.is_mayhem_mode (idl/pump_amm.json) is the curve's flag after migration, and a mayhem coin
    pays one of the reserved fee recipients (docs/FEE_RECIPIENTS.md), not a normal one."""
    chain = Chain()
    install_native_mint(chain)
    keys, _ = graduated_coin(chain, mayhem=True, quote=WSOL)
    assert POOL.decode(bytes(chain.account(keys.pool).data)).is_mayhem_mode
    plain, _ = graduated_coin(chain, quote=WSOL)
    assert not POOL.decode(bytes(chain.account(plain.pool).data)).is_mayhem_mode
    user = chain.user.pubkey()
    chain.ok(build_wrap(user, 10**9))
    rows = expected_buy(user, keys, False)
    reserved = replaced(replaced(rows, 9, RESERVED), 10, ata(RESERVED, WSOL, TOKEN))
    assert chain.error_code([swap(BUY_DISCRIMINATOR, rows, 10**9, 10**9)]) == ADDRESS
    chain.ok([swap(BUY_DISCRIMINATOR, reserved, 10**9, 10**9)])
    assert chain.error_code([swap(BUY_DISCRIMINATOR, replaced(replaced(
        expected_buy(user, plain, False), 9, RESERVED), 10, ata(RESERVED, WSOL, TOKEN)), 10**9, 10**9)]) == ADDRESS


def test_a_canonical_pool_pays_the_fee_tier_of_its_market_cap():
    """docs/FEE_PROGRAM_README.md: a canonical pool's lp, protocol and creator fee rates are the fee
    config tier of its market cap, quote reserve x base mint supply / base reserve; docs/fees.png:
    below 420 SOL 0.02 % + 0.93 % + 0.30 %, from 420 SOL 0.20 % + 0.05 % + 0.95 % (rates and
    thresholds written here from the picture, not read from the chain's set-up)."""
    chain = Chain()
    install_native_mint(chain)
    keys, creator = graduated_coin(chain, quote=WSOL)
    user = chain.user.pubkey()
    chain.ok(build_wrap(user, 900 * 10**9))
    supply = 10**15                                                  # the coin's whole supply

    def market_cap() -> int:
        return token_amount(chain, keys.pool_quote_token_account) * supply // token_amount(
            chain, keys.pool_base_token_account)

    def buy(base_out: int):
        base = token_amount(chain, keys.pool_base_token_account)
        quote = token_amount(chain, keys.pool_quote_token_account)
        result = chain.ok([swap(BUY_DISCRIMINATOR, expected_buy(user, keys, False), base_out, 10**15)])
        (event,) = swap_events_from_logs(result.logs())
        quote_in = -(-quote * base_out // (base - base_out))         # PUMP_SWAP_README.md, fees rounded up
        return event, quote_in

    def rates(event) -> tuple[int, int, int]:
        return event.lp_fee_basis_points, event.protocol_fee_basis_points, event.coin_creator_fee_basis_points

    assert market_cap() < 420 * 10**9                                # a just-graduated coin: the first tier
    event, quote_in = buy(10**12)
    fees = tuple(-(-quote_in * bps // 10_000) for bps in (2, 93, 30))
    assert rates(event) == (2, 93, 30)
    assert (event.quote_amount, event.lp_fee, event.protocol_fee, event.coin_creator_fee) == (quote_in, *fees)
    assert event.coin_creator == creator
    buy(60 * 10**12)                                                 # pushes the market cap past 420 SOL
    assert 420 * 10**9 <= market_cap() < 1_470 * 10**9
    event, quote_in = buy(10**12)
    assert rates(event) == (20, 5, 95)
    assert event.coin_creator_fee == -(-quote_in * 95 // 10_000)


CLAIM_CASHBACK_DISCRIMINATOR = bytes([37, 58, 35, 126, 190, 53, 228, 197])      # idl/pump_amm.json claim_cashback


def claim_cashback(user: Pubkey, quote=USDC, volume=None) -> Instruction:
    """idl/pump_amm.json claim_cashback: user (w), user_volume_accumulator (w), quote_mint,
    quote_token_program, the accumulator's quote ATA (w), the user's quote ATA (w), system_program,
    event_authority, program."""
    volume = volume or accumulator(user)
    rows = [(user, True), (volume, True), (quote, False), (TOKEN, False), (ata(volume, quote, TOKEN), True),
            (ata(user, quote, TOKEN), True), (Pubkey.default(), False),
            (pda(b"__event_authority", program=PUMP_AMM), False), (PUMP_AMM, False)]
    return Instruction(PUMP_AMM, CLAIM_CASHBACK_DISCRIMINATOR,
                       [AccountMeta(key, is_signer=False, is_writable=writable) for key, writable in rows])


# idl/pump_amm.json BuyEvent and SellEvent, field by field (i64/u64 "q", pubkey "k", bool "?", string "s"):
# 14 amounts, 7 keys (.. coin_creator), coin_creator_fee_basis_points, coin_creator_fee; the buy's
# track_volume, 4 volume fields, min_base_amount_out, ix_name; then cashback_fee_basis_points, cashback,
# buyback_fee_basis_points, buyback_fee
BUY_EVENT_FIELDS = "q" * 14 + "k" * 7 + "qq" + "?" + "qqqq" + "q" + "s" + "qqqq"
SELL_EVENT_FIELDS = "q" * 14 + "k" * 7 + "qq" + "qqqq"


def idl_event(logs: list[str], fields: str) -> list:
    """The one pump_amm `Program data:` event of `logs`, split by the IDL's fields; every byte used."""
    import base64
    (data,) = [base64.b64decode(line.split()[-1]) for line in logs if line.startswith("Program data:")]
    values, at = [], 8
    for kind in fields:
        if kind == "k":
            values.append(Pubkey(data[at:at + 32])); at += 32
        elif kind == "?":
            values.append(data[at]); at += 1
        elif kind == "s":
            (size,) = struct.unpack_from("<I", data, at)
            values.append(data[at + 4:at + 4 + size].decode()); at += 4 + size
        else:
            values.append(struct.unpack_from("<Q", data, at)[0]); at += 8
    assert at == len(data)
    return values


def test_pool_cashback_is_claimed_into_the_users_quote_account():
    """PUMP_CASHBACK_README.md: a cashback coin's pool trades collect the creator fee in the quote ATA of
    the user's AMM volume accumulator; claim_cashback moves all of it to the user's quote ATA."""
    chain = Chain()
    keys, _ = graduated_coin(chain, cashback=True)
    user = chain.user.pubkey()
    held = ata(accumulator(user), USDC, TOKEN)
    state = pool_state(chain, keys)
    base_out, cost = pool_buy_quote(state, 50 * 10**6, 0)
    earned = amm.buy_base_out(state.reserves, base_out, *state.rates).coin_creator_fee
    bought = chain.ok([swap(BUY_DISCRIMINATOR, expected_buy(user, keys, True, quote=USDC), base_out, cost)])
    event = idl_event(bought.logs(), BUY_EVENT_FIELDS)
    assert (event[22], event[30], event[31], event[29]) == (0, state.rates.coin_creator_fee_bps, earned, "buy")
    state = pool_state(chain, keys)
    on_sale = amm.sell_base_in(state.reserves, base_out, *state.rates).coin_creator_fee
    sold = chain.ok([swap(SELL_DISCRIMINATOR, expected_sell(user, keys, True, quote=USDC), base_out, 0)])
    event = idl_event(sold.logs(), SELL_EVENT_FIELDS)   # no creator fee: it is the trader's cashback
    assert event[21:25] == [0, 0, state.rates.coin_creator_fee_bps, on_sale]
    earned += on_sale
    assert balance(chain, held) == earned > 0

    other = Keypair().pubkey()
    assert chain.error_code([claim_cashback(user, volume=accumulator(other))]) == SEEDS
    before = balance(chain, ata(user, USDC, TOKEN))
    result = chain.ok([claim_cashback(user)])
    assert balance(chain, ata(user, USDC, TOKEN)) - before == earned and balance(chain, held) == 0
    assert any("Instruction: ClaimCashback" in line for line in result.logs())
    chain.ok([claim_cashback(user)])                                  # nothing left: claims zero
    assert balance(chain, ata(user, USDC, TOKEN)) - before == earned
