"""The PumpSwap-compatible program in a LiteSVM: its GlobalConfig (mainnet fees 20 + 5 bps, a 5 bps
coin-creator fee, and the fee, reserved (mayhem) and buyback recipients), the Fee Program's FeeConfig
for it (docs/fees.png's PumpSwap tiers, which canonical pools pay), the recipients' quote accounts,
the global volume accumulator, and graduation: the chain's migration authority
sends pump's real `migrate` instruction, which moves a completed curve's reserves into the coin's
canonical pool by CPI, in one signed transaction that subscribers see like any other."""
from __future__ import annotations

import hashlib
from dataclasses import replace
from pathlib import Path

from solders.account import Account
from solders.compute_budget import set_compute_unit_limit
from solders.instruction import AccountMeta, Instruction
from solders.keypair import Keypair
from solders.litesvm import LiteSVM
from solders.message import MessageV0
from solders.pubkey import Pubkey
from solders.token.state import TokenAccount, TokenAccountState
from solders.transaction import VersionedTransaction

from adapters.pumpfun import addresses as pump
from adapters.pumpfun.instructions import build_create_ata_idempotent, build_migrate
from adapters.pumpfun.layout_v1 import BONDING_CURVE, GLOBAL, anchor_discriminator
from adapters.pumpswap import addresses as addr
from adapters.pumpswap import amm
from adapters.pumpswap.fees import FeeConfig, FeeTier, encode_fee_config
from adapters.pumpswap.instructions_v2 import PoolKeys
from adapters.pumpswap.layout import GLOBAL_CONFIG, POOL, GlobalConfig
from localnet.programs.usdc import USDC_MINT

PUMPSWAP_SO = Path(__file__).resolve().parent / "pumpswap.so"
LP_FEE_BASIS_POINTS = 20
PROTOCOL_FEE_BASIS_POINTS = 5
# docs/fees.png's PumpSwap row whose lp and protocol rates are GlobalConfig's 20 + 5 (PUMP_SWAP_README.md)
# has a 0.05 % creator fee: GlobalConfig's rates, which the program charges without a FeeConfig, and
# (an assumption) the FeeConfig's flat fees for non-canonical pools
COIN_CREATOR_FEE_BASIS_POINTS = 5
# docs/fees.png, PumpSwap rows: (market cap threshold in SOL, lp, protocol, creator bps). The rows from
# 54,030 SOL up show half basis points (0.275 % ...), which the u64 bps fields cannot hold: left out,
# so every market cap from 49,120 SOL (~$10M) pays the last row here
POOL_FEE_TIERS = (
    (0, 2, 93, 30), (420, 20, 5, 95), (1_470, 20, 5, 90), (2_460, 20, 5, 85), (3_440, 20, 5, 80),
    (4_420, 20, 5, 75), (9_820, 20, 5, 70), (14_740, 20, 5, 65), (19_650, 20, 5, 60), (24_560, 20, 5, 55),
    (29_470, 20, 5, 50), (34_380, 20, 5, 45), (39_300, 20, 5, 40), (44_210, 20, 5, 35), (49_120, 20, 5, 30),
)
GLOBAL_VOLUME_ACCUMULATOR_SPACE = 8 + 8 * 3 + 32 + 8 * 60   # idl GlobalVolumeAccumulator
GLOBAL_CONFIG_SPACE = 1_024          # every field of idl/pump_amm.json's GlobalConfig, and room for later ones
ADMIN_LAMPORTS = 1_000 * 10**9       # pays rent for each migrated pool
TOKEN_ACCOUNT_LEN = 165
MIGRATE_COMPUTE_UNITS = 400_000      # four token-account creations, PDA checks and the pool CPI


class MigrationError(RuntimeError):
    """The coin cannot migrate: no curve, curve still live, already migrated, or the transaction failed."""


def migration_authority() -> Keypair:
    """GlobalConfig.admin, Global.withdraw_authority (unless set) and the sender of `migrate` on the
    local chain: a fixed, public key pair (local chain only)."""
    return Keypair.from_seed(hashlib.sha256(b"localnet pumpswap migration authority").digest())


