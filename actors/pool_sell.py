"""The native sell of a held coin: on its bonding curve, or, once the curve is complete, on the coin's
canonical PumpSwap pool (adapters/pumpswap/instructions_v2.py), min quote out from the pool's
reserves and the slippage setting.

A SOL pool's proceeds (WSOL) go to a short-lived token account made with a seed from the wallet and
closed in the same transaction, so they arrive as SOL: the wallet's own WSOL account (which the wallet
actor manages) is never touched, and the wallet's lamport change is the sale's whole result. A
USDC-paired coin's pool (migrate_v2) pays its USDC into the wallet's USDC account (usdc_delta).
"""
from __future__ import annotations

import asyncio
import dataclasses
from dataclasses import dataclass

from loguru import logger
from solders.instruction import AccountMeta, Instruction
from solders.pubkey import Pubkey
from solders.token.state import Mint
from solders.system_program import CreateAccountWithSeedParams, create_account_with_seed
from spl.token.instructions import close_account
from spl.token.models import CloseAccountParams

from actors.sell_ladder import NATIVE
from actors.trading_io import (ATA_RENT_LAMPORTS, BPS, CurveComplete, CurveGraduated, PreparedTx)
from adapters.pumpfun.addresses import USDC_MINT
from adapters.pumpfun.instructions import build_create_ata_idempotent
from adapters.pumpswap import addresses as addr
from adapters.pumpswap import amm
from adapters.pumpswap.fees import FeeConfigError, decode_fee_config, pool_fee_rates
from adapters.pumpswap.instructions_v2 import PoolKeys, build_sell, fee_recipients as swap_fee_recipients
from adapters.pumpswap.layout import GLOBAL_CONFIG, POOL, GlobalConfig, Pool, token_account_amount
from adapters.solana_rpc import FRESH_COMMITMENT

TOKEN_ACCOUNT_SPACE = 165
INITIALIZE_ACCOUNT3 = 18          # SPL Token: InitializeAccount3(owner), no rent sysvar
POOL_POLL_SECONDS = 0.25          # how often a sell waiting for a migration looks for the pool


class NoPoolRoute(CurveComplete):
    """The curve is complete but its pool cannot take the sale (not migrated yet, an unknown quote)."""


class PoolNotCreated(NoPoolRoute):
    """The curve is complete and its pool does not exist yet: the migration has not landed."""


# the pool quotes a native sell takes, with their token programs (both SPL Token mints)
POOL_QUOTE_PROGRAMS = {addr.WSOL_MINT: addr.TOKEN_PROGRAM, USDC_MINT: addr.TOKEN_PROGRAM}


def pool_quote_mint(curve_quote_mint: Pubkey | None) -> Pubkey:
    """The pool's quote mint of a coin whose curve names `curve_quote_mint` (the zero key: SOL)."""
    return addr.WSOL_MINT if curve_quote_mint in (None, Pubkey.default()) else curve_quote_mint


@dataclass(frozen=True)
class PoolState:
    keys: PoolKeys
    pool: Pool
    config: GlobalConfig
    reserves: amm.Reserves
    rates: amm.FeeRates          # what a trade at `reserves` pays (adapters/pumpswap/fees.py)
    fee_config: object = None    # the Fee Program's FeeConfig (None: GlobalConfig's flat rates)
    supply: int = 0              # the coin's mint supply (with the reserves, the fee tier)


