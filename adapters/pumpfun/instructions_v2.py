"""pump.fun builders for today's instructions: create_v2 (16 accounts, COIN_CREATION.md), buy_v2 /
buy_exact_quote_in_v2 (27, BUY.md), sell_v2 (26, SELL.md), buy_v3 / buy_exact_quote_in_v3 / sell_v3
(17, TRADE_V3.md), sweep_protocol_fee / sweep_creator_fee (13, SWEEP_FEES.md); all from
pump-fun/pump-public-docs. SOL-paired coins (WSOL as quote mint) unless a quote mint is given."""
from __future__ import annotations

from dataclasses import dataclass

from solders.instruction import AccountMeta, Instruction
from solders.pubkey import Pubkey

from adapters.pumpfun import addresses as addr
from adapters.pumpfun.instructions import _borsh_string, _ro, _u64, _w
from adapters.pumpfun.layout_v1 import anchor_discriminator

SHARING_CONFIG_SEED = b"sharing-config"


def _signer(key: Pubkey) -> AccountMeta:
    return AccountMeta(key, is_signer=True, is_writable=True)


def sharing_config(mint: Pubkey) -> Pubkey:
    return Pubkey.find_program_address([SHARING_CONFIG_SEED, bytes(mint)], addr.FEE_PROGRAM)[0]


def _mayhem(seeds: list[bytes]) -> Pubkey:
    return Pubkey.find_program_address(seeds, addr.MAYHEM_PROGRAM)[0]


def build_create_v2(mint: Pubkey, user: Pubkey, name: str, symbol: str, uri: str, creator: Pubkey | None = None,
                    is_mayhem_mode: bool = False, is_cashback_enabled: bool | None = None) -> Instruction:
    """`create_v2`: a Token-2022 coin (mint and user sign); is_cashback_enabled None leaves the OptionBool off."""
    data = (anchor_discriminator("global", "create_v2") + _borsh_string(name) + _borsh_string(symbol)
            + _borsh_string(uri) + bytes(creator or user) + bytes([1 if is_mayhem_mode else 0]))
    if is_cashback_enabled is not None:
        data += bytes([1 if is_cashback_enabled else 0])
    curve, t22 = addr.bonding_curve(mint), addr.TOKEN_2022_PROGRAM
    sol_vault = _mayhem([b"sol-vault"])
    return Instruction(addr.PUMP_PROGRAM, data, [
        _signer(mint), _ro(addr.MINT_AUTHORITY), _w(curve), _w(addr.associated_token_address(curve, mint, t22)),
        _ro(addr.GLOBAL), _signer(user), _ro(addr.SYSTEM_PROGRAM), _ro(t22), _ro(addr.ASSOCIATED_TOKEN_PROGRAM),
        _w(addr.MAYHEM_PROGRAM), _ro(_mayhem([b"global-params"])), _w(sol_vault),
        _w(_mayhem([b"mayhem-state", bytes(mint)])), _w(addr.associated_token_address(sol_vault, mint, t22)),
        _ro(addr.EVENT_AUTHORITY), _ro(addr.PUMP_PROGRAM)])


@dataclass(frozen=True)
class Coin:
    """What a trade needs to know of a coin: its mint, creator and the two token programs."""
    mint: Pubkey
    creator: Pubkey
    token_program: Pubkey = addr.TOKEN_2022_PROGRAM
    quote_mint: Pubkey = addr.WSOL_MINT
    quote_token_program: Pubkey = addr.TOKEN_PROGRAM


def _v2_accounts(user: Pubkey, coin: Coin, fee_recipient: Pubkey, buyback: Pubkey, is_buy: bool) -> list[AccountMeta]:
    quote, qtp = coin.quote_mint, coin.quote_token_program
    ata = addr.associated_token_address
    curve, vault, volume = addr.bonding_curve(coin.mint), addr.creator_vault(coin.creator), addr.user_volume_accumulator(user)
    accounts = [
        _ro(addr.GLOBAL), _ro(coin.mint), _ro(quote), _ro(coin.token_program), _ro(qtp), _ro(addr.ASSOCIATED_TOKEN_PROGRAM),
        _w(fee_recipient), _w(ata(fee_recipient, quote, qtp)), _w(buyback), _w(ata(buyback, quote, qtp)),
        _w(curve), _w(ata(curve, coin.mint, coin.token_program)), _w(ata(curve, quote, qtp)),
        _signer(user), _w(ata(user, coin.mint, coin.token_program)), _w(ata(user, quote, qtp)),
        _w(vault), _w(ata(vault, quote, qtp)), _ro(sharing_config(coin.mint)),
        _ro(addr.GLOBAL_VOLUME_ACCUMULATOR), _w(volume), _w(ata(volume, quote, qtp)),
        _ro(addr.FEE_CONFIG), _ro(addr.FEE_PROGRAM), _ro(addr.SYSTEM_PROGRAM), _ro(addr.EVENT_AUTHORITY),
        _ro(addr.PUMP_PROGRAM)]
    if not is_buy:
        del accounts[19]                    # sell_v2 has no global_volume_accumulator
    return accounts


