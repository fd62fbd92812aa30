"""pump.fun legacy instruction builders: create (14 accounts), buy (18), sell (16), migrate (24).
Account orders from PROTOCOL_FACTS.md (pump-public-docs, chainstack's IDL) and idl/pump.json."""
from __future__ import annotations

import struct

from solders.instruction import AccountMeta, Instruction
from solders.pubkey import Pubkey

from adapters.pumpfun import addresses as addr
from adapters.pumpfun.layout_v1 import anchor_discriminator
from adapters.pumpswap import addresses as amm

CREATE_DISCRIMINATOR = anchor_discriminator("global", "create")     # 181ec828051c0777
BUY_DISCRIMINATOR = anchor_discriminator("global", "buy")           # 66063d1201daebea
SELL_DISCRIMINATOR = anchor_discriminator("global", "sell")         # 33e685a4017f83ad
MIGRATE_DISCRIMINATOR = anchor_discriminator("global", "migrate")   # 9beae792ec9ea21e
U64_MAX = 2**64 - 1


def _u64(name: str, value: int) -> bytes:
    if not isinstance(value, int) or not 0 <= value <= U64_MAX:
        raise ValueError(f"{name} must be an int in [0, 2^64): {value!r}")
    return struct.pack("<Q", value)


def _borsh_string(value: str) -> bytes:
    raw = value.encode()
    return struct.pack("<I", len(raw)) + raw


def _ro(key: Pubkey) -> AccountMeta:
    return AccountMeta(key, is_signer=False, is_writable=False)


def _w(key: Pubkey) -> AccountMeta:
    return AccountMeta(key, is_signer=False, is_writable=True)


def build_create(mint: Pubkey, user: Pubkey, name: str, symbol: str, uri: str, creator: Pubkey | None = None) -> Instruction:
    """Legacy `create`: SPL Token mint (mint and user sign), curve, curve ATA and metadata."""
    data = (CREATE_DISCRIMINATOR + _borsh_string(name) + _borsh_string(symbol)
            + _borsh_string(uri) + bytes(creator or user))
    accounts = [
        AccountMeta(mint, is_signer=True, is_writable=True),
        _ro(addr.MINT_AUTHORITY),
        _w(addr.bonding_curve(mint)),
        _w(addr.associated_bonding_curve(mint, addr.TOKEN_PROGRAM)),
        _ro(addr.GLOBAL),
        _ro(addr.METADATA_PROGRAM),
        _w(addr.metadata(mint)),
        AccountMeta(user, is_signer=True, is_writable=True),
        _ro(addr.SYSTEM_PROGRAM),
        _ro(addr.TOKEN_PROGRAM),
        _ro(addr.ASSOCIATED_TOKEN_PROGRAM),
        _ro(addr.RENT_SYSVAR),
        _ro(addr.EVENT_AUTHORITY),
        _ro(addr.PUMP_PROGRAM),
    ]
    return Instruction(addr.PUMP_PROGRAM, data, accounts)


def _trade_accounts_head(user: Pubkey, mint: Pubkey, fee_recipient: Pubkey, token_program: Pubkey) -> list[AccountMeta]:
    """The first eight accounts, the same in the legacy buy and sell lists."""
    return [
        _ro(addr.GLOBAL),
        _w(fee_recipient),
        _ro(mint),
        _w(addr.bonding_curve(mint)),
        _w(addr.associated_bonding_curve(mint, token_program)),
        _w(addr.associated_token_address(user, mint, token_program)),
        AccountMeta(user, is_signer=True, is_writable=True),
        _ro(addr.SYSTEM_PROGRAM),
    ]


def _trade_accounts_tail(mint: Pubkey, buyback_fee_recipient: Pubkey) -> list[AccountMeta]:
    """The last four accounts of both lists (fee config and program, curve v2, buyback recipient)."""
    return [_ro(addr.FEE_CONFIG), _ro(addr.FEE_PROGRAM), _ro(addr.bonding_curve_v2(mint)), _w(buyback_fee_recipient)]


def build_buy(user: Pubkey, mint: Pubkey, creator: Pubkey, fee_recipient: Pubkey, amount: int, max_sol_cost: int,
              token_program: Pubkey = addr.TOKEN_PROGRAM, track_volume: bool | None = None,
              buyback_fee_recipient: Pubkey | None = None) -> Instruction:
    """Legacy `buy` of `amount` raw tokens paying at most `max_sol_cost` lamports (fees included).
    track_volume None sends 16 bytes of args; True/False adds the one-byte OptionBool.
    buyback_fee_recipient defaults to the first of Global.buyback_fee_recipients on mainnet."""
    data = BUY_DISCRIMINATOR + _u64("amount", amount) + _u64("max_sol_cost", max_sol_cost)
    if track_volume is not None:
        data += bytes([1 if track_volume else 0])
    accounts = [
        *_trade_accounts_head(user, mint, fee_recipient, token_program),
        _ro(token_program),
        _w(addr.creator_vault(creator)),
        _ro(addr.EVENT_AUTHORITY),
        _ro(addr.PUMP_PROGRAM),
        _ro(addr.GLOBAL_VOLUME_ACCUMULATOR),
        _w(addr.user_volume_accumulator(user)),
        *_trade_accounts_tail(mint, buyback_fee_recipient or addr.MAINNET_BUYBACK_FEE_RECIPIENTS[0]),
    ]
    return Instruction(addr.PUMP_PROGRAM, data, accounts)


