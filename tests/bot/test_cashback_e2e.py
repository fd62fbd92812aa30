"""End to end on the local chain: the bot buys two cashback coins on their curves (buy_v2: the creator fee
goes to the bot's pump user volume accumulator), sells one on its curve (sell_v2) and the other on its
PumpSwap pool after graduation (the creator fee goes to the WSOL account of the bot's AMM accumulator),
and its balance monitor claims that cashback in the background (actors/cashback.py) once it passes
trading.cashback_claim_min_lamports, or the running bot claims it on `--control claim-cashback`: both accumulators end drained (the pump one to its rent), the
claims are booked as their own ledger line, the PnL still equals the wallet's lamport change exactly,
and the summary says "cashback claimed"."""
from __future__ import annotations

import time

import pytest
from solders.pubkey import Pubkey
from solders.signature import Signature

from adapters.pumpfun import addresses as pump
from adapters.pumpswap import addresses as amm
from adapters.pumpswap.layout import token_account_amount
from app.control import execute
from app.summary import lamports_to_sol, summary_text
from tests.bot.harness import SOL, _wait_meta as wait_meta, bot_world
from tests.bot.test_pool_sell import T22, graduate
from tests.bot.test_todays_pumpfun import launch_v2

pytestmark = pytest.mark.timeout(120)
# discriminators as idl/pump.json and idl/pump_amm.json list them
CLAIMS = {(pump.PUMP_PROGRAM, bytes([37, 58, 35, 126, 190, 53, 228, 197])),
          (pump.PUMP_PROGRAM, bytes([122, 243, 204, 65, 94, 116, 29, 55])),
          (amm.PROGRAM, bytes([37, 58, 35, 126, 190, 53, 228, 197]))}


def curve_accumulator(chain, owner: Pubkey) -> tuple[int, int]:
    """(lamports, rent) of the owner's pump user volume accumulator."""
    account = chain.node.chain.get_account(Pubkey.find_program_address(
        [b"user_volume_accumulator", bytes(owner)], pump.PUMP_PROGRAM)[0])
    return account.lamports, chain.node.chain.minimum_balance_for_rent_exemption(len(account.data))


def pool_cashback(chain, owner: Pubkey) -> int | None:
    """WSOL in the owner's AMM accumulator's WSOL account (None: no such account yet)."""
    accumulator = Pubkey.find_program_address([b"user_volume_accumulator", bytes(owner)], amm.PROGRAM)[0]
    account = chain.node.chain.get_account(pump.associated_token_address(accumulator, pump.WSOL_MINT))
    return None if account is None else token_account_amount(bytes(account.data))


def claim_instructions(chain, signature: str) -> list:
    """(account keys, instruction) of each cashback claim in a landed transaction."""
    message = chain.node.chain.get_record(Signature.from_string(signature)).transaction.message
    keys = message.account_keys
    return [(keys, ix) for ix in message.instructions if (keys[ix.program_id_index], bytes(ix.data)[:8]) in CLAIMS]


def claim_signatures(chain, owner: Pubkey) -> list[str]:
    """The owner's landed transactions that hold a cashback claim."""
    found = []
    for record in list(chain.node.chain.records_newest_first()):
        message = record.transaction.message
        keys = message.account_keys
        if record.err is None and keys[0] == owner and any(
                (keys[ix.program_id_index], bytes(ix.data)[:8]) in CLAIMS for ix in message.instructions):
            found.append(str(record.signature))
    return found


@pytest.mark.parametrize("how", ["background", "control"])
def test_the_bot_claims_the_cashback_it_earns_on_the_curve_and_the_pool(tmp_path, how):
    """background: the balance monitor claims past the threshold; control: no threshold is reached
    (10 SOL), and `run.py --control claim-cashback`'s command (app/control.py) has the running bot claim."""
    threshold = 100_000 if how == "background" else 10 * SOL
    overrides = {"trading.instruction_set": "auto", "trading.trade_cashback": True,
                 "trading.buy_lamports": 50_000_000, "trading.take_profit_pct": 100_000,
                 "trading.stop_loss_pct": 100, "trading.max_hold_seconds": 600,
                 "trading.cashback_claim_min_lamports": threshold, "balance.interval_seconds": 1,
                 "balance.auto_wrap_enabled": False, "balance.rebalance_threshold_bps": 10_000}
    with bot_world(tmp_path, jupiter=True, **overrides) as (bot, chain, market, keypair, _, settings):
        owner = keypair.pubkey()
        sol_before = chain.run(market.balance(owner))
        bot.start(settings)
        bot.wait_until_streaming(chain, market)
        creator = chain.run(market.new_wallet(SOL))
        on_curve = chain.run(launch_v2(market, creator, "CashCurve", cashback=True))
        on_pool = chain.run(launch_v2(market, creator, "CashPool", cashback=True))
        bot.wait_for(lambda s: s.bought >= 2, timeout=30)
        bot.pause_buying()
        chain.run(market.holding(owner, on_curve))
        chain.run(market.holding(owner, on_pool))
        graduate(chain, market, on_pool, T22)
        bot.close_all()          # on_curve sells on its curve (sell_v2), on_pool on its pool
        bot.wait_for(lambda s: s.active_positions == 0 and s.unresolved_signatures == 0, timeout=40)

        if how == "control":
            time.sleep(2)                                      # two balance cycles: below the threshold
            assert curve_accumulator(chain, owner)[0] > curve_accumulator(chain, owner)[1]
            assert pool_cashback(chain, owner) > 0 and not claim_signatures(chain, owner)
            assert execute(bot.system, bot.director, "claim-cashback", 10).startswith("claiming earned cashback")
        # the claims drain both accumulators (the pump one down to its rent)
        deadline = time.monotonic() + 20
        while True:
            lamports, rent = curve_accumulator(chain, owner)
            if lamports == rent and pool_cashback(chain, owner) == 0:
                break
            assert time.monotonic() < deadline, (lamports, rent, pool_cashback(chain, owner))
            time.sleep(0.2)
        claims = claim_signatures(chain, owner)
        assert claims, "no claim transaction landed"
        metas = [chain.run(wait_meta(market.rpc, sig)) for sig in claims]   # confirmed reads
        claimed_net = sum(m.lamport_delta(owner) + m.token_delta(owner, pump.WSOL_MINT) for m in metas)
        assert claimed_net > 0
        final = bot.wait_for(lambda s: s.cashback_lamports == claimed_net, timeout=10)

        # exact books: the claims are their own line and part of the PnL
        assert final.pnl_lamports == chain.run(market.balance(owner)) - sol_before
        assert (final.bought, final.sold) == (2, 2), final
        # cashback came from both venues: a pump claim and a pool claim landed
        programs = {keys[ix.program_id_index] for sig in claims
                    for keys, ix in claim_instructions(chain, sig)}
        assert programs == {pump.PUMP_PROGRAM, amm.PROGRAM}, programs
        summary = summary_text(final, "test", tmp_path)
        assert f"cashback claimed {lamports_to_sol(claimed_net)} SOL ({claimed_net} lamports)" in summary, summary