async def read_pool(chain, mint: Pubkey, token_program: Pubkey, quote_mint: Pubkey = addr.WSOL_MINT) -> PoolState:
    """The canonical pool (index 0, the pool authority, the coin and its quote), GlobalConfig, both
    vault balances, the Fee Program's FeeConfig and the coin's mint (its supply sets the fee tier) in
    one getMultipleAccounts."""
    quote_program = POOL_QUOTE_PROGRAMS.get(quote_mint)
    if quote_program is None:
        raise NoPoolRoute(f"{mint}: paired with {quote_mint}, no native pool sell")
    pool_address = addr.pool_address(addr.CANONICAL_POOL_INDEX, addr.pool_authority(mint), mint, quote_mint)
    base_vault, quote_vault = addr.pool_vaults(pool_address, mint, quote_mint, base_token_program=token_program)
    wanted = [pool_address, addr.GLOBAL_CONFIG, base_vault, quote_vault, addr.FEE_CONFIG, mint]
    resp = await chain.rpc.call("getMultipleAccounts",
                                lambda c: c.get_multiple_accounts(wanted, commitment=FRESH_COMMITMENT))
    pool_account, config_account, base_account, quote_account, fee_config_account, mint_account = resp.value
    if pool_account is None:
        raise PoolNotCreated(f"{mint}: curve complete, its PumpSwap pool does not exist yet")
    if config_account is None or base_account is None or quote_account is None:
        raise NoPoolRoute(f"{mint}: PumpSwap pool accounts missing")
    pool = POOL.decode(bytes(pool_account.data))
    if (pool.base_mint, pool.quote_mint, pool.pool_base_token_account, pool.pool_quote_token_account) \
            != (mint, quote_mint, base_vault, quote_vault):
        raise NoPoolRoute(f"{mint}: pool {pool_address} is not this coin's {quote_mint} pool")
    reserves = amm.Reserves(token_account_amount(bytes(base_account.data)),
                            token_account_amount(bytes(quote_account.data)))
    keys = PoolKeys.of_pool(pool_address, pool, token_program, quote_program)
    config = GLOBAL_CONFIG.decode(bytes(config_account.data))
    fee_config = decode_fee_config(fee_config_account.data) if fee_config_account is not None else None
    supply = Mint.from_bytes(bytes(mint_account.data)[:82]).supply if mint_account is not None else 0
    try:
        rates = pool_fee_rates(config, pool, fee_config, reserves, supply)
    except (FeeConfigError, ZeroDivisionError) as exc:
        raise NoPoolRoute(f"{mint}: cannot price the pool's fees: {exc}") from exc
    return PoolState(keys, pool, config, reserves, rates, fee_config, supply)