def _default_buyback(buyback: Pubkey | None) -> Pubkey:
    return buyback or addr.MAINNET_BUYBACK_FEE_RECIPIENTS[0]


def build_buy_v2(user: Pubkey, coin: Coin, fee_recipient: Pubkey, amount: int, max_quote_cost: int,
                 buyback: Pubkey | None = None) -> Instruction:
    data = anchor_discriminator("global", "buy_v2") + _u64("amount", amount) + _u64("max_sol_cost", max_quote_cost)
    return Instruction(addr.PUMP_PROGRAM, data, _v2_accounts(user, coin, fee_recipient, _default_buyback(buyback), True))


def build_buy_exact_quote_in_v2(user: Pubkey, coin: Coin, fee_recipient: Pubkey, spendable_quote_in: int,
                                min_tokens_out: int, buyback: Pubkey | None = None) -> Instruction:
    data = (anchor_discriminator("global", "buy_exact_quote_in_v2") + _u64("spendable_quote_in", spendable_quote_in)
            + _u64("min_tokens_out", min_tokens_out))
    return Instruction(addr.PUMP_PROGRAM, data, _v2_accounts(user, coin, fee_recipient, _default_buyback(buyback), True))


def build_sell_v2(user: Pubkey, coin: Coin, fee_recipient: Pubkey, amount: int, min_quote_output: int,
                  buyback: Pubkey | None = None) -> Instruction:
    data = anchor_discriminator("global", "sell_v2") + _u64("amount", amount) + _u64("min_sol_output", min_quote_output)
    return Instruction(addr.PUMP_PROGRAM, data, _v2_accounts(user, coin, fee_recipient, _default_buyback(buyback), False))


def _v3_accounts(user: Pubkey, coin: Coin, buyback: Pubkey) -> list[AccountMeta]:
    quote, qtp = coin.quote_mint, coin.quote_token_program
    ata = addr.associated_token_address
    curve = addr.bonding_curve(coin.mint)
    # SOL-paired: the buyback wallet itself; token-paired: its quote ATA (TRADE_V3.md)
    buyback_account = buyback if quote == addr.WSOL_MINT else ata(buyback, quote, qtp)
    return [
        _ro(addr.GLOBAL), _ro(coin.mint), _ro(quote), _ro(coin.token_program), _ro(qtp), _w(curve),
        _w(ata(curve, coin.mint, coin.token_program)), _w(ata(curve, quote, qtp)), _signer(user),
        _w(ata(user, coin.mint, coin.token_program)), _w(ata(user, quote, qtp)), _w(addr.user_volume_accumulator(user)),
        _ro(addr.FEE_CONFIG), _w(buyback_account), _ro(addr.SYSTEM_PROGRAM), _ro(addr.EVENT_AUTHORITY),
        _ro(addr.PUMP_PROGRAM)]


def build_buy_v3(user: Pubkey, coin: Coin, amount: int, max_quote_cost: int, buyback: Pubkey | None = None) -> Instruction:
    data = anchor_discriminator("global", "buy_v3") + _u64("amount", amount) + _u64("max_sol_cost", max_quote_cost)
    return Instruction(addr.PUMP_PROGRAM, data, _v3_accounts(user, coin, _default_buyback(buyback)))


def build_buy_exact_quote_in_v3(user: Pubkey, coin: Coin, spendable_quote_in: int, min_tokens_out: int,
                                buyback: Pubkey | None = None) -> Instruction:
    data = (anchor_discriminator("global", "buy_exact_quote_in_v3") + _u64("spendable_quote_in", spendable_quote_in)
            + _u64("min_tokens_out", min_tokens_out))
    return Instruction(addr.PUMP_PROGRAM, data, _v3_accounts(user, coin, _default_buyback(buyback)))


def build_sell_v3(user: Pubkey, coin: Coin, amount: int, min_quote_output: int, buyback: Pubkey | None = None) -> Instruction:
    data = anchor_discriminator("global", "sell_v3") + _u64("amount", amount) + _u64("min_sol_output", min_quote_output)
    return Instruction(addr.PUMP_PROGRAM, data, _v3_accounts(user, coin, _default_buyback(buyback)))


def build_sweep(payer: Pubkey, coin: Coin, recipient: Pubkey, creator_fee: bool) -> Instruction:
    """sweep_creator_fee (recipient: the creator vault) or sweep_protocol_fee (a fee recipient)."""
    quote, qtp = coin.quote_mint, coin.quote_token_program
    ata = addr.associated_token_address
    curve = addr.bonding_curve(coin.mint)
    name = "sweep_creator_fee" if creator_fee else "sweep_protocol_fee"
    return Instruction(addr.PUMP_PROGRAM, anchor_discriminator("global", name), [
        _signer(payer), _ro(addr.GLOBAL), _ro(coin.mint), _ro(quote), _ro(qtp), _ro(addr.ASSOCIATED_TOKEN_PROGRAM),
        _ro(addr.SYSTEM_PROGRAM), _w(curve), _w(ata(curve, quote, qtp)), _w(recipient), _w(ata(recipient, quote, qtp)),
        _ro(addr.EVENT_AUTHORITY), _ro(addr.PUMP_PROGRAM)])
