"""PumpSwap buy as mainnet takes it today: the 23 accounts of idl/pump_amm.json `buy` (coin-creator
vault, global and user volume accumulators, fee config), then the remaining accounts in this order:
for a cashback coin the WSOL ATA of the user's AMM volume accumulator (PUMP_CASHBACK_README.md: the
buy's remaining account 0), then pool-v2, one buyback fee recipient and its quote-mint ATA
(BREAKING_FEE_RECIPIENT.md): 26 accounts, 27 for cashback coins. Args: base_amount_out u64,
max_quote_amount_in u64, track_volume OptionBool (one byte). Beside the sell (instructions_v2.py)."""
from __future__ import annotations

from solders.instruction import AccountMeta, Instruction
from solders.pubkey import Pubkey

from adapters.pumpswap import addresses as addr
from adapters.pumpswap.instructions import BUY_DISCRIMINATOR, _u64
from adapters.pumpswap.instructions_v2 import PoolKeys

BUY_ACCOUNTS = 26
BUY_ACCOUNTS_CASHBACK = 27


def _meta(key: Pubkey, writable: bool = False, signer: bool = False) -> AccountMeta:
    return AccountMeta(key, is_signer=signer, is_writable=writable)


def buy_accounts(user: Pubkey, keys: PoolKeys, protocol_fee_recipient: Pubkey, buyback_fee_recipient: Pubkey,
                 user_quote_token_account: Pubkey | None = None) -> list[AccountMeta]:
    """user_quote_token_account: where the quote is paid from (default the user's quote ATA)."""
    quote, quote_program = keys.quote_mint, keys.quote_token_program
    user_quote = user_quote_token_account or addr.associated_token_address(user, quote, quote_program)
    accumulator = addr.user_volume_accumulator(user)
    accounts = [
        _meta(keys.pool, writable=True), _meta(user, writable=True, signer=True), _meta(addr.GLOBAL_CONFIG),
        _meta(keys.base_mint), _meta(quote),
        _meta(addr.associated_token_address(user, keys.base_mint, keys.base_token_program), writable=True),
        _meta(user_quote, writable=True),
        _meta(keys.pool_base_token_account, writable=True), _meta(keys.pool_quote_token_account, writable=True),
        _meta(protocol_fee_recipient),
        _meta(addr.associated_token_address(protocol_fee_recipient, quote, quote_program), writable=True),
        _meta(keys.base_token_program), _meta(quote_program), _meta(addr.SYSTEM_PROGRAM),
        _meta(addr.ASSOCIATED_TOKEN_PROGRAM), _meta(addr.EVENT_AUTHORITY), _meta(addr.PROGRAM),
        _meta(addr.coin_creator_vault_ata(keys.coin_creator, quote, quote_program), writable=True),
        _meta(addr.coin_creator_vault_authority(keys.coin_creator)),
        _meta(addr.GLOBAL_VOLUME_ACCUMULATOR), _meta(accumulator, writable=True),
        _meta(addr.FEE_CONFIG), _meta(addr.FEE_PROGRAM),
    ]
    if keys.is_cashback_coin:
        accounts.append(_meta(addr.associated_token_address(accumulator, quote, quote_program), writable=True))
    accounts += [_meta(addr.pool_v2(keys.base_mint)), _meta(buyback_fee_recipient),
                 _meta(addr.associated_token_address(buyback_fee_recipient, quote, quote_program), writable=True)]
    return accounts


def build_buy(user: Pubkey, keys: PoolKeys, protocol_fee_recipient: Pubkey, buyback_fee_recipient: Pubkey,
              base_amount_out: int, max_quote_amount_in: int, track_volume: bool = False,
              user_quote_token_account: Pubkey | None = None) -> Instruction:
    """Buy exactly `base_amount_out` from the pool for at most `max_quote_amount_in` quote units."""
    data = BUY_DISCRIMINATOR + _u64("base_amount_out", base_amount_out) \
        + _u64("max_quote_amount_in", max_quote_amount_in) + bytes([1 if track_volume else 0])
    return Instruction(addr.PROGRAM, data, buy_accounts(user, keys, protocol_fee_recipient, buyback_fee_recipient,
                                                        user_quote_token_account))
