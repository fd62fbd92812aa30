"""Sell conversation: the balance monitor or `run.py --sell` asks the SellerActor to sell a whole balance."""
from dataclasses import dataclass


@dataclass(frozen=True)
class SellTokens:
    """-> SellerActor: sell the wallet's whole balance of `mint` (native x3, then Jupiter x3)."""
    request_id: str
    mint: str
    token_program: str = ""   # "" = read from the mint account
    reason: str = ""


@dataclass(frozen=True)
class SellSucceeded:
    """SellerActor -> requester: sold `tokens_sold`; `lamport_delta` is the wallet's change (fees included)."""
    request_id: str
    mint: str
    signature: str
    tokens_sold: int
    lamport_delta: int
    attempts: int


@dataclass(frozen=True)
class NothingToSell:
    """SellerActor -> requester: the wallet holds none of `mint`."""
    request_id: str
    mint: str


@dataclass(frozen=True)
class SellFailed:
    """SellerActor -> requester: every attempt failed; `lamport_delta` sums fees of failed txs."""
    request_id: str
    mint: str
    reason: str
    attempts: int
    lamport_delta: int = 0
