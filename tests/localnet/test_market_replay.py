"""Replay of the shared real-trades file as a market: every row lands, the subscriber sees each
trade with the file's reserves, and each curve ends exactly where the file's coin ended."""
from __future__ import annotations

import pytest
from solana.rpc.async_api import AsyncClient
from solders.pubkey import Pubkey

from adapters.pumpfun import addresses as addr
from adapters.pumpfun.layout_v1 import BONDING_CURVE, TradeEvent
from localnet.market import MarketConfig, ReplayMarket
from localnet.market.replay_file import ReplayFileError, load_trade_chains
from tests.data import TRADES_CSV as SHARED_TRADES
from tests.localnet.test_market_helpers import PumpEventCollector, node_with_metadata

pytestmark = [pytest.mark.timeout(90)]


def reserves(x) -> tuple[int, int, int, int]:
    if isinstance(x, TradeEvent):
        return x.virtual_sol_reserves, x.virtual_token_reserves, x.real_sol_reserves, x.real_token_reserves
    return x.virtual_sol, x.virtual_tokens, x.real_sol, x.real_tokens


async def test_replay_reproduces_every_row_and_final_reserves():
    async with node_with_metadata() as (node, metadata):
        collector = await PumpEventCollector(node).start()
        try:
            # the file spans ~14 hours; at 50,000x its gaps shrink to about a second
            market = await ReplayMarket(MarketConfig(seed=5, speed=50_000, replay=SHARED_TRADES), node.rpc_url,
                                        node.faucet, metadata).start()
            await market.wait()
            await collector.collect(quiet_s=0.5)
        finally:
            await collector.stop()
        status = market.status()
        await market.stop()
        assert status["failed"] == 0 and status["trades"] == status["rows"] == 1499 and status["launched"] == 3
        local_mints = {source: Pubkey.from_string(local) for source, local in status["mints"].items()}
        async with AsyncClient(node.rpc_url, commitment="processed") as client:
            for source, rows in market.chains.items():
                seen = [e for e in collector.of_type(TradeEvent) if e.mint == local_mints[source]]
                assert [reserves(e) for e in seen] == [reserves(r) for r in rows], source
                assert [(e.sol_amount, e.token_amount, e.is_buy, e.fee, e.creator_fee) for e in seen] == \
                    [(r.sol, r.tokens, r.is_buy, r.fee, r.creator_fee) for r in rows]
                account = (await client.get_account_info(addr.bonding_curve(local_mints[source]))).value
                state = BONDING_CURVE.decode(bytes(account.data))
                assert (state.virtual_sol_reserves, state.virtual_token_reserves, state.real_sol_reserves,
                        state.real_token_reserves) == reserves(rows[-1])
                assert state.creator == Pubkey.from_string(rows[0].creator)


def test_state_order_fixes_rows_listed_out_of_order(tmp_path):
    lines = SHARED_TRADES.read_text().splitlines()
    header, first_coin = lines[0], [line for line in lines[1:] if "FCuk4XWLR6fA" in line.split(",")[6]]
    shuffled = tmp_path / "shuffled.csv"
    shuffled.write_text("\n".join([header, *reversed(first_coin)]) + "\n")
    (chain,) = load_trade_chains(shuffled).values()
    in_file_order = load_trade_chains(SHARED_TRADES)["FCuk4XWLR6fAJFTcQoMrm3KeywSt2X6wK4Ufh4Xjpump"]
    assert [reserves(t) for t in chain] == [reserves(t) for t in in_file_order]


def test_files_that_are_not_trade_files_are_refused(tmp_path):
    wrong = tmp_path / "wrong.csv"
    wrong.write_text("a,b\n1,2\n")
    with pytest.raises(ReplayFileError, match="missing columns"):
        load_trade_chains(wrong)
    lines = SHARED_TRADES.read_text().splitlines()
    broken = tmp_path / "broken.csv"
    broken.write_text("\n".join([lines[0], lines[2]]) + "\n")          # its second row alone: no fresh curve
    with pytest.raises(ReplayFileError, match="chain from a fresh curve"):
        load_trade_chains(broken)
