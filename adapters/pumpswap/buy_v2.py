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
from adapters.pumpswap.instructions_v2 import PoolKeys, account_meta, buyback_tail_accounts, swap_core_accounts

BUY_ACCOUNTS = 26
BUY_ACCOUNTS_CASHBACK = 27


def buy_accounts(user: Pubkey, keys: PoolKeys, protocol_fee_recipient: Pubkey, buyback_fee_recipient: Pubkey,
                 user_quote_token_account: Pubkey | None = None) -> list[AccountMeta]:
    """user_quote_token_account: where the quote is paid from (default the user's quote ATA)."""
    accumulator = addr.user_volume_accumulator(user)
    accounts = swap_core_accounts(user, keys, protocol_fee_recipient, user_quote_token_account) + [
        account_meta(addr.GLOBAL_VOLUME_ACCUMULATOR), account_meta(accumulator, writable=True),
        account_meta(addr.FEE_CONFIG), account_meta(addr.FEE_PROGRAM),
    ]
    if keys.is_cashback_coin:
        accounts.append(account_meta(addr.associated_token_address(accumulator, keys.quote_mint,
                                                                   keys.quote_token_program), writable=True))
    return accounts + buyback_tail_accounts(keys, buyback_fee_recipient)


def build_buy(user: Pubkey, keys: PoolKeys, protocol_fee_recipient: Pubkey, buyback_fee_recipient: Pubkey,
              base_amount_out: int, max_quote_amount_in: int, track_volume: bool = False,
              user_quote_token_account: Pubkey | None = None) -> Instruction:
    """Buy exactly `base_amount_out` from the pool for at most `max_quote_amount_in` quote units."""
    data = BUY_DISCRIMINATOR + _u64("base_amount_out", base_amount_out) \
        + _u64("max_quote_amount_in", max_quote_amount_in) + bytes([1 if track_volume else 0])
    return Instruction(addr.PROGRAM, data, buy_accounts(user, keys, protocol_fee_recipient, buyback_fee_recipient,
                                                        user_quote_token_account))