MIGRATE_V2_DISCRIMINATOR = bytes([187, 203, 18, 31, 206, 237, 254, 41])   # idl/pump.json migrate_v2
RENT_SYSVAR = Pubkey.from_string("SysvarRent111111111111111111111111111111111")


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
                          protocol_fee_recipients=addr.MAINNET_PROTOCOL_FEE_RECIPIENTS,
                          coin_creator_fee_basis_points=COIN_CREATOR_FEE_BASIS_POINTS,
                          reserved_fee_recipient=pump.MAINNET_RESERVED_FEE_RECIPIENTS[0],
                          reserved_fee_recipients=tuple(pump.MAINNET_RESERVED_FEE_RECIPIENTS[1:]),
                          buyback_fee_recipients=addr.MAINNET_POOL_BUYBACK_FEE_RECIPIENTS)
    encoded = GLOBAL_CONFIG.encode(config)
    data = encoded + bytes(GLOBAL_CONFIG_SPACE - len(encoded))
    svm.set_account(addr.GLOBAL_CONFIG, Account(lamports=svm.minimum_balance_for_rent_exemption(len(data)), data=data,
                                                owner=addr.PROGRAM, executable=False, rent_epoch=0))
    volume = anchor_discriminator("account", "GlobalVolumeAccumulator") + bytes(GLOBAL_VOLUME_ACCUMULATOR_SPACE - 8)
    svm.set_account(addr.GLOBAL_VOLUME_ACCUMULATOR, Account(
        lamports=svm.minimum_balance_for_rent_exemption(len(volume)), data=volume, owner=addr.PROGRAM, executable=False,
        rent_epoch=0))
    recipients = (config.protocol_fee_recipients + (config.reserved_fee_recipient,) + config.reserved_fee_recipients
                  + config.buyback_fee_recipients)
    for recipient in recipients:         # the quote accounts pool trades pay into
        for quote in (addr.WSOL_MINT, USDC_MINT):
            ata = addr.associated_token_address(recipient, quote)
            if svm.get_account(ata) is None:
                svm.set_account(ata, _token_account(svm, quote, recipient, 0))
    install_pool_fee_config(svm)
    svm.set_account(admin, Account(lamports=ADMIN_LAMPORTS, data=b"", owner=addr.SYSTEM_PROGRAM, executable=False,
                                   rent_epoch=0))
    _use_migration_authority_as_withdraw_authority(svm, admin)
    return config


def pool_fee_config() -> FeeConfig:
    """The FeeConfig PumpSwap trades read: POOL_FEE_TIERS, flat fees = GlobalConfig's rates."""
    bump = Pubkey.find_program_address([b"fee_config", bytes(addr.PROGRAM)], addr.FEE_PROGRAM)[1]
    tiers = tuple(FeeTier(sol * 10**9, amm.FeeRates(lp, protocol, creator))
                  for sol, lp, protocol, creator in POOL_FEE_TIERS)
    flat = amm.FeeRates(LP_FEE_BASIS_POINTS, PROTOCOL_FEE_BASIS_POINTS, COIN_CREATOR_FEE_BASIS_POINTS)
    return FeeConfig(flat, tiers, bump=bump)


def install_pool_fee_config(svm: LiteSVM, config: FeeConfig | None = None) -> None:
    """Write `config` (default pool_fee_config()) at PumpSwap's FeeConfig address, owned by the Fee Program."""
    data = encode_fee_config(config or pool_fee_config())
    svm.set_account(addr.FEE_CONFIG, Account(lamports=svm.minimum_balance_for_rent_exemption(len(data)), data=data,
                                             owner=addr.FEE_PROGRAM, executable=False, rent_epoch=0))


def _use_migration_authority_as_withdraw_authority(svm: LiteSVM, admin: Pubkey) -> None:
    """A Global without a withdraw authority (the zero key, which no one can credit) names the
    migration authority, so `migrate` has a live account to pay Global.pool_migration_fee to."""
    account = svm.get_account(pump.GLOBAL)
    if account is None:
        return
    global_state = GLOBAL.decode(bytes(account.data))
    if global_state.withdraw_authority != Pubkey.default():
        return
    data = bytearray(account.data)
    encoded = GLOBAL.encode(replace(global_state, withdraw_authority=admin))
    data[:len(encoded)] = encoded
    svm.set_account(pump.GLOBAL, Account(lamports=account.lamports, data=bytes(data), owner=account.owner,
                                         executable=False, rent_epoch=0))


def quote_mint_of(svm: LiteSVM, mint: Pubkey) -> Pubkey:
    """The quote mint of the coin's pool: WSOL for a SOL-paired curve, else the curve's quote token."""
    curve_account = svm.get_account(pump.bonding_curve(mint))
    if curve_account is None:
        return addr.WSOL_MINT
    quote = BONDING_CURVE.decode(bytes(curve_account.data)).quote_mint
    return addr.WSOL_MINT if quote == Pubkey.default() else quote


def canonical_pool_of(svm: LiteSVM, mint: Pubkey) -> Pubkey:
    """The pool `migrate` / `migrate_v2` makes: index 0, the pool authority, the coin and its quote mint."""
    return addr.pool_address(0, addr.pool_authority(mint), mint, quote_mint_of(svm, mint))


def canonical_pool_keys(svm: LiteSVM, mint: Pubkey) -> PoolKeys:
    """The keys a current buy or sell of the coin's canonical pool names (adapters/pumpswap/buy_v2.py,
    instructions_v2.py), read off the chain: for third parties' trades in tests and the market."""
    pool = canonical_pool_of(svm, mint)
    state = POOL.decode(bytes(svm.get_account(pool).data))
    return PoolKeys.of_pool(pool, state, svm.get_account(mint).owner, svm.get_account(state.quote_mint).owner)


