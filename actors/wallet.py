"""WalletActor: sole owner of the wallet's balances and of fund reservations.

Reservations are granted only from SOL that is neither reserved nor kept back for fees, so
concurrent buys never overspend. Refreshes re-read the chain and reconcile: the SOL balance must
match the first reading plus the changes our own transactions reported (ExpectLamportChange, once
per signature), within what in-flight reservations explain; an unexplained drop is a mismatch and
puts the wallet in safety mode (buys refused, sticky: a human should look).

Housekeeping (wrap, SOL/WSOL rebalance, closing empty token accounts) runs here too, one job at a
time, so the actor that reconciles the balance is the one that moves it.
"""
from __future__ import annotations

import collections
import os
import time

from loguru import logger

from actors.bridge import IOActor
from actors.cpu_profile import profile_process
from actors.trading_io import ChainAccess, process_logging, token_holdings
from actors.wallet_jobs import HOUSEKEEPING, HousekeepingJobs
from adapters.pumpfun.addresses import USDC_MINT
from adapters.stats import BoundedSet
from messages import new_request_id
from messages.start import StartFailed, StartWallet
from messages.status import PidReply, PidRequest
from messages.wallet import (BalancesReport, ExpectLamportChange, FundsReserved, RefreshBalances,
                             RefreshFailed, ReleaseFunds, ReleaseMintReservations,
                             ReservationRefused, ReserveFunds)

FEE_RESERVE_LAMPORTS = 10_000_000        # kept back so sells and closes can always pay their fees
RESERVATION_TTL_SECONDS = 120.0          # a reservation whose position died is freed after this
MISMATCH_SLACK_LAMPORTS = 1_000_000      # fees of sells in flight that were not reported yet
# a duplicate report of a signature comes within its lifetime (minutes); thousands of newer
# signatures later it cannot come again, so the oldest are forgotten (bounded memory)
REPORTED_SIGNATURES_KEPT = 20_000
# a gain reported by a position may not show in a reading yet (the read was under way, or it reads at
# a commitment a slot behind; seen in the 24 h soak): a gain that landed after the reading's slot
# (or of unknown slot) explains a shortfall, for at most this long
RECENT_GAIN_SECONDS = 30.0
RECENT_GAINS_KEPT = 10_000


