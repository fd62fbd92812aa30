"""The bot's keypair, loaded from a solana-keygen JSON file or a base58 string, and never shown.

solders' Keypair prints its secret in str() (base58) and repr() (curve points), so the rest of the
bot holds a WalletKey, whose repr is only the public key; `.signer` is for signing only.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

from solders.keypair import Keypair
from solders.pubkey import Pubkey

KEYPAIR_BYTES = 64


class KeypairError(ValueError):
    """A keypair could not be loaded; the message never contains key material."""


class WalletKey:
    """A keypair whose repr/str show the public key only."""

    __slots__ = ('_keypair',)

    def __init__(self, keypair: Keypair):
        self._keypair = keypair

    @property
    def pubkey(self) -> Pubkey:
        return self._keypair.pubkey()

    @property
    def signer(self) -> Keypair:
        """The solders Keypair, to pass to transaction constructors. Never log it."""
        return self._keypair

    def __repr__(self) -> str:
        return f'WalletKey(pubkey={self.pubkey})'

    __str__ = __repr__

    def __reduce__(self):
        raise TypeError('WalletKey is not sent between processes: load it from settings instead')


def keypair_from_json_file(path: str | os.PathLike) -> WalletKey:
    """Read a solana-keygen JSON file (an array of 64 byte values)."""
    file_path = Path(path).expanduser()
    try:
        values = json.loads(file_path.read_text())
    except FileNotFoundError:
        raise KeypairError(f'keypair file {file_path} does not exist') from None
    except (OSError, ValueError) as exc:
        raise KeypairError(f'keypair file {file_path} is not readable JSON ({type(exc).__name__})') from None
    if (not isinstance(values, list) or len(values) != KEYPAIR_BYTES
            or not all(isinstance(v, int) and 0 <= v < 256 for v in values)):
        raise KeypairError(f'keypair file {file_path} must hold a JSON array of {KEYPAIR_BYTES} bytes '
                        f'(solana-keygen format)')
    return _from_bytes(bytes(values), f'keypair file {file_path}')


def keypair_from_base58(secret: str) -> WalletKey:
    """Decode a base58 64-byte keypair (the format wallets export as 'private key')."""
    import base58
    try:
        raw = base58.b58decode(secret.strip())
    except ValueError:
        raise KeypairError('PRIVATE_KEY is not valid base58') from None
    if len(raw) != KEYPAIR_BYTES:
        raise KeypairError(f'PRIVATE_KEY must decode to {KEYPAIR_BYTES} bytes, got {len(raw)}')
    return _from_bytes(raw, 'PRIVATE_KEY')


def _from_bytes(raw: bytes, source: str) -> WalletKey:
    try:
        keypair = Keypair.from_bytes(raw)
    except ValueError:
        raise KeypairError(f'{source}: the public half does not match the secret half') from None
    return WalletKey(keypair)


def load_wallet_key(keypair_path: str | None = None, private_key=None) -> WalletKey:
    """From settings.wallet: the base58 secret (a config Secret or str) wins over the file."""
    if private_key:
        plain = private_key.reveal() if hasattr(private_key, 'reveal') else private_key
        return keypair_from_base58(plain)
    if keypair_path:
        return keypair_from_json_file(keypair_path)
    raise KeypairError('no keypair configured: set wallet.keypair_path or PRIVATE_KEY')


def write_keypair_file(key: WalletKey | Keypair, path: str | os.PathLike) -> Path:
    """Write solana-keygen JSON readable by the owner only (used for the local run's fresh wallet)."""
    keypair = key.signer if isinstance(key, WalletKey) else key
    file_path = Path(path)
    file_path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(file_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, 'w') as handle:
        json.dump(list(keypair.to_bytes()), handle)
    return file_path
