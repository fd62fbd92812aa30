"""Wallet conversation: WalletActor is the sole owner of balances and fund reservations."""
from dataclasses import dataclass


@dataclass(frozen=True)
class ReserveFunds:
    """PositionActor -> WalletActor: hold `lamports` (buy amount + fees + rent) for `mint`."""
    request_id: str
    mint: str
    lamports: int


@dataclass(frozen=True)
class FundsReserved:
    """WalletActor -> requester: the reservation is granted."""
    request_id: str
    reservation_id: str
    lamports: int


@dataclass(frozen=True)
class ReservationRefused:
    """WalletActor -> requester: not granted (insufficient free SOL, safety mode, not ready)."""
    request_id: str
    reason: str


@dataclass(frozen=True)
class ReleaseFunds:
    """PositionActor -> WalletActor: drop a reservation (buy settled or abandoned)."""
    reservation_id: str


@dataclass(frozen=True)
class RefreshBalances:
    """-> WalletActor: re-read SOL and token balances from the chain and reconcile."""
    request_id: str


@dataclass(frozen=True)
class BalancesReport:
    """WalletActor -> requester: balances as last read; tokens = ((mint, raw_amount), ...)."""
    request_id: str
    sol_lamports: int
    reserved_lamports: int
    tokens: tuple
    safety_mode: bool
    reason: str = ""


@dataclass(frozen=True)
class RefreshFailed:
    """WalletActor -> requester: the chain could not be read."""
    request_id: str
    reason: str


@dataclass(frozen=True)
class ExpectLamportChange:
    """Any trader -> WalletActor: a tx of ours moved the wallet by `delta` (so refresh does not flag it)."""
    signature: str
    delta: int