def _check_can_migrate(svm: LiteSVM, mint: Pubkey) -> Pubkey:
    """Raises MigrationError unless `mint` has a complete, unmigrated curve; returns Global.withdraw_authority."""
    curve_account = svm.get_account(pump.bonding_curve(mint))
    if curve_account is None:
        raise MigrationError(f"{mint} has no pump.fun bonding curve")
    curve = BONDING_CURVE.decode(bytes(curve_account.data))
    if not curve.complete:
        raise MigrationError(f"{mint}: bonding curve is still live")
    if curve.real_sol_reserves == 0 or svm.get_account(canonical_pool_of(svm, mint)) is not None:
        raise MigrationError(f"{mint}: already migrated")
    return GLOBAL.decode(bytes(svm.get_account(pump.GLOBAL).data)).withdraw_authority


def build_migrate_v2(user: Pubkey, mint: Pubkey, quote_mint: Pubkey, withdraw_authority: Pubkey,
                     base_token_program: Pubkey, quote_token_program: Pubkey = pump.TOKEN_PROGRAM) -> Instruction:
    """`migrate_v2` in idl/pump.json's account order (27); `user` writable: the local program has it pay rent."""
    ata = pump.associated_token_address
    curve, authority = pump.bonding_curve(mint), addr.pool_authority(mint)
    pool = addr.pool_address(0, authority, mint, quote_mint)
    lp_mint = Pubkey.find_program_address([b"pool_lp_mint", bytes(pool)], addr.PROGRAM)[0]
    ro = lambda key: AccountMeta(key, False, False)      # noqa: E731
    w = lambda key: AccountMeta(key, False, True)        # noqa: E731
    return Instruction(pump.PUMP_PROGRAM, MIGRATE_V2_DISCRIMINATOR, [
        ro(pump.GLOBAL), w(withdraw_authority), ro(mint), ro(quote_mint), w(curve),
        w(ata(curve, mint, base_token_program)), w(ata(curve, quote_mint, quote_token_program)),
        AccountMeta(user, True, True), ro(pump.SYSTEM_PROGRAM), ro(addr.PROGRAM), w(pool), w(authority),
        w(ata(authority, mint, base_token_program)), w(ata(authority, quote_mint, quote_token_program)),
        ro(addr.GLOBAL_CONFIG), w(lp_mint), w(ata(authority, lp_mint, pump.TOKEN_2022_PROGRAM)),
        w(ata(pool, mint, base_token_program)), w(ata(pool, quote_mint, quote_token_program)),
        ro(base_token_program), ro(quote_token_program), ro(pump.TOKEN_2022_PROGRAM), ro(pump.ASSOCIATED_TOKEN_PROGRAM),
        ro(addr.EVENT_AUTHORITY), ro(RENT_SYSVAR), ro(pump.EVENT_AUTHORITY), ro(pump.PUMP_PROGRAM)])


def migrate_graduated_coin(chain, mint: Pubkey) -> Pubkey:
    """Graduate `mint` on a localnet Chain: the migration authority sends pump's `migrate` (SOL-paired)
    or `migrate_v2` (token-paired: USDC), which moves the complete curve's tokens and quote (for SOL,
    less Global.pool_migration_fee, paid to Global.withdraw_authority) into the coin's canonical pool;
    returns the pool's address."""
    withdraw_authority = _check_can_migrate(chain.svm, mint)
    admin = migration_authority()
    token_program = chain.svm.get_account(mint).owner          # SPL Token, or Token-2022 for create_v2 coins
    quote = quote_mint_of(chain.svm, mint)
    migrate = (build_migrate(admin.pubkey(), mint, withdraw_authority, token_program) if quote == addr.WSOL_MINT
               else build_migrate_v2(admin.pubkey(), mint, quote, withdraw_authority, token_program,
                                     chain.svm.get_account(quote).owner))
    # the coin creator's vault ATA, which a pool trade makes (paid by its trader) when missing: on mainnet
    # one of a coin's many traders paid it long before a bot's trade, so here the migrator pays it
    creator = BONDING_CURVE.decode(bytes(chain.svm.get_account(pump.bonding_curve(mint)).data)).creator
    vault = build_create_ata_idempotent(admin.pubkey(), addr.coin_creator_vault_authority(creator), quote)
    instructions = [set_compute_unit_limit(MIGRATE_COMPUTE_UNITS), migrate, vault]
    blockhash, _ = chain.latest_blockhash()
    message = MessageV0.try_compile(admin.pubkey(), instructions, [], blockhash)
    record = chain.execute(VersionedTransaction(message, [admin]))
    if record.err is not None:
        raise MigrationError(f"{mint}: migrate transaction failed: {record.err}")
    return canonical_pool_of(chain.svm, mint)
