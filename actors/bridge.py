"""The one bridge between an actor's thread and its asyncio I/O.

An IOActor owns an asyncio loop running in a helper thread (started on first use, so an actor that
creates children before doing I/O forks with no live threads). Coroutines run on that loop; their
outcomes are queued in a deque and announced by one byte on a socketpair that the actor watches with
ThespianWatch. The actor drains the deque in its own thread, so callbacks -- and therefore all actor
state -- only ever run in the actor thread (measured at ~0.65 ms p50 in THESPIAN_NOTES.md).
"""
from __future__ import annotations

import asyncio
import collections
import concurrent.futures
import socket
import threading
from typing import Any, Awaitable, Callable

from loguru import logger
from thespian.actors import Actor, ActorExitRequest, ThespianWatch, WatchMessage

import actors.thespian_quiet  # noqa: F401  (cheap identify() in every actor process)
from actors.process_kind import name_process

LOOP_STOP_TIMEOUT_SECONDS = 2.0


class _CancelFlag:
    __slots__ = ("cancelled",)

    def __init__(self):
        self.cancelled = False


class IoHandle:
    """A submitted coroutine. cancel() stops it and guarantees its callbacks will not run.

    The future's done-callback holds the handle's flag, never the handle: a callback holding the
    handle, which holds the future, which holds the callback, made a reference cycle of every
    submit (the coroutine's task and the job's messages with it), freed only by the cyclic GC: an
    analyser at 400 launches/s paused 10-16 ms for a gen-2 collection every ~2 s."""

    __slots__ = ("_future", "_flag")

    def __init__(self, future: concurrent.futures.Future, flag: _CancelFlag | None = None):
        self._future = future
        self._flag = flag or _CancelFlag()

    @property
    def cancelled(self) -> bool:
        return self._flag.cancelled

    def cancel(self) -> None:
        self._flag.cancelled = True
        self._future.cancel()

    @property
    def done(self) -> bool:
        return self._future.done()


