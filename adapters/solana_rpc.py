"""Solana JSON-RPC over solana-py's AsyncClient, with failover between endpoints and retries.

Reads are idempotent, so 429s, 5xx, timeouts and connection errors are retried with exponential
backoff, moving to the next endpoint. sendTransaction is never blindly retried: the only automatic
second try is on another endpoint after a refused connection (the transaction provably never left);
any other failure is reported as SendError with `maybe_sent`, and the caller decides (it knows the
signature and can check its status). Endpoints are logged by index only: URLs may carry API keys.
"""
from __future__ import annotations

import asyncio
import collections
import time
from dataclasses import dataclass
from typing import Awaitable, Callable, Sequence

import aiohttp
import httpx2
from loguru import logger
from solana.exceptions import SolanaRpcException
from solana.rpc.async_api import AsyncClient
from solana.rpc.core import RPCException
from solana.rpc.models import TxOpts
from solders.hash import Hash
from solders.pubkey import Pubkey
from solders.rpc.responses import GetBlockHeightResp, GetSignatureStatusesResp, GetTransactionResp
from solders.signature import Signature
from solders.transaction import VersionedTransaction

from adapters import shared_tls  # noqa: F401  (one TLS context for every AsyncClient: see there)
from adapters.light_rpc import LightHttpStatus, LightTransport

RETRYABLE_RPC_MESSAGES = ('node is unhealthy', 'node is behind', 'min context slot')
MISSING_ACCOUNT_MESSAGES = ('could not find account', 'not a token account')

# reads of a just-created coin: the stream sees it at processed, so the reads must look there too
# (at confirmed a fresh mint is 'not found' for a slot or two on a real cluster)
FRESH_COMMITMENT = 'processed'


class RpcError(Exception):
    """A failed RPC call. kind: rate_limited | server_error | timeout | connection | http_error |
    rpc_error | bad_response; `retryable` says whether repeating the same read may succeed."""

    def __init__(self, method: str, kind: str, detail: str, endpoint: int, retryable: bool):
        super().__init__(f'{method} on rpc#{endpoint} failed ({kind}): {detail}')
        self.method, self.kind, self.detail = method, kind, detail
        self.endpoint, self.retryable = endpoint, retryable


class SendError(RpcError):
    """sendTransaction failed. maybe_sent: the node may still have the transaction (timeouts, 5xx,
    broken connections): check `signature`'s status before sending anything again."""

    def __init__(self, error: RpcError, signature: str | None, maybe_sent: bool):
        super().__init__(error.method, error.kind, error.detail, error.endpoint, False)
        self.signature, self.maybe_sent = signature, maybe_sent


@dataclass(frozen=True)
class RecentBlockhash:
    blockhash: Hash
    last_valid_block_height: int
    fetched_at: float          # time.monotonic()


@dataclass(frozen=True)
class TokenBalance:
    account_index: int
    mint: str
    owner: str | None
    amount: int                # raw token units


@dataclass(frozen=True)
class TxMeta:
    """What a transaction really did. Check err: a confirmed transaction can still have failed."""
    signature: str
    slot: int
    err: str | None
    fee: int
    account_keys: tuple[str, ...]
    pre_balances: tuple[int, ...]
    post_balances: tuple[int, ...]
    pre_token_balances: tuple[TokenBalance, ...]
    post_token_balances: tuple[TokenBalance, ...]
    log_messages: tuple[str, ...]

    @property
    def succeeded(self) -> bool:
        return self.err is None

    def lamport_delta(self, account: str | Pubkey) -> int:
        """Post minus pre lamports of one account (fee included when it is the payer)."""
        index = self.account_keys.index(str(account))
        return self.post_balances[index] - self.pre_balances[index]

    def token_delta(self, owner: str | Pubkey, mint: str | Pubkey) -> int:
        """Change of the owner's raw balance of mint across this transaction."""
        def total(balances):
            return sum(b.amount for b in balances if b.owner == str(owner) and b.mint == str(mint))
        return total(self.post_token_balances) - total(self.pre_token_balances)


