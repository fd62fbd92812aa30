"""Director: root of the bot's actor tree.

Starts and supervises every other actor, gates launches by the limits (max active positions, max
buys), turns buy decisions into PositionActors (keeping warm spares so a buy never waits for a
fork), keeps the PnL ledger and answers Status requests. It holds no threads, so forking children
from it is safe (THESPIAN_NOTES.md).
"""
from __future__ import annotations

import os
import time
from dataclasses import dataclass, replace
from typing import Any

from loguru import logger
from thespian.actors import ActorExitRequest, ActorTypeDispatcher, ChildActorExited, ThespianWatch, WakeupMessage

from actors.director_fastpath import DirectorFastPath, verifier_settings
from actors.director_spares import LaunchRateSpares
from actors.director_copy import CopyDirecting
from actors.director_copy_spares import CopySpares
from actors.director_cashback import CashbackClaims
from actors.director_ledger import Ledger
from actors.send_pacer import SendPacer
from actors.policy import breaker
from adapters.journal import Journal, JournalError, journal_path
from adapters.keys import load_wallet_key
from adapters.pumpfun import venue
from actors.trading_io import process_logging
from actors.supervision import Supervisor
from actors.process_kind import name_process
from actors.cpu_profile import profile_process
from messages import new_request_id
from actors.analysis_channel import ChannelClient, ChannelClosed
from messages.analysis import (AnalysisChannelOpen, AnalysisDecision, AnalysisDecisions, AnalysisFailed, AnalyzeLaunch,
                               OpenAnalysisChannel, bundled)
from messages.copy import TargetTradeBatch, TargetTradesMissed
from messages.position import (ExitNow, OpenPosition, PositionClosed, PositionFailed, RecoverPosition,
                               TxSent, TxSettled)
from messages.start import (DirectorStarted, Peers, PeersChanged, StartAnalyzer,
                            StartBalanceMonitor, StartDirector, StartFailed, StartPosition, StartSeller,
                            StartStream, StartWallet)
from messages.status import (ChildPids, ChildPidsRequest, ClosingAll, CloseAllPositions, LedgerSnapshot,
                             PidReply, PidRequest, SetBuying, Status, StatusFailed, StatusRequest)
from messages.stream import LaunchBatch, StreamStats, UnwatchMint, WatchMint
from messages.wallet import BalancesReport, ExpectLamportChange, ReleaseMintReservations
from messages.balance import LiveMints, LiveMintsRequest, StrayTokens
from messages.lifecycle import LifecycleStats, LifecycleStatsRequest
from messages.safety import JournalFailed
from messages.stream import Launch

PID_COLLECT_SECONDS = 1.0
ANALYSIS_GRACE_SECONDS = 2.0
WARM_SPARES = 8          # PositionActors forked and warmed ahead, so a buy never waits for one
# The root's copy of the ledger is refreshed within LEDGER_MIRROR_SECONDS of a change: what a
# PositionActor reports is in the journal too (a restarted Director books it from there), so only
# reports of txs the journal does not hold (seller, wallet housekeeping) are mirrored at once.
# A copy costs O(ledger): ~8 ms and ~350 KB after 1,000 round trips.
LEDGER_MIRROR_SECONDS = 1.0
JOURNAL_FAILED_KEY = "journal_failed"   # a ledger failure count: survives a Director restart
MAX_LISTED_MINTS = 100                  # unsellable / unjournaled mints kept for the exit report
FOREIGN_ROWS_KEY = "journal_open_rows_of_another_wallet_or_chain_untouched"   # a lifecycle count
LEDGER_MESSAGES = (TxSent, TxSettled, PositionClosed, PositionFailed, AnalysisDecision, AnalysisDecisions,
                   LaunchBatch, AnalysisFailed, ChildActorExited, SetBuying, JournalFailed,
                   TargetTradeBatch, TargetTradesMissed)   # copy skips and last seen (Ledger.copy_*)


@dataclass
class LivePosition:
    address: Any
    launch: Any
    request_id: str          # the position's id in the journal
    restarts: int = 0
    buy_sent: bool = False   # until then the position holds a slot of max buys