def build_sell(user: Pubkey, mint: Pubkey, creator: Pubkey, fee_recipient: Pubkey, amount: int, min_sol_output: int,
               token_program: Pubkey = addr.TOKEN_PROGRAM, buyback_fee_recipient: Pubkey | None = None) -> Instruction:
    """Legacy `sell` of `amount` raw tokens for at least `min_sol_output` lamports (after fees)."""
    data = SELL_DISCRIMINATOR + _u64("amount", amount) + _u64("min_sol_output", min_sol_output)
    accounts = [
        *_trade_accounts_head(user, mint, fee_recipient, token_program),
        _w(addr.creator_vault(creator)),
        _ro(token_program),
        _ro(addr.EVENT_AUTHORITY),
        _ro(addr.PUMP_PROGRAM),
        *_trade_accounts_tail(mint, buyback_fee_recipient or addr.MAINNET_BUYBACK_FEE_RECIPIENTS[0]),
    ]
    return Instruction(addr.PUMP_PROGRAM, data, accounts)


def build_create_ata_idempotent(payer: Pubkey, owner: Pubkey, mint: Pubkey,
                                token_program: Pubkey = addr.TOKEN_PROGRAM) -> Instruction:
    """Associated Token Account program CreateIdempotent (instruction 1)."""
    return Instruction(addr.ASSOCIATED_TOKEN_PROGRAM, bytes([1]), [
        AccountMeta(payer, is_signer=True, is_writable=True),
        _w(addr.associated_token_address(owner, mint, token_program)),
        _ro(owner),
        _ro(mint),
        _ro(addr.SYSTEM_PROGRAM),
        _ro(token_program),
    ])


def build_buy_with_ata(user: Pubkey, mint: Pubkey, creator: Pubkey, fee_recipient: Pubkey, amount: int,
                       max_sol_cost: int, token_program: Pubkey = addr.TOKEN_PROGRAM,
                       track_volume: bool | None = None) -> list[Instruction]:
    """[create the buyer's ATA if missing, buy]: what a first buy of a coin sends."""
    return [build_create_ata_idempotent(user, user, mint, token_program),
            build_buy(user, mint, creator, fee_recipient, amount, max_sol_cost, token_program, track_volume)]


def build_migrate(user: Pubkey, mint: Pubkey, withdraw_authority: Pubkey,
                  token_program: Pubkey = addr.TOKEN_PROGRAM) -> Instruction:
    """`migrate` (no args) of a complete curve into its canonical PumpSwap pool, in the account order
    of idl/pump.json. Anyone may send it; withdraw_authority must be Global.withdraw_authority (it
    receives Global.pool_migration_fee). `user` is marked writable: the local program has it pay the
    rent of the pool and its token accounts. lp_mint and user_pool_token_account are the mainnet
    PDAs; the local pool mints no LP tokens. token_program: the coin's (Token-2022 for create_v2
    coins: their token accounts derive under it; the list's token_program stays SPL Token for WSOL)."""
    pool, authority = amm.canonical_pool(mint), amm.pool_authority(mint)
    pool_base, pool_quote = amm.pool_vaults(pool, mint, base_token_program=token_program)
    lp_mint = Pubkey.find_program_address([b"pool_lp_mint", bytes(pool)], amm.PROGRAM)[0]
    return Instruction(addr.PUMP_PROGRAM, MIGRATE_DISCRIMINATOR, [
        _ro(addr.GLOBAL),
        _w(withdraw_authority),
        _ro(mint),
        _w(addr.bonding_curve(mint)),
        _w(addr.associated_bonding_curve(mint, token_program)),
        AccountMeta(user, is_signer=True, is_writable=True),
        _ro(addr.SYSTEM_PROGRAM),
        _ro(addr.TOKEN_PROGRAM),
        _ro(amm.PROGRAM),
        _w(pool),
        _w(authority),
        _w(addr.associated_token_address(authority, mint, token_program)),
        _w(addr.associated_token_address(authority, addr.WSOL_MINT)),
        _ro(amm.GLOBAL_CONFIG),
        _ro(addr.WSOL_MINT),
        _w(lp_mint),
        _w(addr.associated_token_address(authority, lp_mint, addr.TOKEN_2022_PROGRAM)),
        _w(pool_base),
        _w(pool_quote),
        _ro(addr.TOKEN_2022_PROGRAM),
        _ro(addr.ASSOCIATED_TOKEN_PROGRAM),
        _ro(amm.EVENT_AUTHORITY),
        _ro(addr.EVENT_AUTHORITY),
        _ro(addr.PUMP_PROGRAM),
    ])
