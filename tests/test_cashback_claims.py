"""The cashback claim builders, checked against lists written here from pump-public-docs alone (not from
adapters/): idl/pump.json `claim_cashback` (5 accounts) and `claim_cashback_v2` (10 accounts,
docs/instructions/CLAIM_CASHBACK.md), idl/pump_amm.json `claim_cashback` (9 accounts); none takes args.
The unclaimed SOL cashback is "the lamports of the UserVolumeAccumulator minus the rent exempt lamports"
(PUMP_CASHBACK_README.md): the rent is checked against LiteSVM's own rent sysvar."""
from __future__ import annotations

import pytest
from solders.keypair import Keypair
from solders.litesvm import LiteSVM
from solders.pubkey import Pubkey

from adapters.pumpfun.cashback import (build_claim_cashback, build_claim_cashback_v2, rent_exempt_minimum,
                                       unclaimed_sol_cashback)
from adapters.pumpswap.cashback import accumulator_quote_account, build_claim_cashback as build_pool_claim

PUMP = Pubkey.from_string("6EF8rrecthR5Dkzon8Nwu78hRvfCKubJ14M5uBEwF6P")
AMM = Pubkey.from_string("pAMMBay6oceH9fJKBRHGP5D4bD4sWpmSwMn52FMfXEA")
SPL = Pubkey.from_string("TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA")
ATA_PROGRAM = Pubkey.from_string("ATokenGPvbdGVxr1b2hvZbsiqW5xWH25efTNsLJA8knL")
SYSTEM = Pubkey.from_string("11111111111111111111111111111111")
WSOL = Pubkey.from_string("So11111111111111111111111111111111111111112")
USDC = Pubkey.from_string("EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v")
# discriminators as the IDLs list them
PUMP_CLAIM = bytes([37, 58, 35, 126, 190, 53, 228, 197])
PUMP_CLAIM_V2 = bytes([122, 243, 204, 65, 94, 116, 29, 55])
AMM_CLAIM = bytes([37, 58, 35, 126, 190, 53, 228, 197])


def pda(seeds, program) -> Pubkey:
    return Pubkey.find_program_address(seeds, program)[0]


def ata(owner, mint, program=SPL) -> Pubkey:
    return pda([bytes(owner), bytes(program), bytes(mint)], ATA_PROGRAM)


def metas(ix) -> list[tuple[Pubkey, bool, bool]]:
    return [(m.pubkey, m.is_writable, m.is_signer) for m in ix.accounts]


def test_pump_claim_cashback_has_the_idl_accounts_and_no_args():
    user = Keypair().pubkey()
    accumulator = pda([b"user_volume_accumulator", bytes(user)], PUMP)
    ix = build_claim_cashback(user)
    assert ix.program_id == PUMP and bytes(ix.data) == PUMP_CLAIM
    assert metas(ix) == [(user, True, False), (accumulator, True, False), (SYSTEM, False, False),
                         (pda([b"__event_authority"], PUMP), False, False), (PUMP, False, False)]


@pytest.mark.parametrize("quote", [WSOL, USDC])
def test_pump_claim_cashback_v2_has_the_ten_accounts_of_claim_cashback_md(quote):
    user = Keypair().pubkey()
    accumulator = pda([b"user_volume_accumulator", bytes(user)], PUMP)
    ix = build_claim_cashback_v2(user, quote, SPL)
    assert ix.program_id == PUMP and bytes(ix.data) == PUMP_CLAIM_V2
    assert metas(ix) == [
        (user, True, False), (accumulator, True, False), (quote, False, False), (SPL, False, False),
        (ATA_PROGRAM, False, False), (ata(accumulator, quote), True, False), (ata(user, quote), True, False),
        (SYSTEM, False, False), (pda([b"__event_authority"], PUMP), False, False), (PUMP, False, False)]


@pytest.mark.parametrize("quote", [WSOL, USDC])
def test_pool_claim_cashback_has_the_idl_accounts_under_the_amm_accumulator(quote):
    user = Keypair().pubkey()
    accumulator = pda([b"user_volume_accumulator", bytes(user)], AMM)   # the AMM's, not the pump program's
    assert accumulator != pda([b"user_volume_accumulator", bytes(user)], PUMP)
    ix = build_pool_claim(user, quote, SPL)
    assert ix.program_id == AMM and bytes(ix.data) == AMM_CLAIM
    assert metas(ix) == [
        (user, True, False), (accumulator, True, False), (quote, False, False), (SPL, False, False),
        (ata(accumulator, quote), True, False), (ata(user, quote), True, False), (SYSTEM, False, False),
        (pda([b"__event_authority"], AMM), False, False), (AMM, False, False)]
    assert accumulator_quote_account(user, quote) == ata(accumulator, quote)


@pytest.mark.parametrize("size", [0, 106, 165, 1_000])
def test_rent_matches_the_svm_and_unclaimed_is_what_lies_above_it(size):
    rent = LiteSVM().minimum_balance_for_rent_exemption(size)
    assert rent_exempt_minimum(size) == rent
    assert unclaimed_sol_cashback(rent + 123_456, size) == 123_456
    assert unclaimed_sol_cashback(rent, size) == 0 == unclaimed_sol_cashback(rent - 1, size)
