"""On-chain programs of the local chain (C, compiled to SBF; see build.py) and their installation
into a LiteSVM: the pump.fun-compatible program at its real id, its Global account with mainnet
defaults, the fixed accounts beside it, a Metaplex stand-in for the metadata account, and USDC."""
from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

from solders.account import Account
from solders.litesvm import LiteSVM
from solders.pubkey import Pubkey

from adapters.pumpfun import addresses as addr
from adapters.pumpfun.layout_v1 import GLOBAL, Global, anchor_discriminator
from localnet.programs.pumpswap_setup import install_pumpswap
from localnet.programs.usdc import USDC_MINT, install_usdc

PROGRAM_DIR = Path(__file__).resolve().parent
PUMP_SO = PROGRAM_DIR / "pump.so"
METADATA_STUB_SO = PROGRAM_DIR / "metadata_stub.so"

INITIAL_VIRTUAL_TOKEN_RESERVES = 1_073_000_000_000_000
INITIAL_VIRTUAL_SOL_RESERVES = 30_000_000_000
INITIAL_REAL_TOKEN_RESERVES = 793_100_000_000_000
TOKEN_TOTAL_SUPPLY = 1_000_000_000_000_000
FEE_BASIS_POINTS = 95
CREATOR_FEE_BASIS_POINTS = 30
POOL_MIGRATION_FEE = 15_000_001
BUYBACK_BASIS_POINTS = 5_000     # half the protocol fee (mainnet create_v2 tx of 2026: 14,074,074 of 28,148,149)
GLOBAL_ACCOUNT_SPACE = 1_045     # every Global field of the 2026 IDL
# virtual quote reserves of a USDC-paired curve, in USDC raw units: an assumption (mainnet's value is
# not in the docs at hand), 4,000 USDC, near the dollar value of the SOL curve's 30 virtual SOL
INITIAL_VIRTUAL_QUOTE_RESERVES = 4_000 * 10**6


@dataclass(frozen=True)
class PumpfunDeployment:
    program_id: Pubkey
    global_address: Pubkey
    global_state: Global
    metadata_program_id: Pubkey

    @property
    def fee_recipients(self) -> tuple[Pubkey, ...]:
        return self.global_state.all_fee_recipients()


def rent_exempt(svm: LiteSVM, size: int) -> int:
    return svm.minimum_balance_for_rent_exemption(size)


def default_global(authority: Pubkey, fee_recipients: list[Pubkey] | None) -> Global:
    recipients = list(fee_recipients) if fee_recipients else [addr.MAINNET_FEE_RECIPIENT, *addr.MAINNET_FEE_RECIPIENTS]
    if not 1 <= len(recipients) <= 8:
        raise ValueError(f"Global holds 1 to 8 fee recipients, got {len(recipients)}")
    padded = recipients[1:] + [recipients[0]] * (8 - len(recipients))   # unused slots repeat the first
    return Global(
        initialized=True, authority=authority, fee_recipient=recipients[0],
        initial_virtual_token_reserves=INITIAL_VIRTUAL_TOKEN_RESERVES,
        initial_virtual_sol_reserves=INITIAL_VIRTUAL_SOL_RESERVES,
        initial_real_token_reserves=INITIAL_REAL_TOKEN_RESERVES, token_total_supply=TOKEN_TOTAL_SUPPLY,
        fee_basis_points=FEE_BASIS_POINTS, withdraw_authority=authority, enable_migrate=True,
        pool_migration_fee=POOL_MIGRATION_FEE, creator_fee_basis_points=CREATOR_FEE_BASIS_POINTS,
        fee_recipients=tuple(padded), set_creator_authority=authority, admin_set_creator_authority=authority,
        create_v2_enabled=True, reserved_fee_recipient=addr.MAINNET_RESERVED_FEE_RECIPIENTS[0],
        mayhem_mode_enabled=True, reserved_fee_recipients=addr.MAINNET_RESERVED_FEE_RECIPIENTS[1:],
        is_cashback_enabled=True, buyback_fee_recipients=addr.MAINNET_BUYBACK_FEE_RECIPIENTS,
        buyback_basis_points=BUYBACK_BASIS_POINTS, initial_virtual_quote_reserves=INITIAL_VIRTUAL_QUOTE_RESERVES,
        whitelisted_quote_mints=(USDC_MINT,))


def _set_data_account(svm: LiteSVM, address: Pubkey, owner: Pubkey, data: bytes) -> None:
    svm.set_account(address, Account(lamports=rent_exempt(svm, len(data)), data=data, owner=owner,
                                     executable=False, rent_epoch=0))


def _fee_config_data() -> bytes:
    """pump_fees FeeConfig (idl/pump_fees.json): bump, admin, flat_fees {lp, protocol, creator bps},
    fee_tiers, stable_fee_tiers. The bonding-curve schedule of docs/fees.png ("Bonding curve": 0.95 %
    protocol, 0.30 % creator, no LP fee) as one tier from market cap 0; the program reads the tiers."""
    bump = Pubkey.find_program_address([b"fee_config", bytes(addr.PUMP_PROGRAM)], addr.FEE_PROGRAM)[1]
    flat = struct.pack("<QQQ", 0, FEE_BASIS_POINTS, CREATOR_FEE_BASIS_POINTS)
    tiers = struct.pack("<I", 1) + (0).to_bytes(16, "little") + flat
    return (anchor_discriminator("account", "FeeConfig") + bytes([bump]) + bytes(32) + flat
            + tiers + struct.pack("<I", 0))


def install_pumpfun(svm: LiteSVM, *, authority: Pubkey | None = None,
                    fee_recipients: list[Pubkey] | None = None) -> PumpfunDeployment:
    """Load pump.so at the real program id and set Global (mainnet defaults: 30 SOL / 1.073e15
    virtual, 7.931e14 real, 95 + 30 bps, the mainnet fee recipients unless given), the fee
    config and global volume accumulator, and the Metaplex stand-in."""
    svm.add_program(addr.PUMP_PROGRAM, PUMP_SO.read_bytes())
    svm.add_program(addr.METADATA_PROGRAM, METADATA_STUB_SO.read_bytes())
    global_state = default_global(authority or Pubkey.default(), fee_recipients)
    encoded = GLOBAL.encode(global_state)
    _set_data_account(svm, addr.GLOBAL, addr.PUMP_PROGRAM, encoded + bytes(GLOBAL_ACCOUNT_SPACE - len(encoded)))
    _set_data_account(svm, addr.FEE_CONFIG, addr.FEE_PROGRAM, _fee_config_data())
    volume = anchor_discriminator("account", "GlobalVolumeAccumulator") + bytes(8 * 3 + 32 + 8 * 60)
    _set_data_account(svm, addr.GLOBAL_VOLUME_ACCUMULATOR, addr.PUMP_PROGRAM, volume)
    # fee recipients exist as funded system accounts, so fees below rent-exemption can land
    for recipient in (*global_state.all_fee_recipients(), global_state.reserved_fee_recipient,
                      *global_state.reserved_fee_recipients, *global_state.buyback_fee_recipients):
        if svm.get_account(recipient) is None:
            svm.set_account(recipient, Account(lamports=rent_exempt(svm, 0), data=b"", owner=addr.SYSTEM_PROGRAM,
                                               executable=False, rent_epoch=0))
    install_usdc(svm, global_state.buyback_fee_recipients)   # USDC-paired coins (create_v2 with a quote mint)
    install_pumpswap(svm)        # graduated coins trade on the PumpSwap-compatible pool
    return PumpfunDeployment(addr.PUMP_PROGRAM, addr.GLOBAL, global_state, addr.METADATA_PROGRAM)
