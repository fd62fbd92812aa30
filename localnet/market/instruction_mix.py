"""Which pump.fun instructions the market sends: the launch kind of a coin (legacy `create`,
`create_v2`, a mayhem create_v2, a USDC-paired create_v2) and the instruction family of each trade
(legacy, v2, v3; USDC-paired coins only v2 / v3, the legacy lists being SOL-only). Shares in
fitted.py; weights parse from 'create_v2=85,create=15'."""
from __future__ import annotations

import random

from solders.instruction import AccountMeta, Instruction
from solders.pubkey import Pubkey

from adapters.pumpfun import addresses as addr
from adapters.pumpfun import instructions as pump_ix
from adapters.pumpfun import instructions_v2 as v2
from adapters.pumpfun.layout_v1 import Global
from localnet.programs.usdc import USDC_MINT

LAUNCH_KINDS = ("create_v2", "create", "mayhem", "usdc")
TRADE_FAMILIES = ("legacy", "v2", "v3")


def parse_weights(text: str, names: tuple[str, ...], what: str) -> dict[str, float]:
    """'a=3,b=1' -> {a: 3, b: 1, others: 0}; a clear one-line error on anything else."""
    weights = {name: 0.0 for name in names}
    for part in filter(None, (p.strip() for p in text.split(","))):
        name, sep, value = part.partition("=")
        try:
            weight = float(value) if sep else float("nan")
        except ValueError:
            weight = float("nan")
        if name.strip() not in weights or not weight >= 0:
            raise ValueError(f"bad {what} weight {part!r}: expected NAME=NUMBER >= 0 with NAME one of {', '.join(names)}")
        weights[name.strip()] = weight
    if sum(weights.values()) <= 0:
        raise ValueError(f"{what} weights {text!r} are all zero")
    return weights


def pick(rng: random.Random, weights: dict[str, float]) -> str:
    names = [name for name, weight in weights.items() if weight > 0]
    return rng.choices(names, [weights[name] for name in names])[0]


def token_program_of(kind: str) -> Pubkey:
    return addr.TOKEN_PROGRAM if kind == "create" else addr.TOKEN_2022_PROGRAM


def create_instruction(kind: str, mint: Pubkey, creator: Pubkey, name: str, symbol: str, uri: str) -> Instruction:
    if kind == "create":
        return pump_ix.build_create(mint, creator, name, symbol, uri)
    create = v2.build_create_v2(mint, creator, name, symbol, uri, is_mayhem_mode=kind == "mayhem")
    if kind != "usdc":
        return create
    # COIN_CREATION.md "USDC-Paired Mint": quote mint, the curve's quote account, the quote token program
    curve = addr.bonding_curve(mint)
    quote_accounts = [AccountMeta(USDC_MINT, False, False),
                      AccountMeta(addr.associated_token_address(curve, USDC_MINT, addr.TOKEN_PROGRAM), False, True),
                      AccountMeta(addr.TOKEN_PROGRAM, False, False)]
    return Instruction(create.program_id, bytes(create.data), list(create.accounts) + quote_accounts)


def trade_family_for(kind: str, family: str) -> str:
    """A USDC-paired coin has no legacy list: its legacy share trades through v2."""
    return "v2" if kind == "usdc" and family == "legacy" else family


def trade_coin(kind: str, mint: Pubkey, creator: Pubkey) -> v2.Coin:
    if kind == "usdc":
        return v2.Coin(mint, creator, addr.TOKEN_2022_PROGRAM, quote_mint=USDC_MINT, quote_token_program=addr.TOKEN_PROGRAM)
    return v2.Coin(mint, creator, token_program_of(kind))


def fee_recipient_for(kind: str, global_: Global) -> Pubkey:
    """Mayhem coins pay a reserved fee recipient, the others the normal one."""
    return global_.reserved_fee_recipient if kind == "mayhem" else global_.fee_recipient


def buy_instructions(family: str, kind: str, mint: Pubkey, creator: Pubkey, owner: Pubkey, fee_recipient: Pubkey,
                     tokens: int, max_cost: int) -> list[Instruction]:
    token_program = token_program_of(kind)
    family = trade_family_for(kind, family)
    if family == "legacy":
        return pump_ix.build_buy_with_ata(owner, mint, creator, fee_recipient, tokens, max_cost, token_program)
    coin = trade_coin(kind, mint, creator)
    make_ata = pump_ix.build_create_ata_idempotent(owner, owner, mint, token_program)
    if family == "v2":
        return [make_ata, v2.build_buy_v2(owner, coin, fee_recipient, tokens, max_cost)]
    return [make_ata, v2.build_buy_v3(owner, coin, tokens, max_cost)]


def sell_instructions(family: str, kind: str, mint: Pubkey, creator: Pubkey, owner: Pubkey, fee_recipient: Pubkey,
                      tokens: int, min_output: int) -> list[Instruction]:
    token_program = token_program_of(kind)
    family = trade_family_for(kind, family)
    if family == "legacy":
        return [pump_ix.build_sell(owner, mint, creator, fee_recipient, tokens, min_output, token_program)]
    coin = trade_coin(kind, mint, creator)
    if family == "v2":
        return [v2.build_sell_v2(owner, coin, fee_recipient, tokens, min_output)]
    return [v2.build_sell_v3(owner, coin, tokens, min_output)]
