"""Honeypot probe with the bot's own builders: one simulated transaction [create ATA, buy, sell
all], and in the same JSON-RPC batch (just before it) the lamports of the accounts it pays from
or into: the wallet, its token account and its user volume accumulator. What those accounts hold
after the simulation against before is the round trip's cost (rent of the accounts the buy
creates stays ours: they are summed in); the signature fee and the creator vault's rent top-up on
first use (the creator vault is read in the same batch) are put aside, as the two simulations
this replaces cancelled them out. A failing simulation
names its instruction (InstructionError [index, ...]): the sell's index = the coin's sell fails
(a honeypot: transfer fee or hook, frozen accounts...); anything earlier = our probe buy cannot
run (funds, a stale curve): no verdict. A sell paying back far less than the buy cost is a
honeypot too (the policy's max_roundtrip_loss_bps)."""
from __future__ import annotations

import base64
from dataclasses import dataclass, replace
from functools import lru_cache

from solders.hash import Hash
from solders.message import MessageV0
from solders.pubkey import Pubkey
from solders.signature import Signature
from solders.transaction import VersionedTransaction

from adapters.pumpfun import addresses, curve, venue
from adapters.pumpfun.layout_v1 import BondingCurve, Global
from adapters.solana_rpc import FRESH_COMMITMENT


class ProbeBuyFailed(RuntimeError):
    """Our own probe buy cannot run (funds, a stale curve): no verdict on the coin."""


PROBE_SLIPPAGE = 2     # max_sol_cost = 2x the quote: the probe asks "can it sell", not "at what price"
LAMPORTS_PER_SIGNATURE = 5_000   # Solana's base fee per signature; the probe sets no priority fee
RENT_EXEMPT_EMPTY_ACCOUNT = 890_880   # (128 + 0 bytes) x 3480 lamports/byte-year x 2 years


@dataclass(frozen=True)
class Probe:
    """What the verdict needs besides the answers: the quoted buy cost, the sell's instruction
    index, the signature fee the simulation charges, the buy's creator fee (a creator vault below
    the rent-exempt minimum is topped up to it by the buyer, less this fee: PROTOCOL_FACTS)."""
    cost: int
    sell_index: int
    fee: int
    creator_fee: int

    def vault_top_up(self, vault_lamports: int) -> int:
        if not self.creator_fee:
            return 0
        return max(0, RENT_EXEMPT_EMPTY_ACCOUNT - vault_lamports - self.creator_fee)


def unsigned(payer, instructions) -> bytes:
    """A transaction with blank signatures: simulateTransaction with sigVerify false needs none
    ("not required to be signed unless sigVerify is true", solana.com docs), and
    replaceRecentBlockhash puts in a real blockhash, so nothing is signed per coin."""
    message = MessageV0.try_compile(payer, instructions, [], Hash.default())
    return bytes(VersionedTransaction.populate(message, [Signature.default()] * message.header.num_required_signatures))


def probe_tokens(state: BondingCurve, probe_lamports: int) -> int:
    """About probe_lamports' worth of tokens (fees aside), in one step: the probe needs some amount
    and its exact cost (buy_total_cost), not the largest amount a budget buys (a 36-step search)."""
    tokens = probe_lamports * state.virtual_token_reserves // (state.virtual_sol_reserves + probe_lamports)
    tokens = min(tokens, state.real_token_reserves)
    if tokens <= 0:
        raise ValueError("the curve sells no tokens for the probe")
    return tokens


@lru_cache(maxsize=1024)
def _per_key(derive, key: Pubkey) -> str:
    """A PDA of one key (the wallet's volume accumulator, a creator's vault): the same for every
    coin of that key, so derived once (a PDA search costs ~10 us)."""
    return str(derive(key))


def watched_accounts(owner: Pubkey, launch) -> list[str]:
    """The wallet and the accounts the round trip may create for it (and fund from it)."""
    mint, program = Pubkey.from_string(launch.mint), Pubkey.from_string(launch.token_program)
    return [str(owner), str(addresses.associated_token_address(owner, mint, program)),
            _per_key(addresses.user_volume_accumulator, owner)]


_fee_accounts: tuple = (None, None)    # (the Global last asked for, its FeeAccounts)


