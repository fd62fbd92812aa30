"""PumpSwap sell as mainnet takes it today: the 21 accounts of idl/pump_amm.json (coin-creator vault,
fee config), then the remaining accounts in this order: for a cashback coin the user's AMM volume
accumulator's quote ATA and the accumulator (PUMP_CASHBACK_README.md), then pool-v2, one buyback
fee recipient and its quote-mint ATA (BREAKING_FEE_RECIPIENT.md): 24 accounts, 26 for cashback coins.
`fee_recipients` picks both recipients for a pool (a mayhem pool's protocol fee goes to a reserved one)."""
from __future__ import annotations

from dataclasses import dataclass

from solders.instruction import AccountMeta, Instruction
from solders.pubkey import Pubkey

from adapters.pumpswap import addresses as addr
from adapters.pumpswap.instructions import SELL_DISCRIMINATOR, _u64
from adapters.pumpswap.layout import Pool

SELL_ACCOUNTS = 24
SELL_ACCOUNTS_CASHBACK = 26


@dataclass(frozen=True)
class PoolKeys:
    """What a swap names of one pool: read from its Pool account, plus the mints' token programs."""
    pool: Pubkey
    base_mint: Pubkey
    quote_mint: Pubkey
    pool_base_token_account: Pubkey
    pool_quote_token_account: Pubkey
    coin_creator: Pubkey
    base_token_program: Pubkey = addr.TOKEN_PROGRAM
    quote_token_program: Pubkey = addr.TOKEN_PROGRAM
    is_cashback_coin: bool = False

    @classmethod
    def of_pool(cls, address: Pubkey, pool: Pool, base_token_program: Pubkey,
                quote_token_program: Pubkey = addr.TOKEN_PROGRAM) -> "PoolKeys":
        return cls(address, pool.base_mint, pool.quote_mint, pool.pool_base_token_account,
                   pool.pool_quote_token_account, pool.coin_creator, base_token_program, quote_token_program,
                   pool.is_cashback_coin)


def account_meta(key: Pubkey, writable: bool = False, signer: bool = False) -> AccountMeta:
    """One account of an instruction: read-only and not a signer unless told."""
    return AccountMeta(key, is_signer=signer, is_writable=writable)


def swap_core_accounts(user: Pubkey, keys: PoolKeys, protocol_fee_recipient: Pubkey,
                       user_quote_token_account: Pubkey | None = None) -> list[AccountMeta]:
    """The 19 accounts a buy and a sell both start with: pool .. program, then the coin creator's
    vault ATA and authority. user_quote_token_account: the user's quote account (default its ATA)."""
    quote, quote_program = keys.quote_mint, keys.quote_token_program
    user_quote = user_quote_token_account or addr.associated_token_address(user, quote, quote_program)
    return [
        account_meta(keys.pool, writable=True), account_meta(user, writable=True, signer=True),
        account_meta(addr.GLOBAL_CONFIG),
        account_meta(keys.base_mint), account_meta(quote),
        account_meta(addr.associated_token_address(user, keys.base_mint, keys.base_token_program), writable=True),
        account_meta(user_quote, writable=True),
        account_meta(keys.pool_base_token_account, writable=True),
        account_meta(keys.pool_quote_token_account, writable=True),
        account_meta(protocol_fee_recipient),
        account_meta(addr.associated_token_address(protocol_fee_recipient, quote, quote_program), writable=True),
        account_meta(keys.base_token_program), account_meta(quote_program), account_meta(addr.SYSTEM_PROGRAM),
        account_meta(addr.ASSOCIATED_TOKEN_PROGRAM), account_meta(addr.EVENT_AUTHORITY), account_meta(addr.PROGRAM),
        account_meta(addr.coin_creator_vault_ata(keys.coin_creator, quote, quote_program), writable=True),
        account_meta(addr.coin_creator_vault_authority(keys.coin_creator)),
    ]


def buyback_tail_accounts(keys: PoolKeys, buyback_fee_recipient: Pubkey) -> list[AccountMeta]:
    """The last remaining accounts of a buy and a sell (BREAKING_FEE_RECIPIENT.md): pool-v2, one
    buyback fee recipient and its quote-mint ATA."""
    return [account_meta(addr.pool_v2(keys.base_mint)), account_meta(buyback_fee_recipient),
            account_meta(addr.associated_token_address(buyback_fee_recipient, keys.quote_mint,
                                                       keys.quote_token_program), writable=True)]


def sell_accounts(user: Pubkey, keys: PoolKeys, protocol_fee_recipient: Pubkey, buyback_fee_recipient: Pubkey,
                  user_quote_token_account: Pubkey | None = None) -> list[AccountMeta]:
    """user_quote_token_account: where the proceeds go (default the user's quote ATA); any token
    account of the quote mint the user owns."""
    accounts = swap_core_accounts(user, keys, protocol_fee_recipient, user_quote_token_account) \
        + [account_meta(addr.FEE_CONFIG), account_meta(addr.FEE_PROGRAM)]
    if keys.is_cashback_coin:
        accumulator = addr.user_volume_accumulator(user)
        accounts += [account_meta(addr.associated_token_address(accumulator, keys.quote_mint, keys.quote_token_program),
                           writable=True),
                     account_meta(accumulator, writable=True)]
    return accounts + buyback_tail_accounts(keys, buyback_fee_recipient)


def build_sell(user: Pubkey, keys: PoolKeys, protocol_fee_recipient: Pubkey, buyback_fee_recipient: Pubkey,
               base_amount_in: int, min_quote_amount_out: int,
               user_quote_token_account: Pubkey | None = None) -> Instruction:
    """Sell exactly `base_amount_in` into the pool for at least `min_quote_amount_out` quote units."""
    data = SELL_DISCRIMINATOR + _u64("base_amount_in", base_amount_in) \
        + _u64("min_quote_amount_out", min_quote_amount_out)
    return Instruction(addr.PROGRAM, data, sell_accounts(user, keys, protocol_fee_recipient, buyback_fee_recipient,
                                                         user_quote_token_account))


def pick_recipient(recipients, salt: bytes, fallback=()) -> Pubkey:
    """One of the configured (non-zero) recipients, spread by `salt` as the docs advise; `fallback`
    when the config lists none (a GlobalConfig written before the field existed)."""
    usable = [key for key in recipients if key != Pubkey.default()] or list(fallback)
    if not usable:
        raise LookupError("no fee recipient configured")
    return usable[int.from_bytes(bytes(salt)[:4].ljust(4, b"\0"), "little") % len(usable)]


def fee_recipients(config, pool: Pool, salt: bytes) -> tuple[Pubkey, Pubkey]:
    """(protocol fee recipient, buyback fee recipient) of a swap on `pool` under `config`
    (layout.GlobalConfig): a mayhem pool pays a reserved recipient (FEE_RECIPIENTS.md); spread by `salt`."""
    protocol_list = config.protocol_fee_recipients
    if pool.is_mayhem_mode:
        protocol_list = (config.reserved_fee_recipient, *config.reserved_fee_recipients)
    return (pick_recipient(protocol_list, salt),
            pick_recipient(config.buyback_fee_recipients, salt[4:], addr.MAINNET_POOL_BUYBACK_FEE_RECIPIENTS))