class IOActor(Actor):
    """Base for every actor that does I/O.

    Subclasses implement on_message(msg, sender) and never override receiveMessage. Handler
    exceptions are caught and logged, so one bad message never kills the actor or triggers
    thespian's retry/PoisonMessage path. on_exit() is the subclass's cleanup hook;
    on_loop_close() runs on the loop (e.g. to close HTTP sessions) before it stops.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._completions: collections.deque = collections.deque()
        self._wake_read, self._wake_write = socket.socketpair()
        self._wake_read.setblocking(False)
        self._wake_write.setblocking(False)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._loop_thread: threading.Thread | None = None
        self._exiting = False
        self.actor_thread_id = threading.get_ident()
        # held by the actor thread while it runs any of this actor's code; a helper thread that must
        # act as the actor (an armed spare's lane thread, actors/position_lane_thread.py) takes it
        # too, so the two never run actor code at once. Uncontended on every other actor.
        self.actor_lock = threading.Lock()

    # ---- thespian entry point -------------------------------------------------------------------
    def receiveMessage(self, msg, sender):
        # final: subclasses override on_message instead
        with self.actor_lock:
            return self._receive(msg, sender)

    def _receive(self, msg, sender):
        self.actor_thread_id = threading.get_ident()
        if isinstance(msg, WatchMessage):
            for fd in self.watched_fds():
                if fd in msg.ready:
                    self._guarded(self.on_fd_ready, fd)
            self._drain_completions()
        elif isinstance(msg, ActorExitRequest):
            self._exit()
            return None
        else:
            self._guarded(self.on_message, msg, sender)
        name_process(self.process_kind())
        # the watch list is reset after every handler, so every return re-arms it
        return ThespianWatch([self._wake_read.fileno(), *self.watched_fds()])

    def on_message(self, msg, sender) -> None:
        """Subclasses handle their messages here (in the actor thread)."""

    def process_kind(self) -> str:
        """What this process does, as it names itself (actors/process_kind.py)."""
        return type(self).__name__.removesuffix("Actor").lower()

    def watched_fds(self) -> list[int]:
        """Further descriptors the actor thread wakes on (e.g. the fast path's lane, spare_lane.py)."""
        return []

    def on_fd_ready(self, fd: int) -> None:
        """One of watched_fds() is readable (in the actor thread)."""

    def on_exit(self) -> None:
        """Subclass cleanup on ActorExitRequest; the loop and thread are stopped afterwards anyway."""

    async def on_loop_close(self) -> None:
        """Runs on the loop just before it stops (close clients/sessions here)."""

    # ---- API used by subclasses ------------------------------------------------------------------
    def submit(self, coro: Awaitable, on_result: Callable[[Any], None],
               on_error: Callable[[BaseException], None] | None = None,
               timeout: float | None = None) -> IoHandle:
        """Run coro on the loop; later on_result(value) or on_error(exc) runs in the actor thread.

        A timeout cancels the coroutine and reports asyncio.TimeoutError to on_error.
        """
        loop = self._ensure_loop()
        future = asyncio.run_coroutine_threadsafe(_with_timeout(coro, timeout), loop)
        flag = _CancelFlag()
        future.add_done_callback(
            lambda fut: self._enqueue(self._complete, flag, fut, on_result, on_error))
        return IoHandle(future, flag)

    def post(self, fn: Callable, *args) -> None:
        """Thread-safe: run fn(*args) in the actor thread (for long-running streams on the loop)."""
        self._enqueue(fn, *args)

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        """The actor's asyncio loop (started on first use)."""
        return self._ensure_loop()

    # ---- internals -------------------------------------------------------------------------------
    def _ensure_loop(self) -> asyncio.AbstractEventLoop:
        if self._exiting:
            raise RuntimeError('IOActor is exiting: no new I/O accepted')
        if self._loop is None:
            self._loop = asyncio.new_event_loop()
            self._loop_thread = threading.Thread(
                target=self._loop.run_forever, name=f'{type(self).__name__}-io', daemon=True)
            self._loop_thread.start()
        return self._loop

    def _enqueue(self, fn: Callable, *args) -> None:
        self._completions.append((fn, args))
        try:
            self._wake_write.send(b'\0')
        except BlockingIOError:
            pass  # buffer full: the actor is already due to wake and drains everything
        except OSError:
            pass  # socket closed during exit: nothing left to run callbacks

    def _drain_completions(self) -> None:
        try:
            while self._wake_read.recv(4096):
                pass
        except (BlockingIOError, InterruptedError):
            pass
        while self._completions:
            fn, args = self._completions.popleft()
            self._guarded(fn, *args)

    def _complete(self, flag: _CancelFlag, fut: concurrent.futures.Future,
                  on_result: Callable, on_error: Callable | None) -> None:
        if flag.cancelled or fut.cancelled():
            return
        exc = fut.exception()
        if exc is None:
            on_result(fut.result())
        elif on_error is not None:
            on_error(exc)
        else:
            logger.opt(exception=exc).error('{}: unhandled I/O error: {!r}', type(self).__name__, exc)

    def _guarded(self, fn: Callable, *args) -> None:
        try:
            fn(*args)
        except Exception as exc:  # a handler bug must not kill the actor
            logger.opt(exception=exc).error('{}: handler {} failed: {!r}',
                                            type(self).__name__, getattr(fn, '__name__', fn), exc)

    def _exit(self) -> None:
        self._guarded(self.on_exit)
        self._exiting = True
        self._stop_loop()
        self._wake_read.close()
        self._wake_write.close()

    def _stop_loop(self) -> None:
        loop, thread = self._loop, self._loop_thread
        if loop is None:
            return
        try:
            asyncio.run_coroutine_threadsafe(self._close_loop(), loop).result(
                LOOP_STOP_TIMEOUT_SECONDS)
        except Exception as exc:
            logger.warning('{}: loop close did not finish cleanly: {!r}', type(self).__name__, exc)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(LOOP_STOP_TIMEOUT_SECONDS)
        if not thread.is_alive():
            loop.close()

    async def _close_loop(self) -> None:
        try:
            await asyncio.wait_for(self.on_loop_close(), LOOP_STOP_TIMEOUT_SECONDS / 2)
        except Exception as exc:
            logger.warning('{}: on_loop_close failed: {!r}', type(self).__name__, exc)
        current = asyncio.current_task()
        tasks = [t for t in asyncio.all_tasks() if t is not current]
        for task in tasks:
            task.cancel()
        await asyncio.wait(tasks, timeout=LOOP_STOP_TIMEOUT_SECONDS / 2) if tasks else None


async def _with_timeout(coro: Awaitable, timeout: float | None):
    if timeout is None:
        return await coro
    return await asyncio.wait_for(coro, timeout)