def fee_accounts(global_: Global) -> venue.FeeAccounts:
    """The recipients of the Global the Analyst holds (read once per process): listed once, not
    per coin (~15 us a coin in a burst)."""
    global _fee_accounts
    if _fee_accounts[0] is not global_:
        _fee_accounts = (global_, venue.FeeAccounts.of_global(global_))
    return _fee_accounts[1]


def round_trip(owner, launch, state: BondingCurve, global_: Global, probe_lamports: int) -> tuple[bytes, Probe]:
    """(unsigned [create ATA, buy, sell all] paid by `owner` (a Pubkey), its Probe)."""
    tokens = probe_tokens(state, probe_lamports)
    cost = curve.buy_total_cost(state, global_, tokens)
    # legacy instructions, recipients Global allows for this coin (a reserved one for mayhem coins)
    kind, fees = venue.CoinKind.of_curve(launch.mint, launch.token_program, state), fee_accounts(global_)
    # a curve modelled from the create event carries no flags: the event's cashback flag picks the sell's accounts
    if not kind.is_cashback_coin and getattr(launch, "is_cashback_coin", False):
        kind = replace(kind, is_cashback_coin=True)
    buy = venue.buy_instructions("legacy", owner, kind, fees, tokens, cost * PROBE_SLIPPAGE)
    sell = venue.sell_instruction("legacy", owner, kind, fees, tokens, 0)
    tx = unsigned(owner, buy + [sell])
    creator_fee = curve.fees_for(curve.buy_cost(state, tokens), global_, state).creator
    return tx, Probe(cost, len(buy), LAMPORTS_PER_SIGNATURE, creator_fee)   # one signer: the owner


def probe_calls(owner, launch, state: BondingCurve, global_: Global, probe_lamports: int) -> tuple[list, Probe]:
    """([the watched accounts' and the creator vault's lamports, the simulated round trip] JSON-RPC
    calls, its Probe): in this order in one batch, so the balances read are those the simulation
    starts from (bar a trade landing between two requests of one batch)."""
    if state.complete:
        raise ProbeBuyFailed("curve complete")
    tx, probe = round_trip(owner, launch, state, global_, probe_lamports)
    watched = watched_accounts(owner, launch)
    vault = _per_key(addresses.creator_vault, state.creator)
    lamports_only = {"encoding": "base64", "dataSlice": {"offset": 0, "length": 0}, "commitment": FRESH_COMMITMENT}
    return [("getMultipleAccounts", [watched + [vault], lamports_only]),
            ("simulateTransaction", [base64.b64encode(tx).decode(),
                                     {"encoding": "base64", "sigVerify": False, "replaceRecentBlockhash": True,
                                      "commitment": FRESH_COMMITMENT,
                                      "accounts": {"addresses": watched, "encoding": "base64"}}])], probe


def failing_instruction(err) -> int | None:
    """The index in {"InstructionError": [index, detail]}; None for a transaction-level error."""
    if isinstance(err, dict):
        failed = err.get("InstructionError")
        if isinstance(failed, (list, tuple)) and failed and isinstance(failed[0], int):
            return failed[0]
    return None


def _lamports(accounts) -> int:
    return sum(int(account["lamports"]) for account in accounts if account is not None)


def verdict(before, simulated, probe: Probe) -> tuple[bool, int, str]:
    """(sell works, round-trip loss in bps of the quoted buy cost, error text) from the lamports
    read before (watched accounts, creator vault) and the simulation's answer."""
    for answer in (before, simulated):
        if isinstance(answer, Exception):
            raise answer
    err = simulated.get("err")
    if err is not None:
        if failing_instruction(err) == probe.sell_index:
            return False, 10_000, f"sell fails: {str(err)[:100]}"
        raise ProbeBuyFailed(f"probe buy fails: {str(err)[:100]}")   # our buy, or the transaction itself
    *ours, vault = before
    vault_lamports = int(vault["lamports"]) if vault is not None else 0
    # = quoted buy cost - sell proceeds
    spent = _lamports(ours) - _lamports(simulated["accounts"]) - probe.fee - probe.vault_top_up(vault_lamports)
    return True, max(0, spent) * 10_000 // max(probe.cost, 1), ""
