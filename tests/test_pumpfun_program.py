"""The SBF pump.fun program (localnet/programs/pump.so) in LiteSVM, driven by real signed
transactions built with adapters.pumpfun: the golden replay of every real trade in
shared/data, slippage and account checks, completion, and what create leaves on chain."""
from __future__ import annotations

import pytest
from solders.keypair import Keypair
from solders.litesvm import LiteSVM
from solders.message import MessageV0
from solders.pubkey import Pubkey
from solders.token.state import Mint, TokenAccount
from solders.transaction import VersionedTransaction
from solders.transaction_status import InstructionErrorCustom

from adapters.pumpfun import addresses as addr
from adapters.pumpfun import curve
from adapters.pumpfun import instructions as ix
from adapters.pumpfun.events import EVENT_IX_TAG, events_from_inner_instructions, events_from_logs
from adapters.pumpfun.layout_v1 import (BONDING_CURVE, CompleteEvent, CreateEvent, TradeEvent,
                                        decode_token_metadata)
from localnet.programs import install_pumpfun
from tests.test_pumpfun_protocol import load_trade_chains

SOL = 1_000_000_000


class Chain:
    """One LiteSVM with the program installed, and a funded trader."""

    def __init__(self, trader: Keypair | None = None) -> None:
        self.svm = LiteSVM()
        self.deployment = install_pumpfun(self.svm)
        self.trader = trader or Keypair()
        self.svm.airdrop(self.trader.pubkey(), 10_000 * SOL)

    def send(self, instructions, signers):
        message = MessageV0.try_compile(signers[0].pubkey(), instructions, [], self.svm.latest_blockhash())
        result = self.svm.send_transaction(VersionedTransaction(message, signers))
        self.svm.expire_blockhash()        # identical trades in a row must still be new transactions
        return result

    def ok(self, instructions, signers):
        result = self.send(instructions, signers)
        assert not hasattr(result, "err"), f"{result.err()}\n" + "\n".join(result.meta().logs())
        return result

    def custom_error(self, instructions, signers) -> int:
        result = self.send(instructions, signers)
        assert hasattr(result, "err"), "transaction unexpectedly succeeded"
        err = result.err().err
        assert isinstance(err, InstructionErrorCustom), err
        return err.code

    def create_coin(self, creator: Pubkey | None = None, name="Local Coin", symbol="LOCAL", uri="https://x/y.json",
                    mint: Keypair | None = None):
        mint = mint or Keypair()
        result = self.ok([ix.build_create(mint.pubkey(), self.trader.pubkey(), name, symbol, uri, creator)],
                         [self.trader, mint])
        return mint.pubkey(), result

    def curve(self, mint: Pubkey):
        return BONDING_CURVE.decode(bytes(self.svm.get_account(addr.bonding_curve(mint)).data))

    def lamports(self, key: Pubkey) -> int:
        return self.svm.get_balance(key) or 0

    def buy(self, mint, creator, amount, max_cost, fee_recipient=None):
        fee_recipient = fee_recipient or self.deployment.global_state.fee_recipient
        return ix.build_buy_with_ata(self.trader.pubkey(), mint, creator, fee_recipient, amount, max_cost)

    def sell(self, mint, creator, amount, min_out, fee_recipient=None):
        fee_recipient = fee_recipient or self.deployment.global_state.fee_recipient
        return [ix.build_sell(self.trader.pubkey(), mint, creator, fee_recipient, amount, min_out)]


@pytest.fixture()
def chain() -> Chain:
    return Chain()


def test_golden_replay_of_every_real_trade(chain):
    """Every CSV row, in state order per coin, from a freshly created coin: reserves and fees exact.
    The Sept 2025 protocol fee went whole to the fee recipient; since 2026 Global.buyback_basis_points
    of it (rounded down) go to the buyback fee recipient, the rest to the fee recipient."""
    replayed = 0
    buyback = addr.MAINNET_BUYBACK_FEE_RECIPIENTS[0]
    buyback_bps = chain.deployment.global_state.buyback_basis_points
    assert buyback_bps == 5_000
    for mint_address, trades in load_trade_chains().items():
        creator = Pubkey.from_string(trades[0].creator)
        mint, _ = chain.create_coin(creator)
        vault = addr.creator_vault(creator)
        for row in trades:
            fee_recipient = Pubkey.from_string(row.fee_recipient)
            fee_before, vault_before = chain.lamports(fee_recipient), chain.lamports(vault)
            buyback_before = chain.lamports(buyback)
            if row.is_buy:
                result = chain.ok(chain.buy(mint, creator, row.tokens, row.sol + row.fee + row.creator_fee, fee_recipient),
                                  [chain.trader])
            else:
                result = chain.ok(chain.sell(mint, creator, row.tokens, row.sol - row.fee - row.creator_fee, fee_recipient),
                                  [chain.trader])
            state = chain.curve(mint)
            assert (state.virtual_sol_reserves, state.virtual_token_reserves, state.real_sol_reserves,
                    state.real_token_reserves) == (row.virtual_sol, row.virtual_tokens, row.real_sol, row.real_tokens), \
                f"{mint_address} row {replayed}"
            buyback_fee = row.fee * buyback_bps // 10_000
            assert chain.lamports(buyback) - buyback_before == buyback_fee
            assert chain.lamports(fee_recipient) - fee_before == row.fee - buyback_fee
            assert chain.lamports(vault) - vault_before == row.creator_fee
            (event,) = events_from_logs(result.logs()).of_type(TradeEvent)
            assert (event.sol_amount, event.token_amount, event.is_buy, event.fee, event.creator_fee) == \
                (row.sol, row.tokens, row.is_buy, row.fee, row.creator_fee)
            assert event.fee_recipient == fee_recipient and event.creator == creator
            assert (event.buyback_fee_basis_points, event.buyback_fee) == (buyback_bps, buyback_fee)
            assert event.ix_name == ("buy" if row.is_buy else "sell")
            replayed += 1
    assert replayed == 1499