class WalletActor(IOActor):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        profile_process("wallet")   # only with PUMPSNIPE_CPU_PROFILE set (actors/cpu_profile.py)
        self.settings = None
        self.director = None                       # told of rent recovered by closing accounts
        self.chain: ChainAccess | None = None
        self.sol_lamports: int | None = None      # last chain reading
        self.expected_lamports: int | None = None  # first reading + our reported changes since
        self.tokens: tuple = ()
        self.reservations: dict[str, tuple[int, float, str]] = {}   # id -> (lamports, granted at, mint)
        self.usdc_reservations: dict[str, int] = {}   # id -> raw USDC, beside its lamports in `reservations`
        self.safety_mode = False
        self.safety_reason = ""
        self.waiting_refresh: list = []            # (request_id, requester) awaiting a refresh
        self.reported = BoundedSet(REPORTED_SIGNATURES_KEPT)   # signatures counted in expected_lamports
        self.recent_gains: collections.deque = collections.deque(maxlen=RECENT_GAINS_KEPT)  # (at, slot, lamports)
        self.jobs = HousekeepingJobs(self)
        self.early_reservations: list = []         # (msg, sender) that came before the first reading
        self.reads_in_flight = 0
        self.started_at = time.monotonic()

    async def on_loop_close(self) -> None:
        if self.chain is not None:   # close HTTP sessions before the loop stops
            await self.chain.close()

    def on_message(self, msg, sender) -> None:
        try:
            if isinstance(msg, StartWallet):
                self.settings, self.director = msg.settings, msg.peers.director
                process_logging(msg.settings, "wallet")
                self.chain = ChainAccess(msg.settings)
                self._refresh(None, None)
            elif isinstance(msg, ReserveFunds):
                self._reserve(msg, sender)
            elif isinstance(msg, ReleaseFunds):
                self.reservations.pop(msg.reservation_id, None)
                if self.usdc_reservations.pop(msg.reservation_id, None):
                    self._refresh(None, None)   # the USDC the buy spent: read before the next grant
            elif isinstance(msg, ReleaseMintReservations):
                self.release_mint(msg.mint, msg.reason)
            elif isinstance(msg, ExpectLamportChange):
                self.expect_change(msg.signature, msg.delta, msg.slot)
            elif isinstance(msg, HOUSEKEEPING):
                self.jobs.request(msg, sender)
            elif isinstance(msg, RefreshBalances):
                self._refresh(msg.request_id, sender)
            elif isinstance(msg, PidRequest):
                self.send(sender, PidReply(msg.request_id, os.getpid()))
        except Exception as exc:
            logger.exception("wallet: {} failed", type(msg).__name__)
            if isinstance(msg, StartWallet) and msg.peers.director is not None:
                self.send(msg.peers.director, StartFailed("wallet", repr(exc)))
            if isinstance(msg, ReserveFunds):
                self.send(sender, ReservationRefused(msg.request_id, f"wallet error: {exc!r}"))
            elif isinstance(msg, RefreshBalances):
                self.send(sender, RefreshFailed(msg.request_id, repr(exc)))
            elif isinstance(msg, HOUSEKEEPING):
                self.jobs.fail(msg, sender, f"wallet error: {exc!r}")

    def expect_change(self, signature: str, delta: int, slot: int = 0) -> None:
        """A tx of ours moved the wallet by `delta` lamports (counted once per signature)."""
        if self.expected_lamports is not None and signature not in self.reported:
            self.reported.add(signature)
            self.expected_lamports += delta
            if delta > 0:
                self.recent_gains.append((time.monotonic(), slot, delta))

    def unseen_gain_lamports(self, reading_slot: int = 0) -> int:
        """Gains reported lately that a reading of `reading_slot` cannot show yet: landed in a later
        slot (or slot unknown), reported within RECENT_GAIN_SECONDS."""
        horizon = time.monotonic() - RECENT_GAIN_SECONDS
        while self.recent_gains and self.recent_gains[0][0] < horizon:
            self.recent_gains.popleft()
        return sum(delta for _, slot, delta in self.recent_gains
                   if not slot or not reading_slot or slot > reading_slot)

    # ---- reservations --------------------------------------------------------------------------
    def reserved_lamports(self) -> int:
        now = time.monotonic()
        for rid, (_, granted_at, _) in list(self.reservations.items()):
            if now - granted_at > RESERVATION_TTL_SECONDS:
                logger.warning("wallet: reservation {} expired unreleased", rid)
                del self.reservations[rid]
        return sum(lamports for lamports, _, _ in self.reservations.values())

    def release_mint(self, mint: str, reason: str = "") -> int:
        """Drop every reservation made for `mint`; returns the lamports freed."""
        dropped = [rid for rid, (_, _, owner_mint) in self.reservations.items() if owner_mint == mint]
        freed = sum(self.reservations.pop(rid)[0] for rid in dropped)
        if dropped:
            logger.info("wallet: released {} lamports reserved for {} ({})", freed, mint,
                        reason or "position gone")
        return freed

    def free_lamports(self) -> int:
        """SOL neither reserved nor kept back for fees (0 before the first reading)."""
        if self.sol_lamports is None:
            return 0
        known = min(self.sol_lamports, self.expected_lamports)   # the more cautious of the two
        return max(0, known - self.reserved_lamports() - FEE_RESERVE_LAMPORTS)

    def _reserve(self, msg: ReserveFunds, sender) -> None:
        if self.sol_lamports is None and self.reads_in_flight and not self.safety_mode:
            # start-up, the first reading under way: answered after it
            self.early_reservations.append((msg, sender))
            return
        refusal = self.refusal_reason(msg.lamports) or self.usdc_refusal_reason(msg.usdc)
        if refusal:
            self.send(sender, ReservationRefused(msg.request_id, refusal))
            return
        reservation_id = new_request_id("res")
        self.reservations[reservation_id] = (msg.lamports, time.monotonic(), msg.mint)
        if msg.usdc:
            self.usdc_reservations[reservation_id] = msg.usdc
        self.send(sender, FundsReserved(msg.request_id, reservation_id, msg.lamports))

    # ---- USDC (USDC-paired coins): the balance as last read, reserved like SOL ----------------------
    def usdc_held(self) -> int:
        return dict(self.tokens).get(str(USDC_MINT), 0)

    def reserved_usdc(self) -> int:
        self.reserved_lamports()   # drops expired reservations; their USDC goes with them
        for rid in [rid for rid in self.usdc_reservations if rid not in self.reservations]:
            del self.usdc_reservations[rid]
        return sum(self.usdc_reservations.values())

    def usdc_refusal_reason(self, usdc: int) -> str:
        if not usdc:
            return ""
        if not isinstance(usdc, int) or usdc < 0:
            return f"bad USDC amount {usdc!r}: a positive int of raw units"
        free = self.usdc_held() - self.reserved_usdc()
        if usdc > free:
            self._refresh(None, None)   # USDC may have arrived since the last reading
            return f"insufficient free USDC: need {usdc}, free {free} raw units"
        return ""

    def refusal_reason(self, lamports: int) -> str:
        if not isinstance(lamports, int) or lamports <= 0:
            return f"bad amount {lamports!r}: a positive int of lamports"
        if self.safety_mode:
            return f"safety mode: {self.safety_reason}"
        if self.sol_lamports is None:
            return "balances not read yet"
        free = self.free_lamports()
        if lamports > free:
            return f"insufficient free SOL: need {lamports}, free {free} lamports"
        return ""

    # ---- refresh and reconcile -----------------------------------------------------------------
    def _refresh(self, request_id, requester) -> None:
        if requester is not None:
            self.waiting_refresh.append((request_id, requester))
        self.reads_in_flight += 1
        self.submit(self._read_chain(), self._on_read, self._on_read_failed,
                    timeout=self.settings.chain.rpc_timeout_ms / 1000 * 3)

    async def _read_chain(self):
        rpc = self.chain.rpc
        sol, slot = await rpc.get_balance_and_slot(self.chain.owner)
        tokens = await token_holdings(rpc, self.chain.owner)
        return sol, slot, tuple(sorted(tokens.items()))

    def _on_read(self, reading) -> None:
        self.reads_in_flight -= 1
        sol, slot, tokens = reading
        if self.sol_lamports is None:
            logger.info("wallet: first reading {} lamports after {:.0f} ms", sol,
                        (time.monotonic() - self.started_at) * 1000)
        self.reconcile(sol, slot)
        self.tokens = tokens
        self._answer_early_reservations()
        waiting, self.waiting_refresh = self.waiting_refresh, []
        for request_id, requester in waiting:
            self.send(requester, BalancesReport(request_id, sol, self.reserved_lamports(), tokens,
                                                self.safety_mode, self.safety_reason))

    def reconcile(self, sol: int, reading_slot: int = 0) -> None:
        """Compare a chain reading with the first reading plus every change we reported since.

        Only an unexplained drop counts: reservations bound the buys that may have landed but not
        been reported yet; gains (sells not reported yet, deposits) are never a risk. Sticky.
        """
        self.sol_lamports = sol
        if self.expected_lamports is None:
            self.expected_lamports = sol
            return
        unexplained = sol - self.expected_lamports
        # a housekeeping tx in flight may have landed before it was counted
        allowed = (self.reserved_lamports() + MISMATCH_SLACK_LAMPORTS + self.jobs.in_flight_lamports
                   + self.unseen_gain_lamports(reading_slot))
        if unexplained < -allowed and not self.safety_mode:
            logger.error("wallet: balance mismatch: chain {} expected {} (unexplained {}); "
                         "safety mode on, buys refused", sol, self.expected_lamports, unexplained)
            self.safety_mode = True
            self.safety_reason = f"balance mismatch of {unexplained} lamports"

    def _answer_early_reservations(self) -> None:
        """Reservations that arrived before the first reading (a copy trade in the run's first
        moments): granted or refused now; after a failed reading, refused with 'not read yet'."""
        early, self.early_reservations = self.early_reservations, []
        for msg, sender in early:
            if self.sol_lamports is None:
                self.send(sender, ReservationRefused(msg.request_id, "balances not read yet"))
            else:
                self._reserve(msg, sender)

    def _on_read_failed(self, exc: BaseException) -> None:
        self.reads_in_flight -= 1
        logger.warning("wallet: refresh failed: {!r}", exc)
        self._answer_early_reservations()
        waiting, self.waiting_refresh = self.waiting_refresh, []
        for request_id, requester in waiting:
            self.send(requester, RefreshFailed(request_id, repr(exc)))