@dataclass(frozen=True)
class SigStatus:
    slot: int
    err: str | None
    confirmation_status: str | None   # processed | confirmed | finalized

    def reached(self, commitment: str) -> bool:
        """Its confirmation status is at `commitment` or beyond (processed < confirmed < finalized)."""
        have = COMMITMENT_RANK.get(self.confirmation_status or '', -1)
        return have >= COMMITMENT_RANK.get(commitment, COMMITMENT_RANK['confirmed'])


COMMITMENT_RANK = {'processed': 0, 'confirmed': 1, 'finalized': 2}


class RpcClient:
    """JSON-RPC with failover over several endpoints (first is primary; stays on the one that works)."""

    def __init__(self, urls: Sequence, commitment: str = 'confirmed', timeout_ms: int = 5_000,
                 max_retries: int = 3, backoff_ms: int = 100, backoff_max_ms: int = 2_000,
                 blockhash_max_age_ms: int = 400):
        if not urls:
            raise ValueError('RpcClient needs at least one endpoint')
        plain = [u.reveal() if hasattr(u, 'reveal') else u for u in urls]
        # transport retries off: this class decides what may be retried (never sends)
        self._clients = [AsyncClient(u, commitment=commitment, timeout=timeout_ms / 1000,
                                     max_transport_retries=0) for u in plain]
        # the confirmation polls' reads, at a quarter of the CPU (adapters/light_rpc.py)
        self._light = LightTransport(plain, timeout_ms / 1000)
        self.commitment = commitment
        # nodes refuse getTransaction below confirmed: a client at processed reads metas at confirmed
        self.meta_commitment = 'confirmed' if commitment == 'processed' else commitment
        self.max_retries = max_retries
        self.backoff_ms, self.backoff_max_ms = backoff_ms, backoff_max_ms
        self.blockhash_max_age_s = blockhash_max_age_ms / 1000
        self.current = 0
        self.stats: collections.Counter = collections.Counter()
        self._blockhash: RecentBlockhash | None = None
        self._blockhash_fetch: asyncio.Future | None = None

    @classmethod
    def from_settings(cls, settings) -> 'RpcClient':
        chain = settings.chain
        return cls(chain.rpc_urls, commitment=chain.commitment, timeout_ms=chain.rpc_timeout_ms,
                   max_retries=chain.rpc_max_retries)

    async def close(self) -> None:
        await asyncio.gather(*(c.close() for c in self._clients), self._light.close(),
                             return_exceptions=True)

    # ---- reads (retried) -------------------------------------------------------------------------
    async def get_balance(self, pubkey: Pubkey | str) -> int:
        key = _pubkey(pubkey)
        return (await self._read('getBalance', lambda c: c.get_balance(key))).value

    async def get_balance_and_slot(self, pubkey: Pubkey | str) -> tuple[int, int]:
        """(lamports, the slot the node read them at)."""
        key = _pubkey(pubkey)
        resp = await self._read('getBalance', lambda c: c.get_balance(key))
        return resp.value, resp.context.slot

    async def get_token_balance(self, token_account: Pubkey | str) -> int | None:
        """Raw units held by a token account, or None if there is no such token account."""
        key = _pubkey(token_account)
        try:
            resp = await self._read('getTokenAccountBalance',
                                    lambda c: c.get_token_account_balance(key))
        except RpcError as exc:
            if exc.kind == 'rpc_error' and any(m in exc.detail.lower()
                                               for m in MISSING_ACCOUNT_MESSAGES):
                return None
            raise
        return int(resp.value.amount)

    async def get_latest_blockhash(self) -> RecentBlockhash:
        """Cached for about a slot; concurrent callers share one request."""
        cached = self._blockhash
        if cached and time.monotonic() - cached.fetched_at < self.blockhash_max_age_s:
            return cached
        if self._blockhash_fetch is None:
            self._blockhash_fetch = asyncio.ensure_future(self._fetch_blockhash())
            self._blockhash_fetch.add_done_callback(self._forget_blockhash_fetch)
        return await asyncio.shield(self._blockhash_fetch)

    def forget_blockhash(self) -> None:
        """Drop the cached blockhash (e.g. after a 'blockhash not found' rejection)."""
        self._blockhash = None

    def _forget_blockhash_fetch(self, _future) -> None:
        self._blockhash_fetch = None

    async def _fetch_blockhash(self) -> RecentBlockhash:
        resp = await self._read('getLatestBlockhash', lambda c: c.get_latest_blockhash())
        self._blockhash = RecentBlockhash(resp.value.blockhash, resp.value.last_valid_block_height,
                                          time.monotonic())
        return self._blockhash

    async def get_signature_statuses(self, signatures: Sequence[str | Signature]) -> list[SigStatus | None]:
        """Each signature's status in the node's recent status cache (None: not seen), at processed."""
        resp = await self._read_light('getSignatureStatuses', [[str(s) for s in signatures]],
                                      GetSignatureStatusesResp)
        return [None if s is None else SigStatus(
            s.slot, None if s.err is None else str(s.err),
            None if s.confirmation_status is None else str(s.confirmation_status).split('.')[-1].lower())
            for s in resp.value]

    async def get_transaction_meta(self, signature: str | Signature) -> TxMeta | None:
        """The executed transaction's meta, or None if the node does not know it (yet)."""
        resp = await self._read_light('getTransaction', [str(signature), {
            'encoding': 'json', 'commitment': self.meta_commitment, 'maxSupportedTransactionVersion': 0}],
            GetTransactionResp)
        return None if resp.value is None else _tx_meta(str(signature), resp.value)

    async def get_block_height(self) -> int:
        return (await self._read_light('getBlockHeight', [{'commitment': self.commitment}],
                                       GetBlockHeightResp)).value

    async def call(self, method: str, request: Callable[[AsyncClient], Awaitable]):
        """Any other idempotent AsyncClient read, with the same failover and retries."""
        return await self._read(method, request)

    # ---- send (never blindly retried) ------------------------------------------------------------
    async def send_raw(self, tx_bytes: bytes, skip_preflight: bool = True) -> str:
        """Send a signed transaction; returns its signature or raises SendError."""
        signature = _first_signature(tx_bytes)
        opts = TxOpts(skip_confirmation=True, skip_preflight=skip_preflight,
                      preflight_commitment=self.commitment)
        for _ in range(len(self._clients)):
            index = self.current
            try:
                resp = await self._clients[index].send_raw_transaction(tx_bytes, opts=opts)
                return str(resp.value)
            except Exception as exc:
                error = _classify('sendTransaction', exc, index)
                self.stats[f'send_{error.kind}'] += 1
                if not _never_delivered(exc) or len(self._clients) == 1:
                    raise SendError(error, signature, maybe_sent=_maybe_sent(error, exc)) from exc
                logger.warning('{}; trying the next endpoint (transaction never left)', error)
                self._fail_over(index)
        raise SendError(error, signature, maybe_sent=False)

    # ---- internals -------------------------------------------------------------------------------
    async def _read(self, method: str, request: Callable[[AsyncClient], Awaitable]):
        return await self._retried(method, lambda index: request(self._clients[index]))

    async def _read_light(self, method: str, params: list, parser):
        """A read over the light transport (adapters/light_rpc.py), retried and failed over as any."""
        return await self._retried(method, lambda index: self._light.read(index, method, params, parser))

    async def _retried(self, method: str, request: Callable[[int], Awaitable]):
        """request(endpoint index), with backoff and failover on what may succeed when asked again."""
        tried: set[int] = set()
        for attempt in range(self.max_retries + 1):
            index = self.current
            tried.add(index)
            try:
                return await request(index)
            except Exception as exc:
                error = _classify(method, exc, index)
                self.stats[error.kind] += 1
                if not error.retryable or attempt == self.max_retries:
                    raise error from exc
                self._fail_over(index)
                self.stats['retries'] += 1
                delay = 0.0 if self.current not in tried else self._backoff(attempt, exc)
                logger.debug('{}; retry {} in {:.0f} ms on rpc#{}', error, attempt + 1,
                             delay * 1000, self.current)
                await asyncio.sleep(delay)
        raise AssertionError('unreachable')

    def _fail_over(self, failed_index: int) -> None:
        if len(self._clients) > 1 and self.current == failed_index:
            self.current = (failed_index + 1) % len(self._clients)
            self.stats['failovers'] += 1

    def _backoff(self, attempt: int, exc: Exception) -> float:
        delay_ms = min(self.backoff_ms * (2 ** attempt), self.backoff_max_ms)
        retry_after = _retry_after_seconds(exc)
        if retry_after is not None:
            delay_ms = max(delay_ms, min(retry_after * 1000, self.backoff_max_ms))
        return delay_ms / 1000


