"""The fast path in a running bot on the local chain (analysis.mode = "fast"): the Director arms
spares (funds reserved ahead), the StreamActor opens each passing launch on one of them (one hop
from detection), and the books stay exact: PnL equals the wallet's change, every token is sold,
the limits hold."""
from __future__ import annotations

import time

import pytest

from tests.bot.harness import SOL, bot_world
from tests.bot.test_e2e import assert_books_balance, child_pids, trade_session
from app.summary import summary_text

pytestmark = pytest.mark.timeout(120)


@pytest.fixture
def world(tmp_path):
    with bot_world(tmp_path, **{"analysis.mode": "fast"}) as world:
        yield world.bot, world.chain, world.market, world.keypair, world.settings


def test_fast_path_buys_on_armed_spares_with_exact_pnl(world, tmp_path):
    bot, chain, market, keypair, settings = world
    start_balance = chain.run(market.balance(keypair.pubkey()))
    bot.start(settings)
    bot.wait_until_streaming(chain, market)
    status, _ = trade_session(bot, chain, market, 3)
    assert status.bought >= 2 and status.sold == status.bought, status
    assert status.lifecycle.get("fast_path_opens", 0) == status.bought, status.lifecycle
    assert not status.failures, status.failures
    assert_books_balance(chain, market, keypair, start_balance, status)
    # the summary's hot-path lines: where the buys landed, how fast exits turned into sells
    assert sum(status.landing_slots.values()) == status.bought, status.landing_slots
    assert status.exit_to_sell_histogram.count >= status.sold, status.exit_to_sell_histogram
    text = summary_text(status, "test", tmp_path)
    assert "buy landed slots after create: p50" in text and "exit-to-sell-sent p50" in text, text


def test_fast_path_keeps_max_active_positions(world):
    bot, chain, market, keypair, settings = world
    start_balance = chain.run(market.balance(keypair.pubkey()))
    bot.start(settings.replace(**{"trading.max_active_positions": 1, "trading.max_hold_seconds": 30}))
    bot.wait_until_streaming(chain, market)
    creator = chain.run(market.new_wallet(SOL))
    for index in range(10):   # until one is held (the wallet refuses buys until its first read)
        chain.run(market.launch(creator, f"Lim{index}"))
        time.sleep(0.5)
        if bot.status().bought:
            break
    before = bot.status()
    for index in range(2):    # two more launches while that position is held
        chain.run(market.launch(creator, f"More{index}"))
    held = bot.wait_for(lambda s: s.coins_seen >= before.coins_seen + 2, timeout=20)
    time.sleep(0.5)
    held = bot.status()
    assert held.bought == 1 and held.active_positions == 1, held
    limited = held.skips.get("limit: max active positions", 0)
    assert limited >= before.skips.get("limit: max active positions", 0) + 2, held.skips
    bot.close_all()
    final = bot.wait_for(lambda s: s.active_positions == 0 and s.unresolved_signatures == 0, timeout=60)
    assert_books_balance(chain, market, keypair, start_balance, final)


def test_stream_never_reuses_a_spare_a_later_set_still_lists(tmp_path):
    """The Director may send a set before it heard that the stream used a spare of the last one."""
    from actors.fastpath_stream import StreamFastPath
    from config.settings import load_settings
    from tests.bot.test_messages import make_launch
    settings = load_settings(env={}, overrides={"analysis.mode": "fast", "run.runs_dir": str(tmp_path)})
    fast = StreamFastPath(settings)
    launch = make_launch(received_at=time.time())
    launch = launch.__class__(**{**launch.__dict__, "name": "Good", "symbol": "GOOD",
                                 "uri": "https://example.invalid/good.json",
                                 "token_program": "TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA"})
    fast.arm((("s1", "A"), ("s2", "B")))   # no lanes: the actor thread sends it through thespian
    opened = fast.try_open(launch)
    decision, spare_id, address, _ = opened.entry
    assert decision.buy and (spare_id, address) == ("s1", "A") and opened.unsent.launch == launch
    fast.arm((("s1", "A"), ("s3", "C")))
    other = launch.__class__(**{**launch.__dict__, "mint": "So11111111111111111111111111111111111111112"})
    assert fast.try_open(other).entry[1:3] == ("s3", "C")   # s1 was used: never again
    assert fast.try_open(launch) is None   # a replayed create of a mint opened already
    third = launch.__class__(**{**launch.__dict__, "mint": "4zMMC9srt5Ri5X14GAgXhaHii3GnPAEERYPJgZJDncDU"})
    fast.arm((("s4", "D"),))
    fast.publish_watched({third.mint: "X"})
    assert fast.try_open(third) is None   # a watched mint is held already
    fast.publish_watched({})
    assert fast.try_open(third).entry[1] == "s4"
    fast.close()


