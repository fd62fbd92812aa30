"""pump.fun cashback (pump-public-docs docs/PUMP_CASHBACK_README.md, docs/instructions/CLAIM_CASHBACK.md,
idl/pump.json): on a cashback coin the creator fee of a trade goes to the trader's user volume
accumulator, as lamports for SOL-paired coins and in the accumulator's quote ATA for token-paired ones.
`claim_cashback` (5 accounts) pays the lamports above rent to the user; `claim_cashback_v2` (10) does
the same for the WSOL quote mint, and for a quote token (USDC) moves the accumulator's quote ATA balance
to the user's quote ATA. Both are permissionless: `user` is the recipient and need not sign."""
from __future__ import annotations

from solders.instruction import Instruction
from solders.pubkey import Pubkey

from adapters.pumpfun import addresses as addr
from adapters.pumpfun.instructions import _ro, _w
from adapters.pumpfun.layout_v1 import anchor_discriminator

CLAIM_CASHBACK = anchor_discriminator("global", "claim_cashback")
CLAIM_CASHBACK_V2 = anchor_discriminator("global", "claim_cashback_v2")

# Solana's rent: (128 bytes of account overhead + data) x 3,480 lamports per byte-year x 2 years exempt
ACCOUNT_STORAGE_OVERHEAD = 128
LAMPORTS_PER_BYTE_YEAR = 3_480
EXEMPTION_YEARS = 2


def rent_exempt_minimum(data_len: int) -> int:
    """Lamports an account of `data_len` bytes must hold to stay open (getMinimumBalanceForRentExemption)."""
    return (ACCOUNT_STORAGE_OVERHEAD + data_len) * LAMPORTS_PER_BYTE_YEAR * EXEMPTION_YEARS


def unclaimed_sol_cashback(lamports: int, data_len: int) -> int:
    """SOL cashback waiting in a pump user volume accumulator: its lamports above its rent (the README's rule)."""
    return max(0, lamports - rent_exempt_minimum(data_len))


def build_claim_cashback(user: Pubkey) -> Instruction:
    """`claim_cashback`: the accumulator's lamports above rent to `user`."""
    return Instruction(addr.PUMP_PROGRAM, CLAIM_CASHBACK, [
        _w(user), _w(addr.user_volume_accumulator(user)), _ro(addr.SYSTEM_PROGRAM), _ro(addr.EVENT_AUTHORITY),
        _ro(addr.PUMP_PROGRAM)])


def build_claim_cashback_v2(user: Pubkey, quote_mint: Pubkey = addr.WSOL_MINT,
                            quote_token_program: Pubkey = addr.TOKEN_PROGRAM) -> Instruction:
    """`claim_cashback_v2`: WSOL (legacy SOL cashback, lamports) or a quote token such as USDC."""
    accumulator = addr.user_volume_accumulator(user)
    ata = addr.associated_token_address
    return Instruction(addr.PUMP_PROGRAM, CLAIM_CASHBACK_V2, [
        _w(user), _w(accumulator), _ro(quote_mint), _ro(quote_token_program), _ro(addr.ASSOCIATED_TOKEN_PROGRAM),
        _w(ata(accumulator, quote_mint, quote_token_program)), _w(ata(user, quote_mint, quote_token_program)),
        _ro(addr.SYSTEM_PROGRAM), _ro(addr.EVENT_AUTHORITY), _ro(addr.PUMP_PROGRAM)])
