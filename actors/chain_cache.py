"""The chain values every spare and live position keeps fresh for a buy or sell with no I/O -- the
latest blockhash (and its last valid height), the priority-fee rate and the Global fee rates --
read once for the whole bot by the ChainCacheActor (actors/chain_refresher.py) and written to one
small file that each process reads without RPC.

Why: each spare and live position used to re-read them every SPARE_REFRESH_SECONDS itself: N
processes = N RPC round trips and event-loop wake-ups a second, on the two cores the hot path runs
on (bench_detection_latency's CPU-by-process table). Now a reader's warm-up is a file read.

Safety: a value is used only while it is fresh: the blockhash read at most SHARED_MAX_AGE_SECONDS
ago (a dead writer stops refreshing, so its values age out), the Global within
trading.global_refresh_seconds and the dynamic fee within trading.priority_fee_refresh_seconds;
anything else and the reader reads the chain itself, as before. The file is replaced atomically
(write + rename), so a reader never sees half of one. It is named after the chain's endpoints, so
a run never reads another endpoint's blockhash (a chain restarted on the same endpoint: the old
values have aged out by the time it serves)."""
from __future__ import annotations

import base64
import hashlib
import json
import os
import time
from pathlib import Path

from adapters.pumpfun import venue
from adapters.pumpfun.layout_v1 import GLOBAL
from adapters.solana_rpc import RecentBlockhash
from solders.hash import Hash

SHARED_MAX_AGE_SECONDS = 3.0   # the writer refreshes every second: three missed refreshes = its values are not used


def cache_path(settings) -> Path | None:
    """This chain's cache file in the run's directory; None when the run has none."""
    run = settings.run
    folder = run.run_dir or run.runs_dir
    if not folder:
        return None
    chain = settings.chain
    urls = [url.reveal() if hasattr(url, "reveal") else str(url) for url in chain.rpc_urls]
    digest = hashlib.sha256("\n".join(urls).encode()).hexdigest()[:16]
    return Path(folder) / f"chain-cache-{digest}.json"


def write_cache(path: Path, recent: RecentBlockhash, global_data: bytes, global_read_at: float,
                fee_price: int | None, fee_read_at: float) -> None:
    """Replace the file with these values (times: time.time() of each read)."""
    blockhash_read_at = time.time() - (time.monotonic() - recent.fetched_at)
    body = json.dumps({"blockhash": str(recent.blockhash), "height": recent.last_valid_block_height,
                       "blockhash_read_at": blockhash_read_at,
                       "global": base64.b64encode(global_data).decode(), "global_read_at": global_read_at,
                       "fee_price": fee_price, "fee_read_at": fee_read_at})
    temporary = path.with_name(f".{path.name}.{os.getpid()}")
    temporary.write_text(body)
    os.replace(temporary, path)


class SharedChainValues:
    """A reader's view of the file (one per ChainAccess); the decoded Global is kept until the
    writer reads a newer one."""

    def __init__(self, path: Path | None):
        self.path = path
        self.global_read_at = None   # the wall time of the Global decoded last
        self.global_ = self.fees = None
        self.uses = self.misses = 0   # warm-ups served by the file / that read the chain (for tests)

    def read(self) -> dict | None:
        if self.path is None:
            return None
        try:
            return json.loads(self.path.read_bytes())
        except (OSError, ValueError):
            return None

    def apply(self, chain) -> bool:
        """Install the file's values into `chain` (a ChainAccess) when all it needs are fresh;
        False (nothing installed): the caller reads the chain itself."""
        values = self.read()
        now_wall, now = time.time(), time.monotonic()
        trading = chain.settings.trading
        if values is None or not (0 <= now_wall - values["blockhash_read_at"] < SHARED_MAX_AGE_SECONDS) \
                or not (0 <= now_wall - values["global_read_at"] < trading.global_refresh_seconds) \
                or (chain.priority_fee.dynamic and (values["fee_price"] is None or not (
                    0 <= now_wall - values["fee_read_at"] < trading.priority_fee_refresh_seconds))) \
                or chain.global_refused_after(now - (now_wall - values["global_read_at"])):
            self.misses += 1
            return False
        if values["global_read_at"] != self.global_read_at:
            self.global_ = GLOBAL.decode(base64.b64decode(values["global"]))
            self.fees = venue.FeeAccounts.of_global(self.global_, now - (now_wall - values["global_read_at"]))
            self.global_read_at = values["global_read_at"]
        blockhash_read_at = now - (now_wall - values["blockhash_read_at"])
        chain.global_, chain.fees = self.global_, self.fees
        chain._blockhash = (blockhash_read_at, RecentBlockhash(Hash.from_string(values["blockhash"]),
                                                               values["height"], blockhash_read_at))
        if chain.priority_fee.dynamic:
            chain.priority_fee.price = values["fee_price"]
            chain.priority_fee.read_at = now - (now_wall - values["fee_read_at"])
        self.uses += 1
        return True