def test_create_makes_mint_curve_and_metadata(chain):
    creator = Pubkey.new_unique()
    mint, result = chain.create_coin(creator, "Golden Retriever", "GOLD", "https://example.org/gold.json")
    mint_state = Mint.from_bytes(bytes(chain.svm.get_account(mint).data))
    assert mint_state.mint_authority is None and mint_state.freeze_authority is None
    assert mint_state.decimals == 6 and mint_state.supply == 10**15
    curve_ata = TokenAccount.from_bytes(bytes(chain.svm.get_account(addr.associated_bonding_curve(mint)).data))
    assert curve_ata.amount == 10**15 and curve_ata.owner == addr.bonding_curve(mint)
    state = chain.curve(mint)
    assert (state.virtual_token_reserves, state.virtual_sol_reserves, state.real_token_reserves, state.real_sol_reserves,
            state.complete, state.creator) == (1_073_000_000_000_000, 30 * SOL, 793_100_000_000_000, 0, False, creator)
    metadata_account = chain.svm.get_account(addr.metadata(mint))
    assert metadata_account.owner == addr.METADATA_PROGRAM
    metadata = decode_token_metadata(bytes(metadata_account.data))
    assert (metadata.name, metadata.symbol, metadata.uri, metadata.mint, metadata.update_authority, metadata.is_mutable) \
        == ("Golden Retriever", "GOLD", "https://example.org/gold.json", mint, addr.MINT_AUTHORITY, False)
    (event,) = events_from_logs(result.logs()).of_type(CreateEvent)
    assert (event.name, event.symbol, event.mint, event.bonding_curve, event.user, event.creator) == \
        ("Golden Retriever", "GOLD", mint, addr.bonding_curve(mint), chain.trader.pubkey(), creator)
    assert event.token_program == addr.TOKEN_PROGRAM and event.token_total_supply == 10**15