async def wait_for_pool(chain, mint: Pubkey, token_program: Pubkey, quote_mint: Pubkey,
                        wait_seconds: float) -> PoolState:
    """read_pool, asked again every POOL_POLL_SECONDS while the pool does not exist yet, for at most
    `wait_seconds` (on mainnet the migration is a transaction of its own, after the curve completed);
    then PoolNotCreated, and the caller goes to Jupiter."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait_seconds
    while True:
        try:
            return await read_pool(chain, mint, token_program, quote_mint)
        except PoolNotCreated:
            if loop.time() + POOL_POLL_SECONDS > deadline:
                raise
        await asyncio.sleep(POOL_POLL_SECONDS)


def min_quote_out(state: PoolState, amount: int, slippage_bps: int) -> int:
    """Quote units (lamports, or raw USDC) the sale must return at least: the pool's quote for
    `amount` (lp, protocol and coin-creator fees off) less slippage."""
    quote = amm.sell_base_in(state.reserves, amount, *state.rates)
    return quote.user_quote_amount * (BPS - slippage_bps) // BPS


def fee_recipients(state: PoolState, salt: bytes) -> tuple[Pubkey, Pubkey]:
    """(protocol fee recipient, buyback fee recipient): spread over the lists, as the docs advise."""
    return swap_fee_recipients(state.config, state.pool, salt)


def proceeds_account(owner: Pubkey, mint: str) -> tuple[str, Pubkey]:
    """(seed, address) of the one-transaction WSOL account for a sale of `mint` (one sale per mint
    at a time, so the seed cannot collide)."""
    seed = mint[:32]
    return seed, Pubkey.create_with_seed(owner, seed, addr.TOKEN_PROGRAM)


def proceeds_instructions(owner: Pubkey, mint: str) -> tuple[Pubkey, list, Instruction]:
    """(account, [create + initialise], close): the account holds the WSOL only inside the transaction."""
    seed, account = proceeds_account(owner, mint)
    create = create_account_with_seed(CreateAccountWithSeedParams(
        from_pubkey=owner, to_pubkey=account, base=owner, seed=seed, lamports=ATA_RENT_LAMPORTS,
        space=TOKEN_ACCOUNT_SPACE, owner=addr.TOKEN_PROGRAM))
    initialise = Instruction(addr.TOKEN_PROGRAM, bytes([INITIALIZE_ACCOUNT3]) + bytes(owner),
                             [AccountMeta(account, False, True), AccountMeta(addr.WSOL_MINT, False, False)])
    close = close_account(CloseAccountParams(program_id=addr.TOKEN_PROGRAM, account=account, dest=owner,
                                             owner=owner))
    return account, [create, initialise], close


def token_quote_instructions(owner: Pubkey, quote_mint: Pubkey) -> tuple[Pubkey, list, list]:
    """(account, [open], [close]) for a token-quoted pool (USDC): the proceeds stay in the wallet's own
    quote ATA, made idempotently (it exists whenever the coin was bought with that quote) and kept."""
    program = POOL_QUOTE_PROGRAMS[quote_mint]
    return (addr.associated_token_address(owner, quote_mint, program),
            [build_create_ata_idempotent(owner, owner, quote_mint, program)], [])


async def prepare_pool_sell(chain, mint: str, token_program: str, amount: int,
                            quote_mint: Pubkey = addr.WSOL_MINT, close_ata: bool = True,
                            pool_wait_seconds: float = 0.0) -> PreparedTx:
    """Sell `amount` on the coin's PumpSwap pool (quoted in SOL or USDC); closes the emptied token
    account (rent back) unless close_ata=False (a partial sell: the rest stays in it). A pool not
    created yet is waited for up to `pool_wait_seconds` (wait_for_pool)."""
    owner, mint_key, program = chain.owner, Pubkey.from_string(mint), Pubkey.from_string(token_program)
    state = await wait_for_pool(chain, mint_key, program, quote_mint, pool_wait_seconds)
    try:
        min_out = min_quote_out(state, amount, chain.settings.trading.slippage_bps)
    except amm.PoolMathError as exc:
        raise NoPoolRoute(f"{mint}: pool cannot price the sale: {exc}") from exc
    protocol, buyback = fee_recipients(state, bytes(mint_key))
    if quote_mint == addr.WSOL_MINT:
        account, open_ixs, close = proceeds_instructions(owner, mint)
        close_ixs = [close]
    else:
        account, open_ixs, close_ixs = token_quote_instructions(owner, quote_mint)
    sell = build_sell(owner, state.keys, protocol, buyback, amount, min_out, user_quote_token_account=account)
    close_base = close_account(CloseAccountParams(
        program_id=program, account=addr.associated_token_address(owner, mint_key, program), dest=owner, owner=owner))
    recent = await chain.rpc.get_latest_blockhash()
    logger.info("pool sell of {} {} on {} (reserves {}/{}), min {} of {}", amount, mint, state.keys.pool,
                state.reserves.base, state.reserves.quote, min_out, quote_mint)
    return dataclasses.replace(
        chain._sign(chain._compute_budget() + open_ixs + [sell, *close_ixs] + ([close_base] if close_ata else []),
                    recent, "sell", amount), route=NATIVE)


async def prepare_native_sell(chain, mint: str, token_program: str, amount: int) -> PreparedTx:
    """The native rung: the bonding curve while it trades, the coin's pool once it graduated (waited
    for up to trading.migration_wait_seconds when the migration has not landed yet).
    Raises CurveComplete (or NoPoolRoute) when neither can take the sale: the caller goes to Jupiter."""
    try:
        return await chain.prepare_sell(mint, token_program, amount)
    except CurveGraduated as graduated:
        quote_mint = pool_quote_mint(graduated.quote_mint)
        logger.info("{} graduated: selling on its PumpSwap pool ({} quote)", mint, quote_mint)
    return await prepare_pool_sell(chain, mint, token_program, amount, quote_mint,
                                   pool_wait_seconds=chain.settings.trading.migration_wait_seconds)
