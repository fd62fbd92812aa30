"""Sends the market's signed transactions through the node's own JSON-RPC over HTTP.

Transactions queue up and go out as JSON-RPC batches (each batch: the sendTransaction calls, then
one getSignatureStatuses for them all). The node answers a batch in order, so the statuses tell
at once whether each transaction landed and whether it failed. One batch is in flight at a time,
so transactions reach the chain in the order they were submitted.
"""
from __future__ import annotations

import asyncio
import base64
import itertools
from dataclasses import dataclass

import aiohttp
import orjson
from loguru import logger
from solders.compute_budget import set_compute_unit_limit, set_compute_unit_price
from solders.hash import Hash
from solders.instruction import Instruction
from solders.keypair import Keypair
from solders.message import MessageV0
from solders.pubkey import Pubkey
from solders.transaction import VersionedTransaction

from localnet.faults_rpc import WORLD_TRAFFIC_HEADER

MAX_BATCH = 32                 # a batch runs in one go on the node's loop: keep its stall short
BLOCKHASH_REFRESH_S = 0.2
COMPUTE_UNIT_LIMIT = 200_000
REQUEST_TIMEOUT_S = 30


@dataclass(frozen=True)
class TxOutcome:
    signature: str
    landed: bool              # executed and recorded (possibly failed: see err)
    err: object | None        # the transaction error, or why it never landed

    @property
    def ok(self) -> bool:
        return self.landed and self.err is None


@dataclass
class SenderCounters:
    submitted: int = 0
    succeeded: int = 0
    failed: int = 0           # landed with an error (fee paid)
    rejected: int = 0         # refused or lost before execution


class RpcSender:
    """Queue of signed transactions, flushed to `rpc_url` in ordered batches."""

    def __init__(self, rpc_url: str, *, max_batch: int = MAX_BATCH):
        self.rpc_url = rpc_url
        self.max_batch = max_batch
        self.counters = SenderCounters()
        self._queue: list[tuple[VersionedTransaction, asyncio.Future]] = []
        self._in_flight: list[tuple[VersionedTransaction, asyncio.Future]] = []   # the batch being sent
        self._wakeup = asyncio.Event()
        self._session: aiohttp.ClientSession | None = None
        self._tasks: list[asyncio.Task] = []
        self._blockhash: Hash | None = None
        self._request_ids = itertools.count(1)
        self._unit_prices = itertools.cycle(range(1, 1_000))   # distinct priority fees keep repeats unique

    @property
    def pending(self) -> int:
        return len(self._queue)

    async def start(self) -> "RpcSender":
        self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=REQUEST_TIMEOUT_S))
        await self._refresh_blockhash()
        loop = asyncio.get_running_loop()
        self._tasks = [loop.create_task(self._flush_forever()), loop.create_task(self._refresh_forever())]
        return self

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            try:
                await task
            except (asyncio.CancelledError, Exception):
                pass
        self._tasks = []
        for _, future in self._queue:
            if not future.done():
                future.cancel()
        self._queue.clear()
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def call(self, method: str, params: list | None = None) -> object:
        """One JSON-RPC call; raises RuntimeError on an error answer."""
        answer = await self._post({"jsonrpc": "2.0", "id": next(self._request_ids), "method": method,
                                   "params": params or []})
        if "error" in answer:
            raise RuntimeError(f"{method} failed: {answer['error']}")
        return answer["result"]

    def submit(self, instructions: list[Instruction], signers: list[Keypair],
               payer: Pubkey | None = None) -> asyncio.Future:
        """Sign with the current blockhash and queue; signers[0] pays (`payer`: its key, if known).
        The future gives a TxOutcome."""
        prefix = [set_compute_unit_limit(COMPUTE_UNIT_LIMIT), set_compute_unit_price(next(self._unit_prices))]
        message = MessageV0.try_compile(payer or signers[0].pubkey(), prefix + instructions, [], self._blockhash)
        future = asyncio.get_running_loop().create_future()
        self._queue.append((VersionedTransaction(message, signers), future))
        self.counters.submitted += 1
        self._wakeup.set()
        return future

    async def drain(self) -> None:
        """Wait until everything submitted so far has been answered, the batch on the wire included."""
        while self._queue or self._in_flight:
            await asyncio.gather(*(f for _, f in self._queue + self._in_flight), return_exceptions=True)

    async def _post(self, payload: object) -> object:
        async with self._session.post(self.rpc_url, data=orjson.dumps(payload),
                                      headers={"Content-Type": "application/json", WORLD_TRAFFIC_HEADER: "1"}) as response:
            if response.status != 200:
                raise RuntimeError(f"RPC answered HTTP {response.status}")
            return orjson.loads(await response.read())

    async def _refresh_blockhash(self) -> None:
        answer = await self.call("getLatestBlockhash", [{"commitment": "processed"}])
        self._blockhash = Hash.from_string(answer["value"]["blockhash"])

    async def _refresh_forever(self) -> None:
        while True:
            await asyncio.sleep(BLOCKHASH_REFRESH_S)
            try:
                await self._refresh_blockhash()
            except (aiohttp.ClientError, asyncio.TimeoutError, RuntimeError, KeyError, TypeError) as problem:
                logger.warning("market: blockhash refresh failed: {}", problem)

    async def _flush_forever(self) -> None:
        while True:
            await self._wakeup.wait()
            self._wakeup.clear()
            while self._queue:
                self._in_flight, self._queue = self._queue[:self.max_batch], self._queue[self.max_batch:]
                try:
                    await self._send_batch(self._in_flight)
                finally:
                    self._in_flight = []

    async def _send_batch(self, batch: list[tuple[VersionedTransaction, asyncio.Future]]) -> None:
        signatures = [str(tx.signatures[0]) for tx, _ in batch]
        requests = [{"jsonrpc": "2.0", "id": i, "method": "sendTransaction",
                     "params": [base64.b64encode(bytes(tx)).decode(), {"encoding": "base64", "skipPreflight": True}]}
                    for i, (tx, _) in enumerate(batch)]
        requests.append({"jsonrpc": "2.0", "id": len(batch), "method": "getSignatureStatuses", "params": [signatures]})
        try:
            answers = await self._post(requests)
            by_id = {a.get("id"): a for a in answers} if isinstance(answers, list) else {}
        except (aiohttp.ClientError, asyncio.TimeoutError, RuntimeError, orjson.JSONDecodeError) as problem:
            logger.warning("market: batch of {} transactions not sent: {}", len(batch), problem)
            by_id = {}
        statuses = (by_id.get(len(batch)) or {}).get("result", {}).get("value") or [None] * len(batch)
        for i, ((_, future), signature, status) in enumerate(zip(batch, signatures, statuses)):
            outcome = self._outcome(signature, by_id.get(i), status)
            if outcome.ok:
                self.counters.succeeded += 1
            elif outcome.landed:
                self.counters.failed += 1
            else:
                self.counters.rejected += 1
            if not future.done():
                future.set_result(outcome)

    @staticmethod
    def _outcome(signature: str, answer: dict | None, status: dict | None) -> TxOutcome:
        if answer is None:
            return TxOutcome(signature, False, "NoAnswer")
        if "error" in answer:
            return TxOutcome(signature, False, answer["error"].get("message"))
        if status is None:
            return TxOutcome(signature, False, "NotExecuted")     # accepted but not (yet) executed
        return TxOutcome(signature, True, status.get("err"))

