"""RpcClient against the real local chain over HTTP, plus failover and retry behaviour.

FaultServer below is a deliberate fault server: it answers the first requests with 429 / 503 and
then passes every request through to the real local chain, so retries are exercised end to end.
"""
import asyncio
import socket

import aiohttp
import pytest
from aiohttp import web
from solders.keypair import Keypair
from solders.message import MessageV0
from solders.system_program import TransferParams, transfer
from solders.transaction import VersionedTransaction

from adapters.solana_rpc import RpcClient, RpcError, SendError

pytestmark = pytest.mark.timeout(60)


def dead_endpoint() -> str:
    """A loopback URL where nothing listens (connection refused)."""
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return f'http://127.0.0.1:{sock.getsockname()[1]}'


class FaultServer:
    """Deliberate fault server: `faults` is a list of HTTP statuses for the first requests."""

    def __init__(self, upstream: str, faults: list[int]):
        self.upstream, self.faults, self.methods = upstream, list(faults), []

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        self.methods.append((await request.json())['method'])
        if self.faults:
            status = self.faults.pop(0)
            return web.Response(status=status, headers={'Retry-After': '0'}, text='fault')
        async with self.session.post(self.upstream, data=body,
                                     headers={'Content-Type': 'application/json'}) as resp:
            return web.Response(status=resp.status, body=await resp.read(),
                                content_type='application/json')

    async def __aenter__(self) -> str:
        self.session = aiohttp.ClientSession()
        app = web.Application()
        app.router.add_post('/', self.handle)
        self.runner = web.AppRunner(app)
        await self.runner.setup()
        site = web.TCPSite(self.runner, '127.0.0.1', 0)
        await site.start()
        return f'http://127.0.0.1:{self.runner.addresses[0][1]}'

    async def __aexit__(self, *exc) -> None:
        await self.runner.cleanup()
        await self.session.close()


async def signed_transfer(rpc: RpcClient, payer: Keypair, to, lamports: int) -> bytes:
    recent = await rpc.get_latest_blockhash()
    message = MessageV0.try_compile(payer.pubkey(), [transfer(TransferParams(
        from_pubkey=payer.pubkey(), to_pubkey=to, lamports=lamports))], [], recent.blockhash)
    return bytes(VersionedTransaction(message, [payer]))


async def wait_confirmed(rpc: RpcClient, signature: str) -> None:
    for _ in range(200):
        status, = await rpc.get_signature_statuses([signature])
        if status is not None and status.confirmation_status in ('confirmed', 'finalized'):
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f'{signature} not confirmed')


async def test_transfer_round_trip_reads_exact_meta(localnet):
    rpc = RpcClient([localnet.rpc_url], timeout_ms=2_000)
    try:
        payer, receiver = localnet.faucet, Keypair().pubkey()
        assert await rpc.get_balance(receiver) == 0
        signature = await rpc.send_raw(await signed_transfer(rpc, payer, receiver, 1_234_567))
        await wait_confirmed(rpc, signature)
        meta = await rpc.get_transaction_meta(signature)
        assert meta.succeeded and meta.err is None and meta.fee == 5_000
        assert meta.lamport_delta(receiver) == 1_234_567
        assert meta.lamport_delta(payer.pubkey()) == -1_234_567 - 5_000
        assert await rpc.get_balance(receiver) == 1_234_567
        assert await rpc.get_token_balance(receiver) is None      # a wallet, not a token account
        assert await rpc.get_transaction_meta(str(Keypair().sign_message(b'x'))) is None
    finally:
        await rpc.close()


async def test_confirmed_but_failed_transaction_reports_err(localnet):
    rpc = RpcClient([localnet.rpc_url], timeout_ms=2_000)
    try:
        poor = Keypair()
        airdrop = await signed_transfer(rpc, localnet.faucet, poor.pubkey(), 1_000_000)
        await wait_confirmed(rpc, await rpc.send_raw(airdrop))
        # more than it has: lands on chain (fee charged) with an error, preflight skipped
        overdraw = await signed_transfer(rpc, poor, Keypair().pubkey(), 5_000_000)
        signature = await rpc.send_raw(overdraw, skip_preflight=True)
        await wait_confirmed(rpc, signature)
        meta = await rpc.get_transaction_meta(signature)
        assert not meta.succeeded and meta.err
        assert meta.lamport_delta(poor.pubkey()) == -meta.fee
        # with preflight the node refuses it: reported, known not sent
        with pytest.raises(SendError) as refused:
            await rpc.send_raw(await signed_transfer(rpc, poor, Keypair().pubkey(), 6_000_000),
                               skip_preflight=False)
        assert refused.value.kind == 'rpc_error' and refused.value.maybe_sent is False
        assert refused.value.signature
    finally:
        await rpc.close()


async def test_blockhash_is_cached_for_about_a_slot(localnet):
    rpc = RpcClient([localnet.rpc_url], blockhash_max_age_ms=300)
    try:
        first, second = await asyncio.gather(rpc.get_latest_blockhash(), rpc.get_latest_blockhash())
        assert first is second
        await asyncio.sleep(0.35)
        assert (await rpc.get_latest_blockhash()).fetched_at > first.fetched_at
    finally:
        await rpc.close()


async def test_dead_first_endpoint_fails_over_for_reads_and_sends(localnet):
    rpc = RpcClient([dead_endpoint(), localnet.rpc_url], timeout_ms=1_000)
    try:
        assert await rpc.get_balance(localnet.faucet.pubkey()) > 0
        assert rpc.current == 1 and rpc.stats['failovers'] == 1 and rpc.stats['connection'] == 1
        rpc.current = 0   # a send starting on the dead endpoint provably never left: next one
        signature = await rpc.send_raw(await signed_transfer(rpc, localnet.faucet,
                                                             Keypair().pubkey(), 1_000))
        await wait_confirmed(rpc, signature)
        assert rpc.current == 1
    finally:
        await rpc.close()


async def test_429_then_503_are_retried_with_backoff_for_reads(localnet):
    async with FaultServer(localnet.rpc_url, [429, 503]) as faulty:
        rpc = RpcClient([faulty], backoff_ms=10, max_retries=3)
        try:
            assert await rpc.get_balance(localnet.faucet.pubkey()) > 0
            assert (rpc.stats['rate_limited'], rpc.stats['server_error'], rpc.stats['retries']) \
                == (1, 1, 2)
        finally:
            await rpc.close()


async def test_retries_are_bounded(localnet):
    async with FaultServer(localnet.rpc_url, [503] * 10) as faulty:
        rpc = RpcClient([faulty], backoff_ms=1, max_retries=2)
        try:
            with pytest.raises(RpcError) as failed:
                await rpc.get_balance(localnet.faucet.pubkey())
            assert failed.value.kind == 'server_error' and rpc.stats['retries'] == 2
        finally:
            await rpc.close()


async def test_send_is_not_retried_after_a_5xx(localnet):
    fault = FaultServer(localnet.rpc_url, [])
    async with fault as faulty:
        rpc = RpcClient([faulty], backoff_ms=1)
        try:
            tx = await signed_transfer(rpc, localnet.faucet, Keypair().pubkey(), 1_000)
            fault.faults[:] = [503, 503]
            with pytest.raises(SendError) as failed:
                await rpc.send_raw(tx)
            assert failed.value.kind == 'server_error' and failed.value.maybe_sent is True
            assert failed.value.signature == str(VersionedTransaction.from_bytes(tx).signatures[0])
            assert fault.methods.count('sendTransaction') == 1          # exactly one attempt
        finally:
            await rpc.close()
