"""Wrapped SOL: wrap lamports into the owner's WSOL ATA (create, transfer, SyncNative) and unwrap
(CloseAccount returns every lamport). PumpSwap pools quote in WSOL."""
from __future__ import annotations

from solders.instruction import AccountMeta, Instruction
from solders.pubkey import Pubkey
from solders.system_program import TransferParams, transfer

from adapters.pumpfun.instructions import build_create_ata_idempotent
from adapters.pumpswap.addresses import TOKEN_PROGRAM, WSOL_MINT, associated_token_address

SYNC_NATIVE = 17
CLOSE_ACCOUNT = 9


def wsol_account(owner: Pubkey) -> Pubkey:
    return associated_token_address(owner, WSOL_MINT)


def build_wrap(owner: Pubkey, lamports: int) -> list[Instruction]:
    """[create the WSOL ATA if missing, move `lamports` into it, SyncNative] (no transfer for 0)."""
    if not isinstance(lamports, int) or lamports < 0:
        raise ValueError(f"lamports must be a non-negative int: {lamports!r}")
    account = wsol_account(owner)
    moves = [transfer(TransferParams(from_pubkey=owner, to_pubkey=account, lamports=lamports))] if lamports else []
    return [build_create_ata_idempotent(owner, owner, WSOL_MINT), *moves,
            Instruction(TOKEN_PROGRAM, bytes([SYNC_NATIVE]), [AccountMeta(account, False, True)])]


def build_unwrap(owner: Pubkey) -> Instruction:
    """Close the owner's WSOL ATA: its whole balance and rent go back to the owner as SOL."""
    account = wsol_account(owner)
    return Instruction(TOKEN_PROGRAM, bytes([CLOSE_ACCOUNT]), [
        AccountMeta(account, False, True), AccountMeta(owner, False, True), AccountMeta(owner, True, False)])