def _pubkey(value: Pubkey | str) -> Pubkey:
    return value if isinstance(value, Pubkey) else Pubkey.from_string(value)


def _first_signature(tx_bytes: bytes) -> str | None:
    try:
        return str(VersionedTransaction.from_bytes(tx_bytes).signatures[0])
    except Exception:
        return None


def _cause(exc: Exception) -> BaseException:
    return exc.__cause__ if isinstance(exc, SolanaRpcException) and exc.__cause__ else exc


def _http_refusal(cause: BaseException) -> tuple[int, str] | None:
    """(HTTP status, Retry-After) when either transport's endpoint answered other than 200."""
    if isinstance(cause, LightHttpStatus):
        return cause.status, cause.retry_after
    if isinstance(cause, httpx2.HTTPStatusError):
        return cause.response.status_code, cause.response.headers.get('retry-after', '')
    return None


def _classify(method: str, exc: Exception, endpoint: int) -> RpcError:
    cause = _cause(exc)
    refusal = _http_refusal(cause)
    if refusal is not None:
        status = refusal[0]
        if status == 429:
            return RpcError(method, 'rate_limited', 'HTTP 429', endpoint, True)
        if status >= 500:
            return RpcError(method, 'server_error', f'HTTP {status}', endpoint, True)
        return RpcError(method, 'http_error', f'HTTP {status}', endpoint, False)
    # aiohttp's timeouts are TimeoutErrors, and before its other ClientErrors
    if isinstance(cause, (httpx2.TimeoutException, asyncio.TimeoutError)):
        return RpcError(method, 'timeout', type(cause).__name__, endpoint, True)
    if isinstance(cause, aiohttp.ClientPayloadError):   # the light transport's truncated body
        return RpcError(method, 'bad_response', type(cause).__name__, endpoint, True)
    if isinstance(cause, (httpx2.TransportError, aiohttp.ClientError)):
        return RpcError(method, 'connection', type(cause).__name__, endpoint, True)
    if isinstance(cause, RPCException):
        err = cause.args[0] if cause.args else cause
        message = str(getattr(err, 'message', err))
        retryable = any(m in message.lower() for m in RETRYABLE_RPC_MESSAGES)
        return RpcError(method, 'rpc_error', message, endpoint, retryable)
    if isinstance(cause, ValueError):   # unparsable body from a misbehaving node
        return RpcError(method, 'bad_response', f'{type(cause).__name__}: {cause}'[:200], endpoint, True)
    return RpcError(method, 'unexpected', f'{type(cause).__name__}: {cause}'[:200], endpoint, False)


