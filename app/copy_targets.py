"""copy.smart_wallets on the local chain: the market's smart wallets (GET <api>/market/wallets)
become copy targets with the [copy] section's limits, beside any configured ones."""
from __future__ import annotations

import json
import time
import urllib.request

from loguru import logger

from config.copy_settings import CopyTarget

WALLETS_TIMEOUT_SECONDS = 10.0


def market_smart_wallets(market_url: str, timeout: float = WALLETS_TIMEOUT_SECONDS) -> list[str]:
    """The market's smart wallets (its metadata server, `market=` in the chain's READY line), asked
    until it lists them."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(f"{market_url}/market/wallets", timeout=2) as answer:
                smart = json.loads(answer.read()).get("wallets", {}).get("smart", [])
            if smart:
                return list(smart)
        except (OSError, ValueError) as exc:
            logger.debug("market wallets not ready: {!r}", exc)
        if time.monotonic() > deadline:
            raise RuntimeError(f"copy.smart_wallets: the local market at {market_url} listed no smart "
                               f"wallet within {timeout:.0f} s (localnet --smart-wallets 0?)")
        time.sleep(0.2)


def with_smart_wallets(settings, market_url: str | None):
    """`settings` with the market's smart wallets added to copy.targets when copy.smart_wallets."""
    if not settings.copy.smart_wallets or settings.trading.mode not in ("copy", "both"):
        return settings
    if not market_url:
        raise RuntimeError("copy.smart_wallets needs the local market's API (localnet.market = true)")
    known = {target.wallet for target in settings.copy.targets}
    added = tuple(CopyTarget(wallet) for wallet in market_smart_wallets(market_url) if wallet not in known)
    logger.info("copying the local market's {} smart wallet(s): {}", len(added),
                ", ".join(t.wallet for t in added))
    return settings.replace(**{"copy.targets": settings.copy.targets + added})
