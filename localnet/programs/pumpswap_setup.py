"""The PumpSwap-compatible program in a LiteSVM: its GlobalConfig (mainnet fees 20 + 5 bps and
fee recipients), the recipients' WSOL accounts, and graduation: the chain's migration authority
withdraws a completed curve's reserves (what pump's `migrate` does by CPI; our pump program has no
such instruction, so the chain does it as the validator would let an admin) and seeds the coin's
canonical pool with them by a real signed `migrate` transaction."""
from __future__ import annotations

import hashlib
from dataclasses import replace
from pathlib import Path

from solders.account import Account
from solders.keypair import Keypair
from solders.litesvm import LiteSVM
from solders.message import MessageV0
from solders.pubkey import Pubkey
from solders.token.state import TokenAccount, TokenAccountState
from solders.transaction import VersionedTransaction

from adapters.pumpfun import addresses as pump
from adapters.pumpfun.layout_v1 import BONDING_CURVE, GLOBAL
from adapters.pumpswap import addresses as addr
from adapters.pumpswap.instructions import build_migrate
from adapters.pumpswap.layout import GLOBAL_CONFIG, GlobalConfig, token_account_amount

PUMPSWAP_SO = Path(__file__).resolve().parent / "pumpswap.so"
LP_FEE_BASIS_POINTS = 20
PROTOCOL_FEE_BASIS_POINTS = 5
GLOBAL_CONFIG_SPACE = 643            # room for later-appended fields, as on mainnet
ADMIN_LAMPORTS = 1_000 * 10**9       # pays rent for each migrated pool
TOKEN_ACCOUNT_LEN = 165


class MigrationError(RuntimeError):
    """The coin cannot migrate: no curve, curve still live, already migrated, or the transaction failed."""


def migration_authority() -> Keypair:
    """GlobalConfig.admin of the local chain: a fixed, public key pair (local chain only)."""
    return Keypair.from_seed(hashlib.sha256(b"localnet pumpswap migration authority").digest())


def _token_account(svm: LiteSVM, mint: Pubkey, owner: Pubkey, amount: int) -> Account:
    rent = svm.minimum_balance_for_rent_exemption(TOKEN_ACCOUNT_LEN)
    native = rent if mint == addr.WSOL_MINT else None
    state = TokenAccount(mint=mint, owner=owner, amount=amount, delegate=None, state=TokenAccountState.Initialized,
                         is_native=native, delegated_amount=0, close_authority=None)
    lamports = rent + (amount if native is not None else 0)
    return Account(lamports=lamports, data=bytes(state), owner=addr.TOKEN_PROGRAM, executable=False, rent_epoch=0)


def install_pumpswap(svm: LiteSVM) -> GlobalConfig:
    """Load pumpswap.so at PumpSwap's id, write GlobalConfig and fund the migration authority."""
    svm.add_program(addr.PROGRAM, PUMPSWAP_SO.read_bytes())
    admin = migration_authority().pubkey()
    config = GlobalConfig(admin=admin, lp_fee_basis_points=LP_FEE_BASIS_POINTS,
                          protocol_fee_basis_points=PROTOCOL_FEE_BASIS_POINTS, disable_flags=0,
                          protocol_fee_recipients=addr.MAINNET_PROTOCOL_FEE_RECIPIENTS)
    encoded = GLOBAL_CONFIG.encode(config)
    data = encoded + bytes(GLOBAL_CONFIG_SPACE - len(encoded))
    svm.set_account(addr.GLOBAL_CONFIG, Account(lamports=svm.minimum_balance_for_rent_exemption(len(data)), data=data,
                                                owner=addr.PROGRAM, executable=False, rent_epoch=0))
    for recipient in config.protocol_fee_recipients:
        ata = addr.associated_token_address(recipient, addr.WSOL_MINT)
        if svm.get_account(ata) is None:
            svm.set_account(ata, _token_account(svm, addr.WSOL_MINT, recipient, 0))
    svm.set_account(admin, Account(lamports=ADMIN_LAMPORTS, data=b"", owner=addr.SYSTEM_PROGRAM, executable=False,
                                   rent_epoch=0))
    return config


def _credit_token_account(svm: LiteSVM, owner: Pubkey, mint: Pubkey, amount: int) -> None:
    ata = addr.associated_token_address(owner, mint)
    existing = svm.get_account(ata)
    held = token_account_amount(bytes(existing.data)) if existing is not None else 0
    svm.set_account(ata, _token_account(svm, mint, owner, held + amount))


def withdraw_completed_curve(svm: LiteSVM, mint: Pubkey, to: Pubkey) -> tuple[int, int]:
    """Move a completed curve's tokens and real SOL (less Global.pool_migration_fee, which stays
    with `to` as SOL) into `to`'s base and WSOL ATAs; returns (base, quote) for the pool."""
    curve_key, curve_ata = pump.bonding_curve(mint), pump.associated_bonding_curve(mint)
    curve_account, ata_account = svm.get_account(curve_key), svm.get_account(curve_ata)
    if curve_account is None or ata_account is None:
        raise MigrationError(f"{mint} has no pump.fun bonding curve")
    curve = BONDING_CURVE.decode(bytes(curve_account.data))
    if not curve.complete:
        raise MigrationError(f"{mint}: bonding curve is still live")
    base = token_account_amount(bytes(ata_account.data))
    migration_fee = GLOBAL.decode(bytes(svm.get_account(pump.GLOBAL).data)).pool_migration_fee
    if base == 0 or curve.real_sol_reserves <= migration_fee:
        raise MigrationError(f"{mint}: already migrated")
    quote = curve.real_sol_reserves - migration_fee
    svm.set_account(curve_ata, _token_account(svm, mint, curve_key, 0))
    curve_data = bytearray(curve_account.data)
    encoded = BONDING_CURVE.encode(replace(curve, real_sol_reserves=0, real_token_reserves=0))
    curve_data[:len(encoded)] = encoded
    svm.set_account(curve_key, Account(lamports=curve_account.lamports - curve.real_sol_reserves, data=bytes(curve_data),
                                       owner=curve_account.owner, executable=False, rent_epoch=0))
    _credit_token_account(svm, to, mint, base)
    _credit_token_account(svm, to, addr.WSOL_MINT, quote)
    recipient = svm.get_account(to)
    svm.set_account(to, Account(lamports=(recipient.lamports if recipient else 0) + migration_fee, data=b"",
                                owner=addr.SYSTEM_PROGRAM, executable=False, rent_epoch=0))
    return base, quote


def migrate_graduated_coin(chain, mint: Pubkey) -> Pubkey:
    """Graduate `mint` on a localnet Chain: withdraw its completed curve, then seed its canonical
    pool by a signed `migrate` transaction executed (and recorded, streamed) like any other."""
    admin = migration_authority()
    base, quote = withdraw_completed_curve(chain.svm, mint, admin.pubkey())
    blockhash, _ = chain.latest_blockhash()
    message = MessageV0.try_compile(admin.pubkey(), build_migrate(admin.pubkey(), mint, base, quote), [], blockhash)
    record = chain.execute(VersionedTransaction(message, [admin]))
    if record.err is not None:
        raise MigrationError(f"{mint}: migrate transaction failed: {record.err}")
    return addr.canonical_pool(mint)
