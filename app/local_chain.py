"""The embedded local chain as a child process of a run: started, waited for, funded, always stopped."""
from __future__ import annotations

import asyncio
import contextlib
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from loguru import logger

from app.copy_targets import with_smart_wallets
from app.summary import lamports_to_sol
from config.secrets import Secret, scrubbed_env
from config.settings import Settings

CHILD_STOP_TIMEOUT_SECONDS = 5.0
PROJECT_ROOT = Path(__file__).resolve().parents[1]


class ChainChild:
    """A `python -m localnet`-style child in its own session whose stdout announces its endpoints on a
    READY line: started, waited for, always stopped (the whole group). The lines printed before READY
    (e.g. `market metadata <url>`) are kept in `banner`."""

    def __init__(self, command: list[str], log_path: Path, guard=None):
        self.log_path = log_path
        self.banner: list[str] = []
        self.lines: queue.Queue = queue.Queue()
        with open(log_path, 'ab') as chain_log:
            self.process: subprocess.Popen | None = subprocess.Popen(
                command, stdout=subprocess.PIPE, stderr=chain_log, stdin=subprocess.DEVNULL,
                start_new_session=True, cwd=PROJECT_ROOT, env=scrubbed_env())
        if guard is not None:
            guard.add(self.process.pid)   # its own session: pgid == pid
        threading.Thread(target=self._read_lines, args=(self.process,), name='localnet-stdout',
                         daemon=True).start()

    def _read_lines(self, process: subprocess.Popen) -> None:
        """Queue lines up to READY, then keep draining the pipe so the chain never blocks on it."""
        ready = False
        for raw in process.stdout:
            if not ready:
                line = raw.decode(errors='replace').strip()
                self.lines.put(line)
                ready = line.startswith('READY ')
        self.lines.put(None)

    def wait_ready(self, timeout: float) -> dict:
        """The READY line's `key=value` endpoints; RuntimeError if the child exits or stays silent."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                break
            if line is None:
                raise RuntimeError(f'the local chain exited (code {self.process.wait()}); see {self.log_path}')
            if line.startswith('READY '):
                return dict(part.split('=', 1) for part in line.split()[1:] if '=' in part)
            self.banner.append(line)
        raise RuntimeError(f'the local chain was not ready within {timeout}s')

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(CHILD_STOP_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            logger.warning('local chain ignored SIGTERM; killing it')
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)   # and anything it started
        process.wait()


class LocalChainProcess:
    """The run's embedded chain (and market): started from the settings, waited for, its fresh wallet
    funded, always stopped."""

    def __init__(self, settings: Settings, run_dir: Path):
        self.settings, self.run_dir = settings, run_dir
        self.child: ChainChild | None = None

    def __enter__(self) -> 'LocalChainProcess':
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def process(self) -> subprocess.Popen | None:
        return self.child.process if self.child else None

    def start(self, guard=None) -> Settings:
        """Start the chain (and its market), fund a fresh wallet, return settings pointing at both."""
        local = self.settings.localnet
        self.child = ChainChild(chain_command(local), self.run_dir / 'localnet.log', guard)
        endpoints = self.child.wait_ready(local.startup_timeout_seconds)
        logger.info('local chain ready: rpc {} ws {} grpc {} api {}; market {}', endpoints['rpc'],
                    endpoints['ws'], endpoints.get('grpc') or 'off', endpoints.get('api') or 'off',
                    f'{local.launch_rate} launches/s' if local.market else 'off')
        wallet_path = self._fund_fresh_wallet(endpoints['rpc'], local.wallet_airdrop_lamports)
        api = endpoints.get('api') or None
        settings = with_smart_wallets(self.settings, endpoints.get('market') or None)   # copy.smart_wallets
        return settings.replace(**{
            'chain.rpc_urls': (Secret(endpoints['rpc']),), 'chain.ws_url': Secret(endpoints['ws']),
            'chain.grpc_endpoint': endpoints.get('grpc') or None,
            'chain.jupiter_url': api, 'chain.rugcheck_url': api,
            'wallet.keypair_path': str(wallet_path),
            'wallet.private_key': None})   # a local run never touches a real key from the env

    def _fund_fresh_wallet(self, rpc_url: str, lamports: int) -> Path:
        from solders.keypair import Keypair
        from adapters.keys import write_keypair_file
        keypair = Keypair()
        path = write_keypair_file(keypair, self.run_dir / 'wallet.json')
        asyncio.run(_airdrop(rpc_url, keypair.pubkey(), lamports))
        logger.info('local wallet {} funded with {} SOL', keypair.pubkey(), lamports_to_sol(lamports))
        return path

    def stop(self) -> None:
        if self.child is not None:
            self.child.stop()


def chain_command(local) -> list[str]:
    """`python -m localnet` on free ports, with the market the settings ask for."""
    command = [sys.executable, '-m', 'localnet', '--rpc-port', '0', '--ws-port', '0',
               '--grpc-port', '0', '--api-port', '0', '--seed', str(local.seed), '--quiet']
    if local.market:
        command += ['--market', '--launch-rate', str(local.launch_rate)]
        if local.max_coins:
            command += ['--max-coins', str(local.max_coins)]
    if local.faults_file:
        command += ['--faults', local.faults_file]
    return command


async def _airdrop(rpc_url: str, pubkey, lamports: int) -> None:
    from adapters.solana_rpc import RpcClient
    rpc = RpcClient([rpc_url])
    try:
        await rpc.call('requestAirdrop', lambda c: c.request_airdrop(pubkey, lamports))
        for _ in range(200):
            if await rpc.get_balance(pubkey) >= lamports:
                return
            await asyncio.sleep(0.05)
        raise RuntimeError('the local wallet airdrop did not arrive')
    finally:
        await rpc.close()
