"""What the cashback job claims (actors/cashback.py), without a chain: the thresholds per part, the WSOL
account made and closed for a wallet without one, the USDC account made when missing; the Director's
ledger line; the summary line; the threshold setting's validation."""
from __future__ import annotations

from pathlib import Path

import pytest
from solders.account import Account
from solders.pubkey import Pubkey

from actors.cashback import Unclaimed, claim_instructions, ledger_report, unclaimed_of
from actors.director_ledger import Ledger
from actors.trading_io import Settlement
from adapters.pumpfun import addresses as pump
from adapters.pumpfun.cashback import rent_exempt_minimum
from app.summary import summary_text
from config.parsing import ConfigError
from config.settings import load_settings
from messages.status import Status

OWNER = Pubkey.new_unique()
AMM = Pubkey.from_string("pAMMBay6oceH9fJKBRHGP5D4bD4sWpmSwMn52FMfXEA")
ATA_PROGRAM = Pubkey.from_string("ATokenGPvbdGVxr1b2hvZbsiqW5xWH25efTNsLJA8knL")
SPL = Pubkey.from_string("TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA")
CREATE_IDEMPOTENT, CLOSE_ACCOUNT = bytes([1]), bytes([9])
PUMP_CLAIM = (pump.PUMP_PROGRAM, bytes([37, 58, 35, 126, 190, 53, 228, 197]))
PUMP_CLAIM_V2 = (pump.PUMP_PROGRAM, bytes([122, 243, 204, 65, 94, 116, 29, 55]))
POOL_CLAIM = (AMM, bytes([37, 58, 35, 126, 190, 53, 228, 197]))


def steps(ixs) -> list[tuple]:
    return [(ix.program_id, bytes(ix.data)) for ix in ixs]


def test_each_part_is_claimed_only_past_its_threshold():
    waiting = Unclaimed(curve_lamports=60_000, pool_wsol=50_000, curve_usdc=70_000, pool_usdc=0,
                        wallet_has_wsol_account=True, wallet_has_usdc_account=True)
    assert steps(claim_instructions(OWNER, waiting, 110_000, 70_000)) == [PUMP_CLAIM, POOL_CLAIM, PUMP_CLAIM_V2]
    assert steps(claim_instructions(OWNER, waiting, 110_001, 70_000)) == [PUMP_CLAIM_V2]   # SOL part 110,000
    assert steps(claim_instructions(OWNER, waiting, 110_000, 0)) == [PUMP_CLAIM, POOL_CLAIM]   # 0: USDC left
    assert claim_instructions(OWNER, waiting, 0, 70_001) == []
    assert claim_instructions(OWNER, Unclaimed(), 1, 1) == []


def test_pool_wsol_arrives_as_sol_without_a_wsol_account_and_usdc_gets_its_account():
    waiting = Unclaimed(pool_wsol=5, pool_usdc=7)
    ixs = claim_instructions(OWNER, waiting, 1, 1)
    assert steps(ixs) == [(ATA_PROGRAM, CREATE_IDEMPOTENT), POOL_CLAIM, (SPL, CLOSE_ACCOUNT),
                          (ATA_PROGRAM, CREATE_IDEMPOTENT), POOL_CLAIM]
    wsol_ata = pump.associated_token_address(OWNER, pump.WSOL_MINT)
    usdc_ata = pump.associated_token_address(OWNER, pump.USDC_MINT)
    assert ixs[0].accounts[1].pubkey == wsol_ata == ixs[2].accounts[0].pubkey     # made, then closed
    assert ixs[3].accounts[1].pubkey == usdc_ata and ixs[4].accounts[2].pubkey == pump.USDC_MINT


def test_unclaimed_reads_lamports_above_rent_and_token_balances():
    def token(amount: int) -> Account:
        return Account(2_039_280, bytes(64) + amount.to_bytes(8, "little") + bytes(93), SPL, False, 0)
    accumulator = Account(rent_exempt_minimum(137) + 4_321, bytes(137), pump.PUMP_PROGRAM, False, 0)
    assert unclaimed_of([accumulator, token(11), token(22), None, None, token(0)]) == Unclaimed(
        4_321, 11, 22, 0, wallet_has_wsol_account=False, wallet_has_usdc_account=True)
    assert unclaimed_of([None] * 6) == Unclaimed()


def test_a_claim_is_its_own_ledger_line_and_in_the_pnl():
    settled = Settlement("sig", "cashback", True, True, lamport_delta=-25_000 + 100_000, token_delta=40_000,
                         usdc_delta=9)
    ledger = Ledger()
    assert ledger.on_tx_settled(ledger_report(settled))
    assert not ledger.on_tx_settled(ledger_report(settled))           # once per signature
    assert (ledger.cashback_lamports, ledger.cashback_usdc) == (115_000, 9)
    assert (ledger.pnl_lamports, ledger.pnl_usdc, ledger.rent_reclaimed) == (115_000, 9, 0)
    status = Status("s", 0, 0, 0, 0, 0, ledger.pnl_lamports, pnl_usdc=9, cashback_lamports=115_000, cashback_usdc=9)
    text = summary_text(status, "test", Path("."))
    assert "cashback claimed 0.000115000 SOL (115000 lamports), +0.000009 USDC (9 raw), in the PnL" in text
    assert "cashback claimed" not in summary_text(Status("s", 0, 0, 0, 0, 0, 0), "test", Path("."))


@pytest.mark.parametrize("value", [1, 25_000, -1, "lots"])
def test_a_threshold_below_a_claims_fee_is_one_clear_error(value):
    with pytest.raises(ConfigError) as error:
        load_settings(env={}, overrides={"trading.cashback_claim_min_lamports": value})
    assert "trading.cashback_claim_min_lamports" in str(error.value) and "\n" not in str(error.value)


def test_zero_turns_background_claims_off_and_sol_strings_are_exact():
    trading = load_settings(env={}, overrides={"trading.cashback_claim_min_lamports": 0}).trading
    assert trading.cashback_claim_min_lamports == 0
    trading = load_settings(env={}, overrides={"trading.cashback_claim_min_lamports": "0.002 SOL"}).trading
    assert trading.cashback_claim_min_lamports == 2_000_000
