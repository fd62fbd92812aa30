"""The venue of a pump.fun trade: which coins the bot trades, which instruction generation trades a
coin (legacy 18/16 accounts, v2 27/26, v3 17: pump-public-docs BUY.md, SELL.md, TRADE_V3.md) and who
is paid its fees (the Global account's fee, reserved and buyback recipients).

Generation per coin, from `trading.instruction_set`: auto picks v3 (fees kept on the curve, the
shortest list) except for cashback coins, which v3 refuses (CashbackCoinNotSupported, 6094) and
which therefore go through v2 (also when v3 is asked for). Mayhem coins pay a reserved fee
recipient (legacy and v2; v3 names no fee recipient). USDC-paired coins are traded (v3/v2 with the
coin's quote mint) when trading.usdc_buy_amount > 0, else skipped by policy before any instruction.
"""
from __future__ import annotations

import random
import re
import time
from dataclasses import dataclass

from solders.instruction import AccountMeta, Instruction
from solders.pubkey import Pubkey

from adapters.pumpfun import addresses as addr
from adapters.pumpfun import instructions as legacy
from adapters.pumpfun import instructions_v2 as v2
from adapters.pumpfun.instructions import _u64
from adapters.pumpfun.layout_v1 import ZERO_KEY, Global, anchor_discriminator

GENERATIONS = ("v3", "v2", "legacy")
# NotAuthorized (a fee recipient not in Global), BuybackFeeRecipientNotAuthorized, ...Missing:
# as a transaction error (Custom(n)) or a preflight log ("custom program error: 0x...")
_FEE_RECIPIENT_ERROR = re.compile(r"Custom\(\s*(6000|6057|6062)\s*\)|0x(1770|17a9|17ae)\b|"
                                  r"NotAuthorized|BuybackFeeRecipient", re.IGNORECASE)
# what a first v2/v3 buy may create besides the coin's token account, paid by the buyer: the user
# volume accumulator (137 bytes), the creator vault top-up to rent-exempt, a v3 curve's growth
TRADE_ACCOUNTS_RENT_BOUND = 1_844_400 + 890_880 + 200_000
TOKEN_2022_ATA_RENT = 2_074_080          # 170 bytes: a Token-2022 account with ImmutableOwner


# each policy skip and the setting behind it (the Director's log says which)
POLICY_SETTINGS = {"policy: usdc-paired": "trading.usdc_buy_amount = 0",
                   "policy: quote mint": "only SOL and USDC quote mints are traded",
                   "policy: mayhem": "trading.trade_mayhem = false",
                   "policy: cashback": "trading.trade_cashback = false"}


def policy_refusal(launch, trading) -> str:
    """'' when the coin's kind may be traded under `trading` settings, else the skip reason."""
    if not launch.sol_paired:
        if launch.quote_mint != str(addr.USDC_MINT):
            return "policy: quote mint"   # USDC is the only whitelisted quote mint today
        if trading.usdc_buy_amount <= 0:
            return "policy: usdc-paired"
    if launch.is_mayhem_mode and not trading.trade_mayhem:
        return "policy: mayhem"
    if launch.is_cashback_coin and not trading.trade_cashback:
        return "policy: cashback"
    return ""


def generation_for(is_cashback_coin: bool, instruction_set: str) -> str:
    if instruction_set not in ("auto", *GENERATIONS):
        raise ValueError(f"unknown instruction set {instruction_set!r}")
    if is_cashback_coin and instruction_set in ("auto", "v3"):
        return "v2"
    return "v3" if instruction_set == "auto" else instruction_set


def is_fee_recipient_error(error: str) -> bool:
    """The transaction failed on a fee or buyback recipient Global no longer lists."""
    return bool(error) and bool(_FEE_RECIPIENT_ERROR.search(error))


@dataclass(frozen=True)
class CoinKind:
    """What picks a coin's instructions: mint, creator, programs, and the flags its curve records."""
    mint: Pubkey
    creator: Pubkey
    token_program: Pubkey
    is_mayhem_mode: bool = False
    is_cashback_coin: bool = False
    quote_mint: Pubkey = addr.WSOL_MINT   # USDC for a USDC-paired coin

    @classmethod
    def of_launch(cls, launch) -> "CoinKind":
        return cls(Pubkey.from_string(launch.mint), Pubkey.from_string(launch.creator),
                   Pubkey.from_string(launch.token_program), launch.is_mayhem_mode, launch.is_cashback_coin,
                   Pubkey.from_string(launch.quote_mint))

    @classmethod
    def of_curve(cls, mint: str, token_program: str, state) -> "CoinKind":
        """From the live curve: right even for a position recovered from an old journal row."""
        quote = addr.WSOL_MINT if state.quote_mint == ZERO_KEY else state.quote_mint
        return cls(Pubkey.from_string(mint), state.creator, Pubkey.from_string(token_program),
                   state.is_mayhem_mode, state.is_cashback_coin, quote)


