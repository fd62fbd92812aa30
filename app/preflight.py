"""Live preflight: before any actor starts, check what a live run cannot trade without.

The keypair loads; every RPC URL answers getGenesisHash and all agree (unreachable ones are dropped
with a warning, none reachable stops the run); the stream endpoint (Yellowstone gRPC with its
x-token, else the websocket URL) connects; the wallet can afford one buy with its fees and rent.
Any failure is a PreflightError with one line for the user. Endpoints are named by host only (their
paths and queries may carry API keys) and key material is never shown.
"""
from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from dataclasses import dataclass
from urllib.parse import urlsplit

from loguru import logger

from adapters.keys import KeypairError, WalletKey, load_wallet_key
from app.summary import lamports_to_sol
from config.secrets import reveal

PROBE_TIMEOUT_SECONDS = 5.0


class PreflightError(Exception):
    """A live run cannot start; the message is one line, free of secrets."""


@dataclass(frozen=True)
class RpcProbe:
    """What one RPC endpoint answered: its genesis hash, or why it could not."""
    index: int
    host: str
    genesis: str | None = None
    error: str | None = None


def endpoint_host(url: str) -> str:
    """Scheme, host and port only: paths, queries and user info may carry API keys."""
    parts = urlsplit(url)
    host = parts.hostname or '?'
    if ':' in host:
        host = f'[{host}]'   # IPv6
    try:
        port = parts.port
    except ValueError:
        port = None
    return f'{parts.scheme}://{host}' + (f':{port}' if port else '') if parts.scheme else host


def usable_rpc_indexes(probes: list[RpcProbe]) -> list[int]:
    """Indexes of the endpoints to use; PreflightError if none answers or they disagree on genesis."""
    reachable = [p for p in probes if p.genesis is not None]
    if not reachable:
        failures = '; '.join(f'rpc#{p.index} {p.host}: {p.error}' for p in probes)
        raise PreflightError(f'no RPC endpoint is reachable ({failures})')
    first = reachable[0]
    for other in reachable[1:]:
        if other.genesis != first.genesis:
            raise PreflightError(
                f'RPC endpoints disagree on the genesis hash (different clusters): rpc#{first.index} '
                f'{first.host} has {first.genesis}, rpc#{other.index} {other.host} has {other.genesis}')
    return [p.index for p in reachable]


def check_affordable(balance_lamports: int, needed_lamports: int, pubkey) -> None:
    if balance_lamports < needed_lamports:
        raise PreflightError(
            f'wallet {pubkey} holds {lamports_to_sol(balance_lamports)} SOL, one buy with fees and '
            f'rent needs {lamports_to_sol(needed_lamports)} SOL')


def load_key(settings) -> WalletKey:
    try:
        return load_wallet_key(settings.wallet.keypair_path, settings.wallet.private_key)
    except KeypairError as error:   # its message never holds key material
        raise PreflightError(f'wallet: {error}') from None


# ---- probes ---------------------------------------------------------------------------------------
TRANSIENT_HTTP_STATUS = {429, 500, 502, 503, 504}   # a busy endpoint: asked again, not dropped
PROBE_ATTEMPTS = 4
PROBE_BACKOFF_SECONDS = 0.25
async def probe_rpc(index: int, url: str, timeout: float) -> RpcProbe:
    from solana.rpc.async_api import AsyncClient
    client = AsyncClient(url, timeout=timeout, max_transport_retries=0)
    host = endpoint_host(url)
    try:
        for attempt in range(PROBE_ATTEMPTS):
            try:
                response = await asyncio.wait_for(client.get_genesis_hash(), timeout)
                return RpcProbe(index, host, genesis=str(response.value))
            except Exception as error:
                cause = error.__cause__ or error
                status = getattr(getattr(cause, 'response', None), 'status_code', None)
                if status not in TRANSIENT_HTTP_STATUS or attempt == PROBE_ATTEMPTS - 1:
                    return RpcProbe(index, host, error=type(cause).__name__)
                await asyncio.sleep(PROBE_BACKOFF_SECONDS * 2 ** attempt)   # 429/5xx: ask again
    finally:
        await client.close()


async def probe_grpc(endpoint: str, x_token: str | None, timeout: float) -> None:
    """One unary GetVersion with the x-token: proves the connection and the token."""
    import grpc
    from adapters.yellowstone.client import _split_endpoint
    from adapters.yellowstone.generated import geyser_pb2 as geyser
    target, secure = _split_endpoint(endpoint)
    channel = (grpc.aio.secure_channel(target, grpc.ssl_channel_credentials()) if secure
               else grpc.aio.insecure_channel(target))
    metadata = (('x-token', x_token),) if x_token else None
    try:
        call = channel.unary_unary('/geyser.Geyser/GetVersion',
                                   request_serializer=geyser.GetVersionRequest.SerializeToString,
                                   response_deserializer=geyser.GetVersionResponse.FromString)
        await call(geyser.GetVersionRequest(), metadata=metadata, timeout=timeout)
    except grpc.aio.AioRpcError as error:
        code = error.code()
        if code in (grpc.StatusCode.UNAUTHENTICATED, grpc.StatusCode.PERMISSION_DENIED):
            raise PreflightError(f'Yellowstone gRPC {target} refused the x-token '
                                 f'({"none set" if not x_token else "check GRPC_X_TOKEN"})') from None
        raise PreflightError(f'Yellowstone gRPC {target} is not reachable ({code.name})') from None
    finally:
        await channel.close()


