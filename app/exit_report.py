"""What an exit leaves behind: tokens of positions still open after close-all, or closed unsellable.

Read from the chain (the wallet's token accounts), not from the bot's books, so the report says
what really stays in the wallet. A read that fails still names the mints, amount unknown.
"""
from __future__ import annotations

import asyncio

from loguru import logger


def left_behind(settings, status) -> list[tuple[str, int | None, str]]:
    """[(mint, raw amount held now or None if unread, why), ...] for the run's summary."""
    if status is None:
        return []
    open_mints = tuple(getattr(status, 'open_mints', ()) or ())
    unsellable = [m for m in getattr(status, 'unsellable_mints', ()) or () if m not in open_mints]
    if not open_mints and not unsellable:
        return []
    try:
        held = asyncio.run(_holdings(settings))
    except Exception as exc:   # the report must not fail the exit: amounts unknown, mints named
        logger.warning('could not read the wallet to report what is left: {!r}', exc)
        held = None
    found = [(mint, None if held is None else held.get(mint, 0), 'position still open')
             for mint in open_mints]
    found += [(mint, None if held is None else held.get(mint, 0), 'unsellable')
              for mint in unsellable if held is None or held.get(mint, 0) > 0]
    return found


def left_behind_lines(found: list[tuple[str, int | None, str]]) -> list[str]:
    return [f'LEFT IN THE WALLET: {mint} {"unknown amount" if amount is None else f"{amount} raw tokens"}'
            f' ({why})' for mint, amount, why in found]


async def _holdings(settings) -> dict[str, int]:
    from actors.trading_io import token_holdings
    from adapters.keys import load_wallet_key
    from adapters.solana_rpc import RpcClient
    owner = load_wallet_key(settings.wallet.keypair_path, settings.wallet.private_key).pubkey
    rpc = RpcClient.from_settings(settings)
    try:
        return await token_holdings(rpc, owner)
    finally:
        await rpc.close()