class Director(DirectorFastPath, LaunchRateSpares, CopyDirecting, CopySpares, CashbackClaims, ActorTypeDispatcher):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        name_process("director")   # actors/process_kind.py
        profile_process("director")   # only with PUMPSNIPE_CPU_PROFILE set (actors/cpu_profile.py)
        self.settings = None
        self.started = False   # its actors are up: only then may spares be made (a failed start makes none)
        self.identity = ("", "")                           # (wallet pubkey, genesis hash) of this bot
        self.reporter = None
        self.supervisor: Supervisor | None = None
        self.peers = Peers()
        self.ledger = Ledger()
        self.positions: dict[str, LivePosition] = {}     # mint -> live position
        self.analysing: dict[str, float] = {}            # mint -> when its analysis was asked
        self.analysis_pacer: SendPacer | None = None    # launches to the analyser, one message per interval
        self.spares: list = []                            # warm PositionActors, oldest first
        self.buying = True
        self.safety_mode = False
        self.stray_tokens: tuple = ()
        self.stream_stats: StreamStats | None = None    # last counters the StreamActor reported
        self.shutting_down = False
        self.pid_requests: dict[str, dict] = {}           # request id -> {asker, pids, waiting}
        self.fatal = ""                                    # first child that failed its Start
        self.root = None                                   # the supervising root: ledger mirror
        self.mirror_due = False                            # counters changed, a mirror is timed
        self.journal_failure = ""                          # first failed journal write: safety mode
        self.unjournaled: list = []                        # mints that traded past a failed write
        self.unsellable: list = []                         # mints closed unsellable (still held)
        self.analysis_channel: ChannelClient | None = None  # launches and decisions off thespian

    def receiveMessage(self, msg, sender):
        # every handler's exception is caught here: the Director must never die of a bad message
        try:
            super().receiveMessage(msg, sender)
        except Exception as exc:
            logger.exception("director: {} failed", type(msg).__name__)
            if isinstance(msg, StatusRequest):
                self.send(sender, StatusFailed(msg.request_id, repr(exc)))
        try:
            if self.started:
                self.spares_follow_rate()   # as many warm spares as the launch rate needs (director_spares.py)
                self.copy_spares_sync()     # armed spares for copies (director_copy_spares.py)
                self.fastpath_sync()   # fast mode: armed spares follow the limits (director_fastpath.py)
        except Exception:
            logger.exception("director: fast path sync failed")
        if self.root is not None and not self.shutting_down:
            self._mirror_ledger(msg, sender)
        if self.analysis_channel is not None:   # thespian forgets a watch after every handler
            return ThespianWatch([self.analysis_channel.fileno()])
        return None

    # ---- start-up ------------------------------------------------------------------------------
    def receiveMsg_StartDirector(self, msg: StartDirector, sender):
        if self.settings is not None:
            self.send(sender, DirectorStarted(ok=False, reason="already started"))
            return
        try:
            process_logging(msg.settings, "director")
            self.settings, self.identity = with_identity(msg.settings)   # children get it too
            self.buying = msg.settings.trading.buys_enabled if msg.buying is None else msg.buying
            self.reporter = msg.reporter or sender
            self.peers = Peers(director=self.myAddress)
            self.supervisor = Supervisor(self)
            self.start_copying(self.settings)   # trading.mode copy/both (actors/director_copy.py)
            # read (creating or migrating the schema) and close before forking anything
            journal = Journal(journal_path(msg.settings))
            open_rows = journal.open_positions()
            if msg.ledger is not None:   # supervised by the root: resume its copy of the ledger
                self.root, self.ledger = msg.root, msg.ledger
                ours = [row for row in journal.all_positions() if self._is_ours(row)]
                booked = self.ledger.reconcile_with_journal(ours)
                self.copy_resume([row for row in ours if row["position_id"] in self.ledger.position_ids]
                                 if msg.restart else [])   # the per-target books (director_copy.py)
                if self.ledger.breaker.tripped:   # a trip outlives the Director that saw it
                    self.buying = False
                if msg.restart:
                    logger.warning("director: restart #{}: ledger resumed, {} entries booked from "
                                   "the journal", msg.restart, booked)
            else:
                self.copy_resume([])
            self.copy_seen_resume(journal)   # a whole-bot restart: the journal's (actors/copy_seen.py)
            journal.close()
            for name in ("wallet", "seller", "analyzer", "stream", "balance_monitor", "chain_cache"):
                self._start_core(name)
            self.start_verifier()   # fast mode, analysis.verify = "after" (director_fastpath.py)
            self.clean_stale_lanes()   # a killed spare's lane directory (director_fastpath.py)
            self._recover_open_positions(open_rows)
            for _ in range(self.settings.trading.min_warm_spares):
                self._make_spare()
            if msg.closing_all:   # run.py asked a dead Director to close everything
                self._close_all()
            self.started = True
            self.send(sender, DirectorStarted(ok=True))
            logger.info("director: all actors started")
        except JournalError as exc:   # one line: it names the file and the problem
            logger.error("director: {}", exc)
            self.send(sender, DirectorStarted(ok=False, reason=str(exc)))
        except Exception as exc:
            logger.exception("director: start-up failed")
            self.send(sender, DirectorStarted(ok=False, reason=repr(exc)))

    def _core_start_message(self, name: str):
        from actors.analyzer_inproc import analyzer_class
        from actors.balance_monitor import BalanceMonitorActor
        from actors.chain_refresher import ChainCacheActor
        from messages.start import StartChainCache
        from actors.seller import SellerActor
        from actors.stream import StreamActor
        from actors.wallet import WalletActor
        s, p = self.settings, self.peers
        watched = tuple((mint, live.address) for mint, live in self.positions.items())
        return {
            "wallet": (WalletActor, StartWallet(s, p)),
            "seller": (SellerActor, StartSeller(s, p)),
            "analyzer": (analyzer_class(s), StartAnalyzer(s, p)),
            "stream": (StreamActor, StartStream(s, p, watched, tuple(self.ledger.copy_last_seen.items()))),
            "balance_monitor": (BalanceMonitorActor, StartBalanceMonitor(s, p)),
            "verifier": (analyzer_class(verifier_settings(s)), StartAnalyzer(verifier_settings(s), p)),   # buy then verify
            "chain_cache": (ChainCacheActor, StartChainCache(s)),   # shared blockhash + fee rates
        }[name]

    def _start_core(self, name: str) -> None:
        actor_class, start = self._core_start_message(name)
        address = self.supervisor.start_child(name, actor_class, start)
        self._set_peer(name, address)
        if name == "analyzer":
            self._open_analysis_channel(address)

    def _set_peer(self, name: str, address) -> None:
        if name in ("wallet", "seller", "stream", "analyzer"):
            self.peers = replace(self.peers, **{name: address})

    def _is_ours(self, row: dict) -> bool:
        """Written by this wallet on this chain ('' = a row from before rows were signed: unknown)."""
        return all(self.identity) and (row.get("wallet"), row.get("genesis_hash")) == self.identity

    def _recover_open_positions(self, rows: list) -> None:
        """A previous run (or crash) left positions open: a PositionActor resumes each of this
        wallet's on this chain from its row. Rows of another wallet or chain, or of unknown owner,
        are reported and left untouched: resuming them would book trades this wallet never made."""
        foreign = [row for row in rows if not self._is_ours(row)]
        if foreign:
            self.ledger.lifecycle[FOREIGN_ROWS_KEY] = len(foreign)   # set, not added: restarts repeat it
            logger.warning("director: journal: {} open row(s) of another wallet/chain left untouched "
                           "(this bot: wallet {} genesis {}): {}", len(foreign), self.identity[0],
                           self.identity[1], ", ".join(_foreign_row_text(row) for row in foreign))
        for row in rows:
            if not self._is_ours(row):
                continue
            try:
                launch = Launch(**row["launch"])
            except TypeError:
                logger.error("director: journal row {} has a bad launch; skipped", row["position_id"])
                continue
            if launch.mint in self.positions:
                continue
            live = LivePosition(None, launch, row["position_id"], buy_sent=row["buy_order"] is not None)
            self.positions[launch.mint] = live
            self.copy_recovered(launch)
            if row["position_id"] not in self.ledger.position_ids:   # not a restarted Director's own
                self.ledger.lifecycle["recovered"] += 1
                self.ledger.position_ids.add(row["position_id"])
            self._restart_position(launch.mint, live)
        if self.positions:
            logger.warning("director: resuming {} open position(s) from the journal", len(self.positions))

    def _make_spare(self) -> None:
        from actors.position import PositionActor
        spare = self.createActor(PositionActor)
        self.send(spare, StartPosition(self.settings, self.peers))
        self.spares.append(spare)

    # ---- launches and decisions -----------------------------------------------------------------
    def receiveMsg_LaunchBatch(self, msg: LaunchBatch, sender):
        self.ledger.coins_seen += len(msg.launches)
        if self.settings.trading.mode == "copy":
            return   # copy only: launches are counted, never sniped
        self._expire_lost_analyses()
        requests = []
        for launch in msg.launches:
            why_not = self._why_not_buy(launch.mint, launch)
            if why_not:
                self.ledger.skips[why_not] += 1
                if why_not in venue.POLICY_SETTINGS:
                    logger.info("director: skip {} ({}, as {})", launch.mint, why_not,
                                venue.POLICY_SETTINGS[why_not])
                continue
            self.analysing[launch.mint] = time.monotonic()
            requests.append(AnalyzeLaunch(new_request_id("an"), launch, None))   # the pool has the settings
        if requests:   # one message for the batch's launches, and for any within the send interval
            self._send_to_analysis(*self._analysis_pacer().offer(requests))

    def _analysis_pacer(self) -> SendPacer:
        if self.analysis_pacer is None:
            self.analysis_pacer = SendPacer(self.settings.analysis.send_interval_ms / 1000)
        return self.analysis_pacer

    def _send_to_analysis(self, requests: list, wake_in: float | None) -> None:
        if requests and self.analysis_channel is not None:
            try:
                self.analysis_channel.send(requests)
                requests = []
            except ChannelClosed as exc:
                self._drop_analysis_channel(exc)
            except ValueError:   # a launch the channel cannot carry: this batch goes as a message
                pass
        if requests:
            self.send(self.peers.analyzer, bundled(requests))
        if wake_in is not None:
            self.wakeupAfter(wake_in, payload="analysis")

    def _expire_lost_analyses(self) -> None:
        """An analysis lost with a dead analyser must not hold a position slot for ever."""
        limit = self.settings.analysis.deadline_ms / 1000 * 4 + ANALYSIS_GRACE_SECONDS
        now = time.monotonic()
        for mint, asked_at in list(self.analysing.items()):
            if now - asked_at > limit:
                del self.analysing[mint]
                self.ledger.failures["analysis_lost"] += 1

    def _why_not_buy(self, mint: str, launch=None) -> str:
        """'' when a launch may be analysed for a buy, else the reason it is skipped (summary key).
        With the launch, its coin kind is checked against the [trading] policy too (venue.py)."""
        limits = self.settings.trading
        committed = len(self.positions) + len(self.analysing) + self.fast_slots_held()
        unsent = sum(1 for live in self.positions.values() if not live.buy_sent)
        if mint in self.positions or mint in self.analysing:
            return "already held or being analysed"
        refusal = venue.policy_refusal(launch, limits) if launch is not None else ""
        if refusal:
            return refusal
        if self.ledger.breaker.tripped:
            return "circuit breaker open"
        if self.safety_mode:
            return "wallet safety mode"
        if self.ledger.failures.get(JOURNAL_FAILED_KEY):
            return "journal failed: safety mode"
        if not self.buying:
            return "buying paused"
        if committed >= limits.max_active_positions and len(self.positions) + len(self.analysing) \
                < limits.max_active_positions and self.release_armed_slot():   # director_fastpath.py
            committed -= 1
        if committed >= limits.max_active_positions:
            return "limit: max active positions"
        if limits.max_buys and (self.ledger.bought + unsent + len(self.analysing)
                                + self.fast_slots_held()) >= limits.max_buys:
            return "limit: max buys"   # counts buys sent (+ about to be); 0 = no limit
        return ""

    def receiveMsg_AnalysisDecision(self, msg: AnalysisDecision, sender):
        mint = msg.launch.mint
        if mint not in self.analysing:
            return  # a re-run (troupe at-least-once) of a decision already taken
        del self.analysing[mint]
        self.ledger.on_decision((time.time() - msg.launch.received_at) * 1000)
        if not msg.buy:
            logger.info("director: skip {} score {} ({})", mint, msg.score, ", ".join(msg.reasons))
            keys = getattr(msg, "skip_keys", ()) or ("low score",)
            for key in keys:
                self.ledger.skips[f"analysis: {key}"] += 1
            return
        why_not = self._why_not_buy(mint) if mint not in self.analysing else ""
        if why_not and not why_not.startswith("limit"):   # the limits counted this launch already
            self.ledger.skips[f"after analysis: {why_not}"] += 1
            return
        self._open_position(msg.launch)
        self.verify_after_buy(mint)   # fast mode, analysis.verify = "after" (director_fastpath.py)

    # ---- the analysis channel (actors/analysis_channel.py, in-process analyser only) ----------------
    def _open_analysis_channel(self, analyzer) -> None:
        self._drop_analysis_channel(None)
        if self.settings.analysis.mode == "full" and self.settings.analysis.workers == 0:
            self.send(analyzer, OpenAnalysisChannel(new_request_id("ch")))

    def receiveMsg_AnalysisChannelOpen(self, msg: AnalysisChannelOpen, sender):
        if sender != self.peers.analyzer:
            return   # from an analyser since replaced, or the verifier
        self._drop_analysis_channel(None)
        try:
            self.analysis_channel = ChannelClient(msg.port, msg.token)
            logger.info("director: launches go to the analyser on its channel")
        except OSError as exc:
            logger.warning("director: analysis channel not opened, launches go as messages: {!r}", exc)

    def receiveMsg_WatchMessage(self, msg, sender):
        channel = self.analysis_channel
        if channel is None or channel.fileno() not in msg.ready:
            return
        try:
            answers = channel.answers()
        except ChannelClosed as exc:
            self._drop_analysis_channel(exc)
            return
        if answers:
            decisions = AnalysisDecisions(tuple(answers))
            self.receiveMsg_AnalysisDecisions(decisions, None)
            if self.root is not None and not self.shutting_down:
                self._mirror_ledger(decisions, None)

    def _drop_analysis_channel(self, why) -> None:
        if self.analysis_channel is not None:
            if why is not None:
                logger.warning("director: analysis channel lost ({}), launches go as messages", why)
            self.analysis_channel.close()
            self.analysis_channel = None

    def receiveMsg_AnalysisDecisions(self, msg: AnalysisDecisions, sender):
        for answer in msg.answers:
            if isinstance(answer, AnalysisDecision):
                self.receiveMsg_AnalysisDecision(answer, sender)
            else:
                self.receiveMsg_AnalysisFailed(answer, sender)

    def receiveMsg_AnalysisFailed(self, msg: AnalysisFailed, sender):
        if msg.mint in self.analysing:
            del self.analysing[msg.mint]
            self.ledger.analysed += 1
            self.ledger.failures["analysis_failed"] += 1
            self.ledger.skips["analysis failed"] += 1
            logger.warning("director: analysis of {} failed: {}", msg.mint, msg.reason)

    def _open_position(self, launch, buy_lamports: int = 0, address=None) -> None:
        """On `address` (a spare already taken out of self.spares), else on a warm unarmed spare."""
        address = address or self._take_unarmed_spare()
        request_id = new_request_id("pos")
        self.positions[launch.mint] = LivePosition(address, launch, request_id)
        self.ledger.position_ids.add(request_id)
        self.ledger.note_position(launch.mint, launch.copy_target)   # whose PnL its trades are
        self.send(address, OpenPosition(request_id, launch, launch.received_at, buy_lamports))
        self.send(self.peers.stream, WatchMint(launch.mint, address))
        self._make_spare()

    # ---- position reports -----------------------------------------------------------------------
    def receiveMsg_TxSent(self, msg: TxSent, sender):
        if self.ledger.on_tx_sent(msg) and msg.mint in self.positions:
            self.positions[msg.mint].buy_sent = True

    def receiveMsg_TxSettled(self, msg: TxSettled, sender):
        # a live position's first report: it told the wallet itself just before (PositionActor.
        # _report_settled); one re-told from the journal (sent_at given) may be the wallet's first word
        wallet_told = not msg.sent_at and self._from_its_position(msg, sender)
        if self.ledger.on_tx_settled(msg) and self.peers.wallet is not None and not wallet_told:
            self.send(self.peers.wallet, ExpectLamportChange(msg.signature, msg.lamport_delta, msg.slot))

    def receiveMsg_PositionClosed(self, msg: PositionClosed, sender):
        live = self.positions.pop(msg.mint, None)
        if live is None:   # a restarted actor re-reporting a closure already booked
            self.send(sender, ActorExitRequest())
            return
        self.ledger.on_position_closed(msg)
        if msg.outcome == "unsellable":   # its tokens stay in the wallet: the sweep and the exit see them
            self.unsellable = (self.unsellable + [msg.mint])[-MAX_LISTED_MINTS:]
        self.copy_position_closed(msg.mint)
        self._consult_breaker(msg.pnl_lamports, failed=msg.outcome != "sold")
        logger.info("director: closed {} {} pnl {} lamports", msg.mint, msg.outcome, msg.pnl_lamports)
        self._release_reservations(msg.mint, "position closed")
        if self.peers.stream is not None:
            self.send(self.peers.stream, UnwatchMint(msg.mint))
        if live is not None:
            self.send(live.address, ActorExitRequest())

    def receiveMsg_PositionFailed(self, msg: PositionFailed, sender):
        self.ledger.failures["position_failed"] += 1
        self._consult_breaker(0, failed=True)
        logger.error("director: position {} failed: {}", msg.mint, msg.reason)
        live = self.positions.get(msg.mint)
        if live is not None and live.address == sender:   # it never started: free the slot
            del self.positions[msg.mint]
            self.copy_position_closed(msg.mint)
            self._release_reservations(msg.mint, "position failed")
            self.send(self.peers.stream, UnwatchMint(msg.mint))
            self.send(sender, ActorExitRequest())

    # ---- safety mode: the journal failed ---------------------------------------------------------
    def receiveMsg_JournalFailed(self, msg: JournalFailed, sender):
        """No new buy for the rest of the run; open positions go on from memory and sell."""
        self.ledger.failures[JOURNAL_FAILED_KEY] += 1
        self.unjournaled = (self.unjournaled + [msg.mint])[-MAX_LISTED_MINTS:]
        if not self.journal_failure:
            self.journal_failure = msg.reason
            logger.critical("director: JOURNAL FAILED ({}); SAFETY MODE: no new buys for the rest "
                            "of this run, open positions keep selling", msg.reason)
        logger.error("director: position {} ({}) trades unjournaled", msg.mint, msg.position_id)

    # ---- balances ------------------------------------------------------------------------------
    def receiveMsg_LiveMintsRequest(self, msg: LiveMintsRequest, sender):
        self.send(sender, LiveMints(msg.request_id, tuple(self.positions)))

    def receiveMsg_StreamStats(self, msg: StreamStats, sender):
        self.stream_stats = msg

    def receiveMsg_StrayTokens(self, msg: StrayTokens, sender):
        self.stray_tokens = msg.tokens

    def receiveMsg_BalancesReport(self, msg: BalancesReport, sender):
        if msg.safety_mode != self.safety_mode:
            logger.warning("director: wallet safety mode {} ({})", msg.safety_mode, msg.reason)
        self.safety_mode = msg.safety_mode

    # ---- supervision ---------------------------------------------------------------------------
    def receiveMsg_ChildActorExited(self, msg: ChildActorExited, sender):
        if self.shutting_down:
            return   # a restart racing the shutdown would leave an orphan (thespian #27)
        address = msg.childAddress
        if address in self.spares:
            self.spares.remove(address)
            self.note_dead_spare(address)   # the stream may have opened a position on it (director_fastpath.py)
            self._make_spare()
            return
        for mint, live in self.positions.items():
            if live.address == address:
                self._recover_position(mint, live)
                return
        self.supervisor.on_child_exited(msg)

    def _recover_position(self, mint: str, live: LivePosition) -> None:
        live.restarts += 1
        self.ledger.failures["position_restarted"] += 1
        logger.warning("director: position {} died; restart #{} resumes it from the journal",
                       mint, live.restarts)
        if not self.ledger.pending_for(mint):   # with a tx in flight the hold still explains it
            self._release_reservations(mint, "position restarted")
        self._restart_position(mint, live)

    def _release_reservations(self, mint: str, reason: str) -> None:
        """A dead position's reservation would hold funds until it expires: free it now."""
        if self.peers.wallet is not None:
            self.send(self.peers.wallet, ReleaseMintReservations(mint, reason))

    def _restart_position(self, mint: str, live: LivePosition) -> None:
        from actors.position import PositionActor
        live.address = self.createActor(PositionActor)
        self.send(live.address, StartPosition(self.settings, self.peers, spare=False))
        self.send(live.address, RecoverPosition(live.request_id, live.launch,
                                                self.ledger.pending_for(mint)))
        self.send(self.peers.stream, WatchMint(mint, live.address))

    def on_child_restarted(self, name: str, address) -> None:
        """Called by the Supervisor after it restarted a core child: tell everyone its new address."""
        self._set_peer(name, address)
        if name == "stream":
            self.fastpath_stream_restarted()
        if name == "analyzer":   # the old channel died with the old analyser
            self._open_analysis_channel(address)
        notice = PeersChanged(self.peers)
        for live in self.positions.values():
            self.send(live.address, notice)
        for spare in self.spares:
            self.send(spare, notice)
        for other in ("wallet", "seller", "stream", "analyzer", "balance_monitor"):
            child = self.supervisor.address_of(other)
            if other != name and child is not None:
                self.send(child, notice)

    def on_child_gave_up(self, name: str, reason: str) -> None:
        """Called by the Supervisor when a child keeps dying: stop buying, keep selling."""
        self.ledger.failures[f"{name}_gave_up"] += 1
        if name in ("wallet", "stream", "analyzer"):
            self.buying = False
        logger.error("director: {} cannot be kept alive ({}); buying {}", name, reason,
                     "paused" if not self.buying else "continues")

    def child_start_message(self, name: str):
        """Used by the Supervisor to build a restarted child's Start message with current state."""
        return self._core_start_message(name)[1]

    def receiveMsg_WakeupMessage(self, msg: WakeupMessage, sender):
        if isinstance(msg.payload, tuple) and msg.payload and msg.payload[0] == "pids":
            self._finish_pid_request(msg.payload[1])
        elif msg.payload == "mirror":
            pass   # the ledger mirror, flushed after this handler by receiveMessage
        elif msg.payload == "analysis":
            self._send_to_analysis(self._analysis_pacer().due(), None)
        else:
            self.supervisor.on_wakeup(msg)

    def receiveMsg_ActorExitRequest(self, msg: ActorExitRequest, sender):
        self.shutting_down = True
        if self.supervisor is not None:
            self.supervisor.shutdown()   # no restart may race the shutdown

    # ---- run.py / tests --------------------------------------------------------------------------
    def receiveMsg_StatusRequest(self, msg: StatusRequest, sender):
        led = self.ledger
        self.send(sender, Status(
            request_id=msg.request_id, coins_seen=led.coins_seen, analysed=led.analysed,
            bought=led.bought, sold=led.sold, active_positions=len(self.positions),
            pnl_lamports=led.pnl_lamports, pnl_usdc=led.pnl_usdc, failures=dict(led.failures),
            restarts=dict(self.supervisor.restart_counts()) if self.supervisor else {},
            latencies_ms=led.latencies_ms.as_tuple(), unresolved_signatures=len(led.unresolved),
            safety_mode=self.safety_mode, stray_tokens=self.stray_tokens, buys=led.buys.as_tuple(),
            decision_ms=led.decision_ms.as_tuple(), stream=self._stream_counters(),
            lifecycle=dict(led.lifecycle),
            buying=self.buying and not self.safety_mode and not led.failures.get(JOURNAL_FAILED_KEY),
            breaker=led.breaker.tripped, fatal=self.fatal, skips=dict(led.skips),
            latency_histogram=led.latency_histogram.copy(), buys_total=led.buys.added,
            decision_histogram=led.decision_histogram.copy(),
            open_mints=tuple(self.positions), unsellable_mints=tuple(self.unsellable),
            journal_failure=self.journal_failure or ("journal failed (before a Director restart)"
                                                     if led.failures.get(JOURNAL_FAILED_KEY) else ""),
            unjournaled_mints=tuple(self.unjournaled),
            exit_to_sell_histogram=led.exit_to_sell_histogram.copy(), landing_slots=dict(led.landing_slots),
            copy=self.copy_report(), rent_reclaimed=led.rent_reclaimed,
            cashback_lamports=led.cashback_lamports, cashback_usdc=led.cashback_usdc))

    def _stream_counters(self) -> dict:
        stats = self.stream_stats
        if stats is None:
            return {}
        return {"updates": stats.updates, "launches": stats.launches, "trades": stats.trades,
                "malformed": stats.malformed, "reconnects": stats.reconnects,
                "connected": stats.connected}

    def receiveMsg_LifecycleStatsRequest(self, msg: LifecycleStatsRequest, sender):
        self.send(sender, LifecycleStats(msg.request_id, dict(self.ledger.lifecycle)))

    def receiveMsg_StartFailed(self, msg: StartFailed, sender):
        """A child could not start: stop buying; run.py sees `fatal` in Status and stops the run."""
        self.ledger.failures[f"start_failed:{msg.name}"] += 1
        self.buying = False
        if not self.fatal:
            self.fatal = f"{msg.name} failed to start: {msg.reason}"
            logger.error("director: {}", self.fatal)

    def _consult_breaker(self, pnl_lamports: int, failed: bool) -> None:
        was_tripped = self.ledger.breaker.tripped
        self.ledger.breaker = breaker.after_trade(self.ledger.breaker, breaker.BreakerLimits.from_settings(
            self.settings), pnl_lamports, failed)
        if self.ledger.breaker.tripped and not was_tripped:
            self.buying = False
            logger.error("director: BREAKER: {}; buying stopped, open positions still sell",
                         self.ledger.breaker.tripped)

    def receiveMsg_SetBuying(self, msg: SetBuying, sender):
        if msg.enabled and self.ledger.breaker.tripped:   # an operator's resume closes the breaker
            logger.warning("director: breaker reset by resume (was: {})", self.ledger.breaker.tripped)
            self.ledger.breaker = breaker.reset(self.ledger.breaker)
        self.buying = msg.enabled
        logger.info("director: buying {}", "enabled" if msg.enabled else "paused")

    def receiveMsg_CloseAllPositions(self, msg: CloseAllPositions, sender):
        self._close_all()
        self.send(sender, ClosingAll(msg.request_id, len(self.positions)))

    def _close_all(self) -> None:
        self.buying = False
        for live in self.positions.values():
            self.send(live.address, ExitNow("close all", cancel_unsent_buy=True))
        logger.info("director: buying stopped; closing {} open position(s)", len(self.positions))

    def _mirror_ledger(self, msg, sender) -> None:
        """Keep the root's copy of the ledger current: a restarted Director resumes from it (and
        books from the journal whatever money event this copy misses)."""
        flush = isinstance(msg, WakeupMessage) and msg.payload == "mirror"
        unjournaled = isinstance(msg, (TxSent, TxSettled)) and not self._from_its_position(msg, sender)
        # a target's trades at once: a restarted stream looks for missed ones since the last seen (copy_gaps.py)
        target_seen = isinstance(msg, TargetTradeBatch) and self.copy_desk is not None
        if isinstance(msg, StartDirector) or unjournaled or target_seen or (flush and self.mirror_due):
            self.send(self.root, LedgerSnapshot(self.ledger.copy()))
            self.mirror_due = False
        elif isinstance(msg, LEDGER_MESSAGES) and not self.mirror_due:
            self.mirror_due = True
            self.wakeupAfter(LEDGER_MIRROR_SECONDS, payload="mirror")

    def _from_its_position(self, msg, sender) -> bool:
        """Sent by the live position of msg.mint (a position reports only its own coin): one address
        compare instead of one per live position (thespian's address __eq__ is slow)."""
        live = self.positions.get(msg.mint)
        return live is not None and live.address == sender

    def receiveMsg_ChildPidsRequest(self, msg: ChildPidsRequest, sender):
        targets = {name: self.supervisor.address_of(name)
                   for name in ("wallet", "seller", "analyzer", "stream", "balance_monitor", "chain_cache")}
        targets.update({f"position:{mint}": live.address for mint, live in self.positions.items()})
        targets.update({f"spare:{index}": spare for index, spare in enumerate(self.spares)})
        waiting = {}
        for name, address in targets.items():
            if address is None:
                continue
            ask_id = new_request_id("pid")
            waiting[ask_id] = name
            self.send(address, PidRequest(ask_id))
        self.pid_requests[msg.request_id] = {"asker": sender, "pids": {"director": os.getpid()},
                                             "waiting": waiting}
        self.wakeupAfter(PID_COLLECT_SECONDS, payload=("pids", msg.request_id))

    def receiveMsg_PidReply(self, msg: PidReply, sender):
        for request_id, pending in self.pid_requests.items():
            name = pending["waiting"].pop(msg.request_id, None)
            if name is not None:
                pending["pids"][name] = msg.pid
                if not pending["waiting"]:
                    self._finish_pid_request(request_id)
                return

    def _finish_pid_request(self, request_id: str) -> None:
        pending = self.pid_requests.pop(request_id, None)
        if pending is not None:
            self.send(pending["asker"], ChildPids(request_id, dict(pending["pids"])))

    def receiveMsg_PidRequest(self, msg: PidRequest, sender):
        self.send(sender, PidReply(msg.request_id, os.getpid()))

    def receiveUnrecognizedMessage(self, msg, sender):
        logger.debug("director: ignored {}", type(msg).__name__)


def _foreign_row_text(row: dict) -> str:
    return (f"{row['mint']} (wallet {row.get('wallet') or 'unknown'}, "
            f"genesis {row.get('genesis_hash') or 'unknown'})")


def with_identity(settings) -> tuple:
    """(settings with chain.genesis_hash, (wallet pubkey, genesis hash)). The genesis hash as the
    preflight or the local chain set it, else read once now (a harness that skipped both). What
    cannot be known stays '': no open row is then resumed (the children report the real cause)."""
    wallet = genesis = ""
    try:
        wallet = str(load_wallet_key(settings.wallet.keypair_path, settings.wallet.private_key).pubkey)
        genesis = settings.chain.genesis_hash
        if not genesis:
            from app.preflight import read_genesis_hash
            genesis = read_genesis_hash(settings)
            settings = settings.replace(**{"chain.genesis_hash": genesis})
    except Exception as exc:
        logger.warning("director: this bot's wallet or chain is unknown ({}): open journal rows "
                       "will not be resumed", exc)
    return settings, (wallet, genesis or "")
