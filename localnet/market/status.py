"""The node's one-line live status on stderr: slot, transactions per second, coins live,
graduated, trades. On a terminal the line rewrites itself every second; into a pipe or file a
full line goes out every ten seconds, so a parent that never reads stderr is not flooded."""
from __future__ import annotations

import asyncio
import sys
import time
from typing import Callable, TextIO

TTY_PERIOD_S = 1.0
PIPE_PERIOD_S = 10.0


class _TransactionCounter:
    """A chain listener that only counts."""

    def __init__(self) -> None:
        self.count = 0

    def on_transaction(self, record) -> None:
        self.count += 1

    def on_slot(self, slot, parent, status) -> None:
        pass


class StatusLine:
    def __init__(self, chain, market_status: Callable[[], dict] | None = None,
                 extra: Callable[[], str] | None = None, stream: TextIO = sys.stderr,
                 period_s: float | None = None):
        self._chain = chain
        self._market_status = market_status
        self._extra = extra
        self._stream = stream
        self._counter = _TransactionCounter()
        self._remove_listener = chain.add_listener(self._counter)
        self._task: asyncio.Task | None = None
        self._tty = bool(getattr(stream, "isatty", lambda: False)())
        self._period_s = period_s or (TTY_PERIOD_S if self._tty else PIPE_PERIOD_S)

    def start(self) -> "StatusLine":
        self._task = asyncio.get_running_loop().create_task(self._run())
        return self

    async def stop(self) -> None:
        self._remove_listener()
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            try:
                await task
            except asyncio.CancelledError:
                pass
            if self._tty:
                self._stream.write("\n")
                self._stream.flush()

    def render(self, tx_per_s: float) -> str:
        parts = [f"slot {self._chain.slot}", f"{tx_per_s:.0f} tx/s"]
        if self._market_status is not None:
            market = self._market_status()
            parts += [f"coins live {market.get('live', 0)}", f"launched {market.get('launched', 0)}",
                      f"graduated {market.get('graduated', 0)}", f"trades {market.get('trades', 0)}"]
        if self._extra is not None:
            parts.append(self._extra())
        return " | ".join(parts)

    async def _run(self) -> None:
        period = self._period_s
        last_count, last_time = self._counter.count, time.monotonic()
        while True:
            await asyncio.sleep(period)
            now = time.monotonic()
            rate = (self._counter.count - last_count) / max(now - last_time, 1e-9)
            last_count, last_time = self._counter.count, now
            line = self.render(rate)
            self._stream.write(f"\r\x1b[2K{line}" if self._tty else f"status: {line}\n")
            self._stream.flush()