def _never_delivered(exc: Exception) -> bool:
    return isinstance(_cause(exc), httpx2.ConnectError)


def _maybe_sent(error: RpcError, exc: Exception) -> bool:
    if error.kind in ('rate_limited', 'rpc_error', 'http_error'):
        return False   # the node answered and refused it
    return not _never_delivered(exc)


def _retry_after_seconds(exc: Exception) -> float | None:
    refusal = _http_refusal(_cause(exc))
    if refusal is not None and refusal[1].isdigit():
        return float(refusal[1])
    return None


def _tx_meta(signature: str, value) -> TxMeta:
    meta = value.transaction.meta
    keys = [str(k) for k in value.transaction.transaction.message.account_keys]
    loaded = meta.loaded_addresses
    if loaded is not None:
        keys += [str(k) for k in loaded.writable] + [str(k) for k in loaded.readonly]

    def balances(items):
        return tuple(TokenBalance(b.account_index, str(b.mint),
                                  None if b.owner is None else str(b.owner),
                                  int(b.ui_token_amount.amount)) for b in (items or ()))
    return TxMeta(signature=signature, slot=value.slot,
                  err=None if meta.err is None else str(meta.err), fee=meta.fee,
                  account_keys=tuple(keys), pre_balances=tuple(meta.pre_balances),
                  post_balances=tuple(meta.post_balances),
                  pre_token_balances=balances(meta.pre_token_balances),
                  post_token_balances=balances(meta.post_token_balances),
                  log_messages=tuple(meta.log_messages or ()))
