"""Wallet conversation: WalletActor is the sole owner of balances and fund reservations."""
from dataclasses import dataclass


@dataclass(frozen=True)
class ReserveFunds:
    """PositionActor -> WalletActor: hold `lamports` (buy amount + fees + rent) for `mint`."""
    request_id: str
    mint: str
    lamports: int
    usdc: int = 0        # raw USDC as well, for a USDC-paired coin's buy


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
    slot: int = 0        # where it landed (0 unknown): a reading of an older slot cannot show it yet


@dataclass(frozen=True)
class ReleaseMintReservations:
    """Director -> WalletActor: the position of `mint` is gone or restarted; free what it reserved."""
    mint: str
    reason: str = ""


@dataclass(frozen=True)
class WrapSol:
    """BalanceMonitor / run.py --wrap -> WalletActor: wrap exactly `lamports` of free SOL into WSOL."""
    request_id: str
    lamports: int


@dataclass(frozen=True)
class Rebalance:
    """-> WalletActor: bring SOL/WSOL to the target ratio if off by more than the threshold, then auto-wrap."""
    request_id: str
    auto_wrap: bool = True
    only_if_holding_wsol: bool = False   # periodic ticks: a wallet holding no WSOL is left alone


@dataclass(frozen=True)
class CloseEmptyAccounts:
    """BalanceMonitor -> WalletActor: close token accounts holding 0 (rent back), except `keep_mints`."""
    request_id: str
    keep_mints: tuple = ()


@dataclass(frozen=True)
class HousekeepingDone:
    """WalletActor -> requester: `action` ran; signatures of its txs ('' none) and the SOL change."""
    request_id: str
    action: str                  # "wrap" | "rebalance" | "close"
    signatures: tuple = ()
    sol_delta: int = 0           # the wallet's native SOL change (fees and rent included)
    wsol_delta: int = 0
    detail: str = ""


@dataclass(frozen=True)
class HousekeepingFailed:
    """WalletActor -> requester: `action` could not be done (bad amount, not enough free SOL, chain)."""
    request_id: str
    action: str
    reason: str


@dataclass(frozen=True)
class ClaimCashback:
    """BalanceMonitor / --claim-cashback / Director -> WalletActor: claim earned cashback (curve and pool)."""
    request_id: str
    min_lamports: int = 1   # claim the SOL part once it reaches this (0: leave it)
    min_usdc: int = 1       # the USDC part likewise; answered with HousekeepingDone / HousekeepingFailed
