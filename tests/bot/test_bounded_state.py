"""State that grows with the run stays bounded in the long-lived actors and the local market services.
The actors are built in-process (no actor system) and fed their real messages and inputs."""
from __future__ import annotations

import asyncio

from solders.pubkey import Pubkey

import actors.stream as stream_module
from actors.stream import MAX_WATCHED_MINTS, MALFORMED, StreamActor
from actors.wallet import REPORTED_SIGNATURES_KEPT, WalletActor
from localnet.safety import FATES_REMEMBERED, TokenSafety
from messages.stream import UnwatchMint, WatchMint


def close_bridge(actor) -> None:
    actor._wake_read.close()
    actor._wake_write.close()


def test_wallet_counts_each_signature_once_and_forgets_the_oldest():
    wallet = WalletActor()
    try:
        wallet.expected_lamports = 10_000_000
        wallet.expect_change("sig-a", -5_000)
        wallet.expect_change("sig-a", -5_000)           # a duplicate report: counted once
        assert wallet.expected_lamports == 9_995_000
        for index in range(REPORTED_SIGNATURES_KEPT + 500):
            wallet.expect_change(f"sig-{index}", 1)
        assert len(wallet.reported) == REPORTED_SIGNATURES_KEPT
        assert wallet.expected_lamports == 9_995_000 + REPORTED_SIGNATURES_KEPT + 500
        wallet.expect_change(f"sig-{REPORTED_SIGNATURES_KEPT + 499}", 1)   # recent: still deduplicated
        assert wallet.expected_lamports == 9_995_000 + REPORTED_SIGNATURES_KEPT + 500
    finally:
        close_bridge(wallet)


def test_stream_watchers_are_bounded_and_unwatch_still_removes():
    stream = StreamActor()
    try:
        for index in range(MAX_WATCHED_MINTS + 10):
            stream.on_message(WatchMint(f"mint-{index}", f"position-{index}"), None)
        assert len(stream.watchers) == MAX_WATCHED_MINTS
        assert "mint-0" not in stream.watchers and f"mint-{MAX_WATCHED_MINTS + 9}" in stream.watchers
        stream.on_message(UnwatchMint(f"mint-{MAX_WATCHED_MINTS + 9}"), None)
        assert f"mint-{MAX_WATCHED_MINTS + 9}" not in stream.watchers
    finally:
        close_bridge(stream)


def test_stream_sheds_updates_past_its_inbox_bound_and_counts_them(monkeypatch):
    monkeypatch.setattr(stream_module, "MAX_INBOX_ITEMS", 50)
    stream = StreamActor()
    stream.flush_scheduled = True          # the actor thread is stalled: nothing drains the inbox

    async def updates():
        for _ in range(100):
            yield 0.0, lambda: [MALFORMED]

    stream._source = updates
    try:
        asyncio.run(stream._consume())
        assert len(stream.inbox) <= 51               # one update (item + marker) may cross the bound
        assert stream.counts["dropped_backlog"] == 100 - 25
    finally:
        close_bridge(stream)


def test_token_safety_fates_are_bounded(monkeypatch):
    safety = TokenSafety(chain=None)
    assert safety._fates.max_items == FATES_REMEMBERED
    monkeypatch.setattr(safety._fates, "max_items", 3)
    mints = [Pubkey.new_unique() for _ in range(5)]
    for mint in mints:
        safety.register_fate(mint, "rug")
    assert list(safety._fates) == mints[-3:]
