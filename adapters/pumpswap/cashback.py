"""PumpSwap cashback (pump-public-docs docs/PUMP_CASHBACK_README.md, idl/pump_amm.json): a cashback
pool's creator fee goes to the quote ATA (WSOL, or USDC for a USDC pool) of the trader's AMM user
volume accumulator (not the pump program's), and `claim_cashback` (9 accounts, no args) moves that
ATA's whole balance to the user's quote ATA, which must exist beforehand."""
from __future__ import annotations

from solders.instruction import Instruction
from solders.pubkey import Pubkey

from adapters.pumpfun.layout_v1 import anchor_discriminator
from adapters.pumpswap import addresses as addr
from adapters.pumpswap.instructions_v2 import account_meta

CLAIM_CASHBACK = anchor_discriminator("global", "claim_cashback")


def accumulator_quote_account(user: Pubkey, quote_mint: Pubkey = addr.WSOL_MINT,
                              quote_token_program: Pubkey = addr.TOKEN_PROGRAM) -> Pubkey:
    """Where the user's unclaimed pool cashback sits: its balance is the unclaimed amount."""
    return addr.associated_token_address(addr.user_volume_accumulator(user), quote_mint, quote_token_program)


def build_claim_cashback(user: Pubkey, quote_mint: Pubkey = addr.WSOL_MINT,
                         quote_token_program: Pubkey = addr.TOKEN_PROGRAM) -> Instruction:
    return Instruction(addr.PROGRAM, CLAIM_CASHBACK, [
        account_meta(user, writable=True), account_meta(addr.user_volume_accumulator(user), writable=True),
        account_meta(quote_mint), account_meta(quote_token_program),
        account_meta(accumulator_quote_account(user, quote_mint, quote_token_program), writable=True),
        account_meta(addr.associated_token_address(user, quote_mint, quote_token_program), writable=True),
        account_meta(addr.SYSTEM_PROGRAM), account_meta(addr.EVENT_AUTHORITY), account_meta(addr.PROGRAM)])