def probe_grpc_in_child(endpoint: str, x_token: str | None, timeout: float) -> None:
    """gRPC leaves native threads running after its channel closes, and the actor system is forked
    from this process next: the probe runs in a child (token on its stdin, never in env or argv)."""
    from config.secrets import scrubbed_env
    try:
        result = subprocess.run(
            [sys.executable, '-m', 'app.preflight'], capture_output=True, text=True,
            input=json.dumps({'endpoint': endpoint, 'x_token': x_token, 'timeout': timeout}),
            timeout=timeout + 30, env=scrubbed_env())
        reply = json.loads(result.stdout.strip().splitlines()[-1])
    except (subprocess.TimeoutExpired, ValueError, IndexError):
        raise PreflightError(f'the Yellowstone gRPC check of {endpoint} did not finish') from None
    if reply.get('error'):
        raise PreflightError(reply['error'])


def _grpc_probe_main() -> None:
    """`python -m app.preflight`: one gRPC probe, request on stdin, one JSON line out."""
    request = json.loads(sys.stdin.read())
    try:
        asyncio.run(probe_grpc(request['endpoint'], request['x_token'], request['timeout']))
        print(json.dumps({'error': ''}))
    except PreflightError as error:
        print(json.dumps({'error': str(error)}))


async def probe_websocket(url: str, timeout: float) -> None:
    from solana.rpc.websocket_api import SolanaWsClient
    try:
        async with asyncio.timeout(timeout):
            ws = await SolanaWsClient(url).connect()
            await ws.close()
    except Exception as error:
        raise PreflightError(f'websocket {endpoint_host(url)} is not reachable '
                             f'({type(error).__name__})') from None


async def wallet_balance(url: str, pubkey, timeout: float) -> int:
    from adapters.solana_rpc import RpcClient
    rpc = RpcClient([url], timeout_ms=int(timeout * 1000), max_retries=1)
    try:
        return await rpc.get_balance(pubkey)
    except Exception as error:
        raise PreflightError(f'could not read the wallet balance from {endpoint_host(url)} '
                             f'({type(error).__name__})') from None
    finally:
        await rpc.close()


# ---- the whole check ------------------------------------------------------------------------------
async def _preflight(settings, timeout: float):
    from actors.trading_io import ChainAccess
    key = load_key(settings)
    chain = settings.chain
    urls = [reveal(u) for u in chain.rpc_urls]
    probes = await asyncio.gather(*(probe_rpc(i, u, timeout) for i, u in enumerate(urls)))
    usable = usable_rpc_indexes(list(probes))
    for probe in probes:
        if probe.genesis is None:
            logger.warning('preflight: rpc#{} {} is not reachable ({}); going on without it',
                           probe.index, probe.host, probe.error)
    if chain.grpc_endpoint:
        await asyncio.to_thread(probe_grpc_in_child, chain.grpc_endpoint,
                                reveal(chain.grpc_x_token), timeout)
    elif chain.ws_url:
        await probe_websocket(reveal(chain.ws_url), timeout)
    else:
        raise PreflightError('no stream endpoint: set chain.grpc_endpoint (GRPC_ENDPOINT) or WS_URL')
    needed = ChainAccess(settings).buy_reservation_lamports()
    balance = await wallet_balance(urls[usable[0]], key.pubkey, timeout)
    check_affordable(balance, needed, key.pubkey)
    logger.info('preflight ok: wallet {} holds {} SOL; {} of {} RPC endpoint(s) usable; stream {}',
                key.pubkey, lamports_to_sol(balance), len(usable), len(urls),
                'gRPC' if chain.grpc_endpoint else 'websocket')
    kept = tuple(chain.rpc_urls[i] for i in usable)
    return settings.replace(**{'chain.rpc_urls': kept, 'chain.genesis_hash': probes[usable[0]].genesis})


def read_genesis_hash(settings, timeout: float = PROBE_TIMEOUT_SECONDS) -> str:
    """The chain's genesis hash from the first RPC URL (journal rows carry it); PreflightError if
    it does not answer."""
    probe = asyncio.run(probe_rpc(0, reveal(settings.chain.rpc_urls[0]), timeout))
    if probe.genesis is None:
        raise PreflightError(f'rpc#0 {probe.host} did not answer getGenesisHash ({probe.error})')
    return probe.genesis


def run_preflight(settings, timeout: float = PROBE_TIMEOUT_SECONDS):
    """Check a live configuration; returns settings keeping only the reachable RPC URLs."""
    return asyncio.run(_preflight(settings, timeout))


if __name__ == '__main__':
    _grpc_probe_main()