def test_slippage_errors(chain):
    creator = Pubkey.new_unique()
    mint, _ = chain.create_coin(creator)
    global_ = chain.deployment.global_state
    amount = 50_000_000_000_000
    total = curve.buy_total_cost(chain.curve(mint), global_, amount)
    assert chain.custom_error(chain.buy(mint, creator, amount, total - 1), [chain.trader]) == 6002
    chain.ok(chain.buy(mint, creator, amount, total), [chain.trader])
    net = curve.sell_net_proceeds(chain.curve(mint), global_, amount // 2)
    assert chain.custom_error(chain.sell(mint, creator, amount // 2, net + 1), [chain.trader]) == 6003
    chain.ok(chain.sell(mint, creator, amount // 2, net), [chain.trader])


def test_buy_with_and_without_track_volume_arg(chain):
    creator = Pubkey.new_unique()
    mint, _ = chain.create_coin(creator)
    for track_volume in (None, True, False):
        chain.ok(ix.build_buy_with_ata(chain.trader.pubkey(), mint, creator, chain.deployment.global_state.fee_recipient,
                                       10**12, 10 * SOL, track_volume=track_volume), [chain.trader])


def test_wrong_fee_recipient_and_wrong_pdas(chain):
    creator = Pubkey.new_unique()
    mint, _ = chain.create_coin(creator)
    other_mint, _ = chain.create_coin(creator)
    assert chain.custom_error(chain.buy(mint, creator, 10**12, SOL, fee_recipient=Pubkey.new_unique()), [chain.trader]) == 6000
    # creator vault of somebody else
    assert chain.custom_error(chain.buy(mint, Pubkey.new_unique(), 10**12, SOL), [chain.trader]) == 2006
    # the curve of another mint
    buy = ix.build_buy(chain.trader.pubkey(), mint, creator, chain.deployment.global_state.fee_recipient, 10**12, SOL)
    metas = list(buy.accounts)
    metas[3] = type(metas[3])(addr.bonding_curve(other_mint), False, True)
    wrong_curve = type(buy)(buy.program_id, buy.data, metas)
    create_ata = ix.build_create_ata_idempotent(chain.trader.pubkey(), chain.trader.pubkey(), mint)
    assert chain.custom_error([create_ata, wrong_curve], [chain.trader]) == 2006


def test_completion_then_trades_fail(chain):
    creator = Pubkey.new_unique()
    mint, _ = chain.create_coin(creator)
    everything = 10**15        # more than the curve holds: the program caps it at the real reserves
    result = chain.ok(chain.buy(mint, creator, everything, 200 * SOL), [chain.trader])
    state = chain.curve(mint)
    assert state.complete and state.real_token_reserves == 0
    assert state.virtual_token_reserves == 1_073_000_000_000_000 - 793_100_000_000_000
    decoded = events_from_logs(result.logs())
    (trade,) = decoded.of_type(TradeEvent)
    (complete,) = decoded.of_type(CompleteEvent)
    assert trade.token_amount == 793_100_000_000_000 and complete.mint == mint
    assert chain.custom_error(chain.buy(mint, creator, 10**9, SOL), [chain.trader]) == 6005
    assert chain.custom_error(chain.sell(mint, creator, 10**9, 0), [chain.trader]) == 6005


def test_compute_units():
    # fixed keys: each PDA's bump search costs 1,500 units per try, so random keys moved a buy
    # between 32,247 and 51,747 units (5 of 150 past the bound); these keys make it one measurement
    chain = Chain(trader=Keypair.from_seed(bytes([1] * 32)))
    creator = Pubkey(bytes([2] * 32))
    mint, created = chain.create_coin(creator, mint=Keypair.from_seed(bytes([3] * 32)))
    bought_with_ata = chain.ok(chain.buy(mint, creator, 10**12, SOL), [chain.trader])
    bought = chain.ok(chain.buy(mint, creator, 10**12, SOL)[1:], [chain.trader])
    sold = chain.ok(chain.sell(mint, creator, 10**12 // 2, 0), [chain.trader])
    units = {"create": created.compute_units_consumed(), "buy+ata": bought_with_ata.compute_units_consumed(),
             "buy": bought.compute_units_consumed(), "sell": sold.compute_units_consumed()}
    print("compute units:", units)
    assert units["create"] < 100_000 and units["buy"] < 50_000 and units["sell"] < 50_000


def test_bad_instruction_data_is_an_error_not_a_crash(chain):
    from solders.instruction import Instruction
    garbage = [Instruction(addr.PUMP_PROGRAM, b"", []), Instruction(addr.PUMP_PROGRAM, b"\0" * 8, []),
               Instruction(addr.PUMP_PROGRAM, ix.BUY_DISCRIMINATOR + b"\1", [])]
    for instruction in garbage:
        assert hasattr(chain.send([instruction], [chain.trader]), "err")


def test_events_also_travel_as_self_cpi_inner_instructions(chain):
    creator = Pubkey.new_unique()
    mint, created = chain.create_coin(creator)
    bought = chain.ok(chain.buy(mint, creator, 10**15, 200 * SOL), [chain.trader])    # buys out: + CompleteEvent
    for result, count in ((created, 1), (bought, 2)):
        datas = [inner.instruction().data for group in result.inner_instructions() for inner in group
                 if bytes(inner.instruction().data[:8]) == EVENT_IX_TAG]
        from_cpi = events_from_inner_instructions(datas)
        assert len(from_cpi.events) == count and from_cpi.skipped == 0
        assert from_cpi.events == events_from_logs(result.logs()).events


def test_zero_amounts_and_bad_create_args(chain):
    creator = Pubkey.new_unique()
    mint, _ = chain.create_coin(creator)
    assert chain.custom_error(chain.buy(mint, creator, 0, SOL), [chain.trader]) == 6020
    chain.ok(chain.buy(mint, creator, 10**12, SOL), [chain.trader])
    assert chain.custom_error(chain.sell(mint, creator, 0, 0), [chain.trader]) == 6022
    for kwargs, code in (({"name": "n" * 33}, 6043), ({"symbol": "S" * 11}, 6044), ({"uri": "u" * 201}, 6045)):
        new_mint = Keypair()
        args = {"name": "ok", "symbol": "OK", "uri": "https://x", **kwargs}
        create = ix.build_create(new_mint.pubkey(), chain.trader.pubkey(), args["name"], args["symbol"], args["uri"], creator)
        assert chain.custom_error([create], [chain.trader, new_mint]) == code
    new_mint = Keypair()
    create = ix.build_create(new_mint.pubkey(), chain.trader.pubkey(), "n", "S", "u", Pubkey.default())
    assert chain.custom_error([create], [chain.trader, new_mint]) == 6030