@dataclass(frozen=True)
class FeeAccounts:
    """The recipients Global allows: fee (normal coins), reserved (mayhem coins), buyback."""
    fee_recipients: tuple[Pubkey, ...]
    reserved_fee_recipients: tuple[Pubkey, ...]
    buyback_fee_recipients: tuple[Pubkey, ...]
    read_at: float = 0.0

    @classmethod
    def of_global(cls, global_: Global, read_at: float | None = None) -> "FeeAccounts":
        def listed(*keys):
            return tuple(k for k in keys if k != ZERO_KEY)
        return cls(listed(global_.fee_recipient, *global_.fee_recipients),
                   listed(global_.reserved_fee_recipient, *global_.reserved_fee_recipients),
                   listed(*global_.buyback_fee_recipients),
                   time.monotonic() if read_at is None else read_at)

    def fee_recipient(self, mayhem: bool) -> Pubkey:
        """One of the allowed recipients, at random (spreads write locks as the docs advise)."""
        pool = self.reserved_fee_recipients if mayhem else self.fee_recipients
        if not pool:
            raise LookupError("Global lists no " + ("reserved " if mayhem else "") + "fee recipient")
        return random.choice(pool)

    def buyback_recipient(self) -> Pubkey:
        # a Global from before the buyback fee lists none: the builders' mainnet default then
        return random.choice(self.buyback_fee_recipients) if self.buyback_fee_recipients \
            else addr.MAINNET_BUYBACK_FEE_RECIPIENTS[0]

    def stale(self, max_age_seconds: float) -> bool:
        return time.monotonic() - self.read_at >= max_age_seconds


def _coin(kind: CoinKind) -> v2.Coin:
    return v2.Coin(kind.mint, kind.creator, kind.token_program, quote_mint=kind.quote_mint)


def buy_instructions(generation: str, owner: Pubkey, kind: CoinKind, fees: FeeAccounts, amount: int, bound: int,
                     exact_in: bool = False) -> list[Instruction]:
    """[create the buyer's token account if missing, the buy]: exactly `amount` tokens for at most
    `bound` of the quote; or, exact_in (buy_exact_*_in), exactly `amount` of the quote spent for at
    least `bound` tokens."""
    ata = legacy.build_create_ata_idempotent(owner, owner, kind.mint, kind.token_program)
    buyback = fees.buyback_recipient()
    if generation == "v3":
        build_v3 = v2.build_buy_exact_quote_in_v3 if exact_in else v2.build_buy_v3
        return [ata, build_v3(owner, _coin(kind), amount, bound, buyback)]
    fee_recipient = fees.fee_recipient(kind.is_mayhem_mode)
    if generation == "v2":
        build_v2 = v2.build_buy_exact_quote_in_v2 if exact_in else v2.build_buy_v2
        return [ata, build_v2(owner, _coin(kind), fee_recipient, amount, bound, buyback)]
    buy = legacy.build_buy(owner, kind.mint, kind.creator, fee_recipient, amount, bound, kind.token_program,
                           buyback_fee_recipient=buyback)
    if exact_in:   # legacy buy_exact_sol_in: the 18 accounts of `buy`, args spendable_sol_in, min_tokens_out
        data = anchor_discriminator("global", "buy_exact_sol_in") + _u64("spendable_sol_in", amount) \
            + _u64("min_tokens_out", bound)
        buy = Instruction(buy.program_id, data, buy.accounts)
    return [ata, buy]


def sell_instruction(generation: str, owner: Pubkey, kind: CoinKind, fees: FeeAccounts, amount: int,
                     min_out: int) -> Instruction:
    buyback = fees.buyback_recipient()
    if generation == "v3":
        return v2.build_sell_v3(owner, _coin(kind), amount, min_out, buyback)
    fee_recipient = fees.fee_recipient(kind.is_mayhem_mode)
    if generation == "v2":
        return v2.build_sell_v2(owner, _coin(kind), fee_recipient, amount, min_out, buyback)
    sell = legacy.build_sell(owner, kind.mint, kind.creator, fee_recipient, amount, min_out, kind.token_program,
                             buyback_fee_recipient=buyback)
    if not kind.is_cashback_coin:
        return sell
    # PUMP_CASHBACK_README.md: a cashback coin's sell takes the seller's user volume accumulator as
    # remaining account 0 (the creator fee becomes the seller's cashback; the creator's vault may be empty)
    volume = AccountMeta(addr.user_volume_accumulator(owner), is_signer=False, is_writable=True)
    return Instruction(sell.program_id, bytes(sell.data), [*sell.accounts, volume])