def test_depth_sized_buy_lands_with_the_bound_of_the_curve_formula(world):
    """trading.slippage_mode = "depth": the fast-path buy lands, and the max_sol_cost it carried is
    the curve formula's cost of its tokens after 0.5 SOL bought ahead, + 1 % (tests/test_slippage_depth.py)."""
    from solders.signature import Signature
    from adapters.pumpfun.addresses import PUMP_PROGRAM
    from tests.test_slippage_depth import docs_tokens_for, docs_total_cost
    bot, chain, market, keypair, settings = world
    bot.start(settings.replace(**{"trading.slippage_mode": "depth", "trading.instruction_set": "legacy",
                                  "trading.slippage_ahead_lamports": SOL // 2,
                                  "trading.slippage_tolerance_bps": 100}))
    bot.wait_until_streaming(chain, market)
    creator = chain.run(market.new_wallet(SOL))
    for index in range(10):   # until one is bought: a launch that beats the first armed set to the
        mint = chain.run(market.launch(creator, f"Depth{index}"))   # stream is skipped (limit)
        time.sleep(0.5)
        if bot.status().bought:
            break
    status = bot.wait_for(lambda s: s.bought >= 1, timeout=20, poll=0.05)
    global_ = chain.run(market._global())
    fees = (global_.fee_basis_points, global_.creator_fee_basis_points)

    async def buy_args():
        record = chain.node.chain.get_record(Signature.from_string(status.buys[-1][0]))
        message = record.transaction.message
        keys = list(message.account_keys)
        data = next(bytes(ix.data) for ix in message.instructions
                    if keys[ix.program_id_index] == PUMP_PROGRAM
                    and bytes(ix.data)[:8] == bytes.fromhex("66063d1201daebea"))   # legacy buy
        return record.err, int.from_bytes(data[8:16], "little"), int.from_bytes(data[16:24], "little")
    err, tokens, max_cost = chain.run(buy_args())
    vsol, vtok = global_.initial_virtual_sol_reserves, global_.initial_virtual_token_reserves
    ahead = docs_tokens_for(vsol, vtok, SOL // 2, fees)
    ahead_cost = vsol * ahead // (vtok - ahead) + 1
    expected = -(-docs_total_cost(vsol + ahead_cost, vtok - ahead, tokens, fees) * 10_100 // 10_000)
    assert err is None and max_cost == expected, (err, max_cost, expected, mint)
    assert max_cost < docs_total_cost(vsol, vtok, tokens, fees) * 11_500 // 10_000   # under the fixed 15 %
    bot.close_all()
    final = bot.wait_for(lambda s: s.active_positions == 0 and s.unresolved_signatures == 0, timeout=60)
    assert final.bought == final.sold >= 1 and not final.failures, final


def test_spares_follow_the_launch_rate_up_to_the_bound(world):
    """A burst of launches (buying paused: no money moves) grows the warm spares past the 8 kept
    at rest, up to trading.max_warm_spares; once the burst is over the extra ones are retired."""
    import asyncio
    from actors.director import WARM_SPARES
    from actors.director_spares import RETIRE_SLACK, spares_wanted
    from tests.bot.test_e2e import child_pids
    assert spares_wanted(0.0, 8, 32) == 8 and spares_wanted(10.0, 8, 32) == 20
    assert spares_wanted(100.0, 8, 32) == 32
    bot, chain, market, keypair, settings = world
    bot.start(settings.replace(**{"trading.max_warm_spares": 14}))
    bot.wait_until_streaming(chain, market)
    bot.pause_buying()
    creators = [chain.run(market.new_wallet(SOL // 10)) for _ in range(4)]

    async def burst():   # about 24 launches in 1-2 s
        return await asyncio.gather(*(market.launch(creators[i % 4], f"Burst{i}") for i in range(24)))
    seen = bot.status().coins_seen
    chain.run(burst())
    bot.wait_for(lambda s: s.coins_seen >= seen + 24, timeout=20)

    def spares() -> int:
        return sum(1 for name in child_pids(bot) if name.startswith("spare:"))
    deadline = time.monotonic() + 20
    while spares() < 14 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert spares() == 14, child_pids(bot)          # the bound, above the 8 kept at rest
    deadline = time.monotonic() + 30                 # the rate window empties: back near the floor
    while spares() > WARM_SPARES + RETIRE_SLACK and time.monotonic() < deadline:
        time.sleep(0.5)
    assert spares() <= WARM_SPARES + RETIRE_SLACK, child_pids(bot)


def test_fast_path_buys_and_first_sells_leave_with_no_io_before_the_send(tmp_path, monkeypatch):
    """The stage trace (actors/hot_trace.py) shows each buy signed in the spare's thread and written
    from it (no 'buy_send_done': that stamp is the ordinary loop send's), and the first sells signed
    at the exit with no chain read (quick sell); the books still balance to the lamport."""
    from actors.hot_trace import TRACE_ENV, read_trace
    trace = tmp_path / "stages.jsonl"
    monkeypatch.setenv(TRACE_ENV, str(trace))   # before the actor system forks
    with bot_world(tmp_path, **{"analysis.mode": "fast"}) as world:
        start_balance = world.chain.run(world.market.balance(world.keypair.pubkey()))
        world.bot.start(world.settings)
        world.bot.wait_until_streaming(world.chain, world.market)
        status, _ = trade_session(world.bot, world.chain, world.market, 3)
        assert status.bought >= 2 and status.sold == status.bought, status
        assert_books_balance(world.chain, world.market, world.keypair, start_balance, status)
    bought = {mint: stamps for mint, stamps in read_trace(trace).items() if "spare_received" in stamps}
    assert len(bought) == status.bought, bought
    for mint, stamps in bought.items():
        assert {"signed", "buy_send_start"} <= set(stamps), (mint, stamps)
        assert "buy_send_done" not in stamps and "journaled" not in stamps, (mint, stamps)
        assert "sell_signed" in stamps and "sell_send_start" in stamps, (mint, stamps)


def test_a_spare_armed_again_is_not_traced_as_a_slow_replacement(tmp_path, monkeypatch):
    """Paused buying disarms every spare; resumed, the same processes are armed again under new ids.
    The stage trace's replacement stage (spare_started -> arm_asked, bench_detection_latency) is
    stamped on a process's first arming only: each spare process's start appears once, and the
    re-armings carry arm_asked -> spare_armed alone (they showed the spare's whole age, ~48 s p99
    at 10/s after the 0.5/s phase, as if a replacement had waited that long)."""
    from actors.hot_trace import TRACE_ENV, trace_lines
    trace = tmp_path / "stages.jsonl"
    monkeypatch.setenv(TRACE_ENV, str(trace))   # before the actor system forks
    with bot_world(tmp_path, **{"analysis.mode": "fast", "trading.min_warm_spares": 3,
                                "trading.max_warm_spares": 3}) as world:

        def armings() -> list[dict]:
            return [row["stamps"] for row in trace_lines(trace) if row.get("kind") == "spare"] \
                if trace.exists() else []

        def until(condition, what: str) -> None:
            deadline = time.monotonic() + 30
            while not condition():
                assert time.monotonic() < deadline, (what, armings())
                time.sleep(0.1)

        world.bot.start(world.settings)
        world.bot.resume_buying()
        until(lambda: len(armings()) >= 3, "first armings")
        first = len(armings())
        world.bot.pause_buying()
        time.sleep(0.5)   # every armed spare disarmed
        world.bot.resume_buying()
        until(lambda: len(armings()) >= first + 3, "armed again")
    rows = armings()
    starts = [stamps["spare_started"] for stamps in rows if "spare_started" in stamps]
    assert len(starts) == len(set(starts)), rows   # one start per spare process
    again = [stamps for stamps in rows[first:] if "spare_started" not in stamps]
    assert len(again) >= 3 and all({"arm_asked", "spare_armed"} <= set(s) for s in again), rows


def test_an_idle_armed_spare_stays_warm_on_its_lane_threads_ticks(tmp_path, monkeypatch):
    """Armed spares idle for longer than a buy's blockhash may age (BLOCKHASH_MAX_AGE_SECONDS): with
    no thespian wake-up while armed, their lane threads refresh them (position_lane_thread.py), so
    the next launch is still signed and written from the lane with no read first (no 'journaled'
    stamp: that is the ordinary path's), and its first sell needs no read either."""
    from actors.hot_trace import TRACE_ENV, read_trace
    from actors.trading_io import BLOCKHASH_MAX_AGE_SECONDS
    trace = tmp_path / "stages.jsonl"
    monkeypatch.setenv(TRACE_ENV, str(trace))   # before the actor system forks
    with bot_world(tmp_path, **{"analysis.mode": "fast"}) as world:
        world.bot.start(world.settings)
        world.bot.wait_until_streaming(world.chain, world.market)
        time.sleep(BLOCKHASH_MAX_AGE_SECONDS + 1.5)
        creator = world.chain.run(world.market.new_wallet(SOL))
        mint = world.chain.run(world.market.launch(creator, "Idle"))
        world.bot.wait_for(lambda s: s.bought >= 1, timeout=20)
        world.bot.close_all()
        status = world.bot.wait_for(lambda s: s.active_positions == 0 and s.unresolved_signatures == 0,
                                    timeout=60)
        assert status.bought == status.sold == 1, status
    stamps = read_trace(trace)[mint]
    assert {"spare_received", "signed", "buy_send_start", "sell_signed"} <= set(stamps), stamps
    assert "journaled" not in stamps and "buy_send_done" not in stamps, stamps


def test_a_used_spares_replacement_is_forked_after_its_buy_is_written(tmp_path, monkeypatch):
    """The Director forks a used spare's replacement when the position says its buy's bytes left
    (FastPositionOpened), not at the stream's earlier FastOpened: the fork and the new process's
    warm-up never take a core from that buy (actors/director_fastpath.py); the spare count is
    back afterwards."""
    from actors.director_fastpath import REPLACEMENT_WAIT_SECONDS
    from actors.hot_trace import TRACE_ENV, read_trace
    trace = tmp_path / "stages.jsonl"
    monkeypatch.setenv(TRACE_ENV, str(trace))   # before the actor system forks
    with bot_world(tmp_path, **{"analysis.mode": "fast", "trading.min_warm_spares": 2,
                                "trading.max_warm_spares": 2}) as world:
        world.bot.start(world.settings)
        world.bot.wait_until_streaming(world.chain, world.market)
        spares_before = sorted(name for name in child_pids(world.bot) if name.startswith("spare:"))
        creator = world.chain.run(world.market.new_wallet(SOL))
        mints = [world.chain.run(world.market.launch(creator, f"Repl{index}")) for index in range(2)]
        world.bot.wait_for(lambda s: s.bought >= 2, timeout=20)
        deadline = time.monotonic() + 10
        while len([n for n in child_pids(world.bot) if n.startswith("spare:")]) < len(spares_before):
            assert time.monotonic() < deadline, child_pids(world.bot)
            time.sleep(0.1)
    stamps = read_trace(trace)
    fast = [mint for mint in mints if "buy_send_start" in stamps.get(mint, {})]
    assert fast, stamps
    for mint in fast:
        written, forked = stamps[mint]["buy_send_start"], stamps[mint].get("replacement_forked")
        assert forked is not None and written <= forked < written + REPLACEMENT_WAIT_SECONDS, stamps[mint]
