"""Claiming the cashback the wallet earned on cashback coins (pump-public-docs PUMP_CASHBACK_README.md),
a WalletActor housekeeping job (actors/wallet_jobs.py): the wallet actor owns the balances it moves.

Where unclaimed cashback waits, read in one getMultipleAccounts:
  the pump program's user volume accumulator: its lamports above rent (curve trades of SOL coins),
    and its USDC account (USDC-paired coins)                  -> claim_cashback / claim_cashback_v2
  the PumpSwap program's accumulator: its WSOL and USDC accounts -> pump_amm claim_cashback
One transaction claims every part that reaches its threshold. Pool cashback in WSOL arrives in the
wallet's WSOL account; a wallet without one gets it made and closed in the same transaction, so the
claim arrives as SOL. Each landed claim is booked by the Director as its own ledger line."""
from __future__ import annotations

from dataclasses import dataclass

from solders.instruction import Instruction
from solders.pubkey import Pubkey

from adapters.pumpfun import addresses as addr
from adapters.pumpfun.cashback import build_claim_cashback, build_claim_cashback_v2, unclaimed_sol_cashback
from adapters.pumpfun.instructions import build_create_ata_idempotent
from adapters.pumpswap import cashback as pool_cashback
from adapters.pumpswap.layout import token_account_amount
from adapters.pumpswap.wsol import build_unwrap
from messages.position import TxSettled

KIND = "cashback"


@dataclass(frozen=True)
class Unclaimed:
    """The wallet's unclaimed cashback, by where it waits (lamports / raw USDC), and whether the wallet
    has the WSOL and USDC accounts a claim pays into."""
    curve_lamports: int = 0
    curve_usdc: int = 0
    pool_wsol: int = 0
    pool_usdc: int = 0
    wallet_has_wsol_account: bool = False
    wallet_has_usdc_account: bool = False

    @property
    def lamports(self) -> int:
        return self.curve_lamports + self.pool_wsol

    @property
    def usdc(self) -> int:
        return self.curve_usdc + self.pool_usdc


def cashback_accounts(owner: Pubkey) -> list[Pubkey]:
    """The accounts read_unclaimed reads, in Unclaimed's order, then the wallet's WSOL and USDC accounts."""
    accumulator = addr.user_volume_accumulator(owner)
    return [accumulator, addr.associated_token_address(accumulator, addr.USDC_MINT),
            pool_cashback.accumulator_quote_account(owner, addr.WSOL_MINT),
            pool_cashback.accumulator_quote_account(owner, addr.USDC_MINT),
            addr.associated_token_address(owner, addr.WSOL_MINT), addr.associated_token_address(owner, addr.USDC_MINT)]


def unclaimed_of(accounts: list) -> Unclaimed:
    """Unclaimed from the accounts (solders Account or None) of cashback_accounts, in that order."""
    accumulator, curve_usdc, pool_wsol, pool_usdc, wallet_wsol, wallet_usdc = accounts

    def tokens(account) -> int:
        return 0 if account is None else token_account_amount(bytes(account.data))
    curve_lamports = 0 if accumulator is None else unclaimed_sol_cashback(accumulator.lamports, len(accumulator.data))
    return Unclaimed(curve_lamports, tokens(curve_usdc), tokens(pool_wsol), tokens(pool_usdc),
                     wallet_wsol is not None, wallet_usdc is not None)


async def read_unclaimed(rpc, owner: Pubkey) -> Unclaimed:
    keys = cashback_accounts(owner)
    resp = await rpc.call("getMultipleAccounts", lambda c: c.get_multiple_accounts(keys))
    return unclaimed_of(list(resp.value))


def claim_instructions(owner: Pubkey, unclaimed: Unclaimed, min_lamports: int, min_usdc: int) -> list[Instruction]:
    """The claims for every part at or above its threshold (0: that part is left); [] when none is."""
    ixs: list[Instruction] = []
    if min_lamports and unclaimed.lamports >= max(min_lamports, 1):
        if unclaimed.curve_lamports:
            ixs.append(build_claim_cashback(owner))
        if unclaimed.pool_wsol:
            wsol_claim = pool_cashback.build_claim_cashback(owner, addr.WSOL_MINT)
            if unclaimed.wallet_has_wsol_account:   # the wallet keeps WSOL: the claim joins it
                ixs.append(wsol_claim)
            else:                                   # made, filled and closed here: it arrives as SOL
                ixs += [build_create_ata_idempotent(owner, owner, addr.WSOL_MINT), wsol_claim, build_unwrap(owner)]
    if min_usdc and unclaimed.usdc >= max(min_usdc, 1):
        if not unclaimed.wallet_has_usdc_account:
            ixs.append(build_create_ata_idempotent(owner, owner, addr.USDC_MINT))
        if unclaimed.curve_usdc:
            ixs.append(build_claim_cashback_v2(owner, addr.USDC_MINT, addr.TOKEN_PROGRAM))
        if unclaimed.pool_usdc:
            ixs.append(pool_cashback.build_claim_cashback(owner, addr.USDC_MINT))
    return ixs


def describe(unclaimed: Unclaimed) -> str:
    return (f"unclaimed cashback {unclaimed.lamports} lamports (curve {unclaimed.curve_lamports}, pool "
            f"{unclaimed.pool_wsol}), {unclaimed.usdc} raw USDC (curve {unclaimed.curve_usdc}, pool {unclaimed.pool_usdc})")


async def claim_cashback(chain, min_lamports: int, min_usdc: int) -> tuple[list, str]:
    """Read, claim what reaches the thresholds in one transaction, settle it: ([Settlement], detail).
    The settlement's token_delta is the wallet's WSOL change (claimed into a WSOL account it keeps)."""
    unclaimed = await read_unclaimed(chain.rpc, chain.owner)
    ixs = claim_instructions(chain.owner, unclaimed, min_lamports, min_usdc)
    if not ixs:
        return [], f"{describe(unclaimed)}: below the thresholds ({min_lamports} lamports, {min_usdc} raw USDC)"
    recent = await chain.rpc.get_latest_blockhash()
    prepared = chain._sign(chain._compute_budget() + ixs, recent, KIND)
    settled = await chain.send_and_settle(prepared, str(addr.WSOL_MINT))
    return [settled], f"claimed {describe(unclaimed)}"


def ledger_report(settled) -> TxSettled:
    """The Director's line for a landed claim: the wallet's SOL change plus the WSOL it received
    (the claim's value net of its fee), and its USDC."""
    return TxSettled("", settled.signature, KIND, settled.lamport_delta + settled.token_delta, settled.ok, 0,
                     settled.error, settled.usdc_delta, slot=settled.slot)
