"""What the trading actors (position, seller, wallet) need from the chain, in one place.

ChainAccess wraps the RPC adapter, the wallet keypair and the pump.fun protocol package: it prepares
signed buy/sell transactions (the signature is known before sending, so it can be journaled), sends
them, and settles them: the outcome is read from the transaction's meta (err, the wallet's exact
lamport change with fees and rent, its token change), never from a confirmation alone.
All coroutines run on an IOActor's loop; nothing here touches actor state.
"""
from __future__ import annotations

import asyncio
import dataclasses
import time
from dataclasses import dataclass

from loguru import logger
from solders.compute_budget import set_compute_unit_limit, set_compute_unit_price
from solders.message import MessageV0
from solders.pubkey import Pubkey
from solders.transaction import VersionedTransaction
from spl.token.instructions import close_account
from spl.token.models import CloseAccountParams

from actors.chain_cache import SharedChainValues, cache_path
from actors.process_priority import lower_if_background
from actors.settle_watch import SETTLE_POLL_SECONDS, Sightings, wait_settled
from adapters.hot_send import HotSender
from adapters.jupiter import JupiterClient, sign_swap
from adapters.keys import load_wallet_key
from adapters.logs import setup_from_settings
from adapters.priority_fee import PriorityFee
from adapters.pumpfun import addresses, curve, slippage, venue
from adapters.pumpfun.layout_v1 import BONDING_CURVE, GLOBAL, ZERO_KEY, BondingCurve, Global
from adapters.pumpswap.wsol import build_unwrap, build_wrap, wsol_account
from adapters.solana_rpc import FRESH_COMMITMENT, RpcClient, RpcError

ATA_RENT_LAMPORTS = 2_039_280          # rent-exempt minimum of a 165-byte token account
SIGNATURE_FEE_LAMPORTS = 5_000
REBROADCAST_CURES = ("rate_limited", "server_error")   # send refusals the next rebroadcast may get past
BPS = 10_000
TOKEN_TOTAL_SUPPLY = 1_000_000_000_000_000
# a buy signs with the blockhash the warm-up keeps (spares refresh it every second): one RPC round
# trip less on the hot path; 150 slots (~60 s) of validity leave ample room after this age
BLOCKHASH_MAX_AGE_SECONDS = 5.0


class CurveComplete(LookupError):
    """No native sell can work (curve complete with no pool to take it, or not SOL-paired): route via Jupiter."""


class CurveGraduated(CurveComplete):
    """The bonding curve is complete: the coin trades on its PumpSwap pool (actors/pool_sell.py),
    whose quote is the curve's `quote_mint` (None or the zero key: SOL)."""

    def __init__(self, message: str, quote_mint: Pubkey | None = None):
        super().__init__(message)
        self.quote_mint = quote_mint


@dataclass(frozen=True)
class PreparedTx:
    """A signed transaction ready to send; `signature` is its first signature (base58)."""
    signature: str
    raw: bytes
    kind: str
    amount: int = 0                   # tokens fixed in the instruction (bought or offered)
    last_valid_block_height: int = 0  # after this block height it can never land
    route: str = ""                   # a sell's route: 'native' or 'jupiter' (sell_ladder rungs)


@dataclass(frozen=True)
class Settlement:
    """The wallet's exact change from one transaction; found=False: it never landed (delta 0)."""
    signature: str
    kind: str
    found: bool
    ok: bool
    lamport_delta: int
    token_delta: int
    error: str = ""
    expired: bool = False   # not found, and its blockhash ran out: it can never land
    usdc_delta: int = 0     # the wallet's USDC change (raw units): a USDC-paired coin's trade
    slot: int = 0           # the slot it landed in (found only)


_logging_from: tuple | None = None   # what this process's sinks were set up from (a fork inherits it)


def process_logging(settings, process_name: str) -> None:
    """Per-process loguru set-up (each actor is its own process); never fatal. A process forked
    from one whose sinks were set up from the same settings (the Director forks every spare) keeps
    them and only takes its own name: two new sinks cost ~9 ms of CPU (loguru's exception
    formatter reads the interpreter's paths for each), paid once per launch by each new spare."""
    global _logging_from
    try:
        source = logging_source(settings)
        if source == _logging_from:
            logger.configure(extra={"process_name": process_name})
        else:
            setup_from_settings(settings, process_name)
            _logging_from = source
    except Exception as exc:   # logging set-up must not stop trading
        logger.warning("{}: logging set-up failed: {!r}", process_name, exc)
    lower_if_background(settings, process_name)   # off the hot path: a lower CPU priority


def logging_source(settings) -> tuple:
    """What setup_from_settings builds the sinks and the redaction from."""
    run = settings.run
    return (run.run_dir, run.quiet, run.log_level, tuple(sorted(settings.secret_values())))


def exit_reason(cost_lamports: int, tokens: int, curve_now: BondingCurve, global_: Global,
                take_profit_pct: int, stop_loss_pct: int) -> str | None:
    """'take_profit' / 'stop_loss' when selling all `tokens` now would return that much; else None.
    (The two price exits of actors/policy/exits.py, which also has the trailing and curve exits.)"""
    from types import SimpleNamespace
    from actors.policy.exits import ExitWatch, exit_reason as exit_signal
    limits = SimpleNamespace(take_profit_pct=take_profit_pct, stop_loss_pct=stop_loss_pct,
                             trailing_stop_pct=0, exit_curve_progress_pct=0)
    return exit_signal(cost_lamports, tokens, curve_now, global_, limits, ExitWatch())


def curve_from_launch(launch) -> BondingCurve:
    """The curve as the create event left it (no extra RPC round trip before the buy)."""
    return BondingCurve(launch.virtual_token_reserves, launch.virtual_sol_reserves,
                        launch.real_token_reserves, 0, TOKEN_TOTAL_SUPPLY, False,
                        Pubkey.from_string(launch.creator))


def curve_from_trade(trade, launch) -> BondingCurve:
    """The curve after a routed trade (enough to price a sell: virtual reserves and creator)."""
    return BondingCurve(trade.virtual_token_reserves, trade.virtual_sol_reserves,
                        trade.virtual_token_reserves, trade.virtual_sol_reserves, TOKEN_TOTAL_SUPPLY,
                        False, Pubkey.from_string(launch.creator))


class ChainAccess:
    """One per actor process: RPC client, keypair, transaction building and settlement."""

    def __init__(self, settings, shared: bool = True):
        """`shared`: warm up from the values the bot's ChainCacheActor shares (actors/chain_cache.py)
        while they are fresh; False for that actor itself."""
        self.settings = settings
        self.shared = SharedChainValues(cache_path(settings) if shared else None)
        self.global_refused_at = 0.0          # monotonic: a fee recipient refused after this Global
        self.key = load_wallet_key(settings.wallet.keypair_path, settings.wallet.private_key)
        self.owner: Pubkey = self.key.pubkey
        self._rpc: RpcClient | None = None
        self.global_: Global | None = None    # fee rates and recipients; re-read when stale or refused
        self.fees: venue.FeeAccounts | None = None
        self._jupiter: JupiterClient | None = None
        self.rebroadcasts = 0                 # same signed bytes sent again while confirming
        self.sightings = Sightings()          # own signatures the stream saw land (settle_watch.py)
        self._blockhash = None                 # (monotonic time read, latest blockhash reply)
        self.priority_fee = PriorityFee(settings.trading)   # fixed, or refreshed by warm_up
        self._hot: HotSender | None = None    # send_now's connection (adapters/hot_send.py)

    @property
    def jupiter(self) -> JupiterClient:
        if self._jupiter is None:   # created on the loop thread, where it is used
            chain = self.settings.chain
            key = chain.jupiter_api_key.reveal() if chain.jupiter_api_key else None
            self._jupiter = JupiterClient(chain.jupiter_url, key)
        return self._jupiter

    @property
    def rpc(self) -> RpcClient:
        if self._rpc is None:   # created on the loop thread, where it is used
            self._rpc = RpcClient.from_settings(self.settings)
        return self._rpc

    async def close(self) -> None:
        if self._rpc is not None:
            await self._rpc.close()
        if self._hot is not None:
            self._hot.close()
        if self._jupiter is not None:
            await self._jupiter.close()

    # ---- sizes ---------------------------------------------------------------------------------
    def buy_reservation_lamports(self, paid_in_usdc: bool = False) -> int:
        """Worst case a buy can take: budget with slippage (none in SOL for a USDC-paired coin),
        the token account's rent, tx fees."""
        trading = self.settings.trading
        max_cost = trading.buy_lamports * (BPS + trading.slippage_bps) // BPS
        priority = self.priority_fee.worst_case * trading.compute_unit_limit // 1_000_000 + 1
        if paid_in_usdc:   # v3/v2 only; the fee recipient's and creator vault's USDC accounts may be new
            max_cost = 2 * ATA_RENT_LAMPORTS
        elif trading.instruction_set == "legacy":
            return max_cost + ATA_RENT_LAMPORTS + SIGNATURE_FEE_LAMPORTS + priority
        # a v2/v3 buy may also pay a Token-2022 account and the volume, vault and curve rents
        return (max_cost + venue.TOKEN_2022_ATA_RENT + venue.TRADE_ACCOUNTS_RENT_BOUND
                + SIGNATURE_FEE_LAMPORTS + priority)

    def warm_from_shared(self) -> bool:
        """warm_up with no I/O, from the bot's shared values (actors/chain_cache.py) when fresh."""
        return self.shared.apply(self)

    def global_refused_after(self, read_at: float) -> bool:
        """A fee recipient was refused since a Global read at `read_at` (monotonic): not that one."""
        return self.global_refused_at >= read_at

    async def warm_up(self) -> None:
        """Open the RPC connection and cache fee rates and a blockhash, so a buy pays for none."""
        if self.warm_from_shared():
            return
        await self.fee_rates()
        await self.recent_blockhash(max_age=0.0)
        if self.priority_fee.stale() and self.fees is not None:   # fee recipients: written by buys
            await self.priority_fee.refresh(self.rpc, list(self.fees.fee_recipients))

    async def recent_blockhash(self, max_age: float = BLOCKHASH_MAX_AGE_SECONDS):
        """The latest blockhash as read at most `max_age` seconds ago (0: read it now)."""
        loop = asyncio.get_running_loop()
        if self._blockhash is None or loop.time() - self._blockhash[0] >= max_age:
            self._blockhash = (loop.time(), await self.rpc.get_latest_blockhash())
        return self._blockhash[1]

    async def fee_rates(self) -> Global:
        """The Global account, read once and again every trading.global_refresh_seconds or after a
        transaction was refused for a fee recipient Global no longer lists."""
        if self.global_ is None or self.fees is None \
                or self.fees.stale(self.settings.trading.global_refresh_seconds):
            data = await account_data(self.rpc, addresses.GLOBAL)
            if data is None:
                raise LookupError("pump.fun Global account not found")
            self.global_ = GLOBAL.decode(data)
            self.fees = venue.FeeAccounts.of_global(self.global_)
        return self.global_

    def _note_error(self, error: str) -> None:
        if venue.is_fee_recipient_error(error) and self.fees is not None:
            logger.warning("fee recipient refused ({}): re-reading the Global account", error[:120])
            self.fees, self.global_refused_at = None, time.monotonic()

    # ---- preparing transactions ----------------------------------------------------------------
    def _compute_budget(self) -> list:
        trading = self.settings.trading
        return [set_compute_unit_limit(trading.compute_unit_limit),
                set_compute_unit_price(self.priority_fee.price)]

    def _sign(self, instructions_: list, recent, kind: str, amount: int = 0) -> PreparedTx:
        message = MessageV0.try_compile(self.owner, instructions_, [], recent.blockhash)
        tx = VersionedTransaction(message, [self.key.signer])
        return PreparedTx(str(tx.signatures[0]), bytes(tx), kind, amount,
                          recent.last_valid_block_height)

    async def prepare_buy(self, launch) -> PreparedTx:
        """Buy for buy_lamports (fees included) at the create event's curve, max cost + slippage,
        through the coin's instruction generation (venue.py). The amount is exact (tokens fixed in
        the instruction), or with trading.exact_in_buys the floor of an exact-spend buy."""
        trading = self.settings.trading
        if launch.venue == "pool":   # a graduated coin a copy target bought on its pool (actors/pool_buy.py)
            from actors.pool_buy import prepare_pool_buy   # imports this module
            return await prepare_pool_buy(self, launch)
        if not launch.sol_paired:   # paid in USDC (actors/usdc_trades.py)
            from actors.usdc_trades import prepare_usdc_buy
            return await prepare_usdc_buy(self, launch, trading.usdc_buy_amount)
        global_ = await self.fee_rates()
        return self._build_buy(launch, global_, await self.recent_blockhash())

    def warm(self) -> bool:
        """The fee rates and a blockhash warm_up cached are there and fresh: prepare_buy_now can sign."""
        return self.global_ is not None and self.fees is not None \
            and not self.fees.stale(self.settings.trading.global_refresh_seconds) \
            and self._blockhash is not None and time.monotonic() - self._blockhash[0] < BLOCKHASH_MAX_AGE_SECONDS

    def prepare_buy_now(self, launch) -> PreparedTx | None:
        """prepare_buy with no I/O, for the fast path: a SOL-paired curve buy from the fee rates and
        blockhash warm_up cached; None when they are missing or stale (then prepare_buy reads them)."""
        if launch.venue != "curve" or not launch.sol_paired or not self.warm():
            return None
        return self._build_buy(launch, self.global_, self._blockhash[1])

    def _build_buy(self, launch, global_: Global, recent) -> PreparedTx:
        trading = self.settings.trading
        state = curve_from_launch(launch)
        kind = venue.CoinKind.of_launch(launch)
        generation = venue.generation_for(kind.is_cashback_coin, trading.instruction_set)
        tokens = curve.tokens_for_sol(state, global_, trading.buy_lamports)
        if trading.exact_in_buys:
            min_tokens = slippage.min_tokens_out(state, global_, trading.buy_lamports, tokens, trading)
            ixs = venue.buy_instructions(generation, self.owner, kind, self.fees, trading.buy_lamports,
                                         min_tokens, exact_in=True)
            return self._sign(self._compute_budget() + ixs, recent, "buy", min_tokens)
        max_sol_cost = slippage.max_sol_cost(state, global_, tokens, trading)   # fixed bps or depth
        ixs = venue.buy_instructions(generation, self.owner, kind, self.fees, tokens, max_sol_cost)
        return self._sign(self._compute_budget() + ixs, recent, "buy", tokens)

    async def prepare_sell(self, mint: str, token_program: str, amount: int,
                           close_ata: bool = True) -> PreparedTx:
        """Sell `amount` with min SOL out from the live curve and slippage; closes the emptied ATA
        (close_ata=False for a partial sell, which leaves tokens in it)."""
        global_ = await self.fee_rates()
        # the curve and a fresh blockhash in one round trip's time (a retry must not reuse a blockhash)
        state, recent = await asyncio.gather(self.curve_state(mint), self.rpc.get_latest_blockhash())
        if state.complete:
            raise CurveGraduated(f"{mint}: bonding curve complete (graduated)", state.quote_mint)
        if state.quote_mint == addresses.USDC_MINT:   # sold for USDC (actors/usdc_trades.py)
            from actors.usdc_trades import prepare_usdc_sell
            return await prepare_usdc_sell(self, mint, token_program, amount, state, close_ata=close_ata,
                                           recent=recent)
        if state.quote_mint not in (ZERO_KEY, addresses.WSOL_MINT):   # no native SOL sell: Jupiter's route
            raise CurveComplete(f"{mint}: paired with {state.quote_mint}, not SOL")
        kind = venue.CoinKind.of_curve(mint, token_program, state)   # the curve's flags, not the journal's
        return self._build_sell(mint, token_program, amount, state, global_, kind, recent, close_ata)

    def prepare_sell_now(self, launch, amount: int, state: BondingCurve) -> PreparedTx | None:
        """A position's first native sell with no I/O, for exit -> sell sent: priced on `state` (the
        curve from the stream's latest trade of the coin, or the create event's), the coin kind from
        the create event, the cached fee rates and blockhash. None when any of them is missing or
        stale, or the coin is not a SOL-paired curve coin: then prepare_position_sell reads the chain.
        A curve older than the chain's can only ask too much (min out from a lower price after our
        buy; a fall since: the sell fails on slippage and the ladder's next sell reads the chain)."""
        if launch.venue != "curve" or not launch.sol_paired or amount <= 0 or self.global_ is None \
                or self.fees is None or self.fees.stale(self.settings.trading.global_refresh_seconds) \
                or self._blockhash is None or state.complete \
                or time.monotonic() - self._blockhash[0] >= BLOCKHASH_MAX_AGE_SECONDS:
            return None
        kind = venue.CoinKind.of_launch(launch)
        return self._build_sell(launch.mint, launch.token_program, amount, state, self.global_, kind,
                                self._blockhash[1], True)

    def _build_sell(self, mint: str, token_program: str, amount: int, state, global_: Global, kind,
                    recent, close_ata: bool) -> PreparedTx:
        trading = self.settings.trading
        quote = curve.sell_net_proceeds(state, global_, amount)
        min_out = quote * (BPS - trading.slippage_bps) // BPS
        generation = venue.generation_for(kind.is_cashback_coin, trading.instruction_set)
        ixs = self._compute_budget() + [venue.sell_instruction(generation, self.owner, kind, self.fees,
                                                               amount, min_out)]
        if close_ata:
            ixs.append(close_account(CloseAccountParams(
                program_id=Pubkey.from_string(token_program),
                account=addresses.associated_token_address(self.owner, Pubkey.from_string(mint),
                                                           Pubkey.from_string(token_program)),
                dest=self.owner, owner=self.owner)))
        return dataclasses.replace(self._sign(ixs, recent, "sell", amount), route="native")

    async def prepare_jupiter_sell(self, mint: str, amount: int, quote_mint: str | None = None) -> PreparedTx:
        """Sell `amount` through Jupiter's route (curve, or the PumpSwap pool once graduated) for the
        coin's own quote: SOL, or USDC for a USDC-paired coin (its proceeds land in the wallet's USDC
        account: Settlement.usdc_delta). `quote_mint` None: read from the coin's curve (none: SOL).
        Slippage from settings; signed here, so the signature is known before sending."""
        trading = self.settings.trading
        priority = self.priority_fee.price * trading.compute_unit_limit // 1_000_000
        output_mint = await self.jupiter_output_mint(mint) if quote_mint is None else quote_mint
        swap = await self.jupiter.sell(mint, amount, str(self.owner), trading.slippage_bps, priority,
                                       output_mint=output_mint)
        signature, raw = sign_swap(swap.unsigned_tx, self.key.signer)
        logger.info("jupiter sell of {} {} via {} quoted {} raw {}", amount, mint, swap.route_label,
                    swap.out_amount, output_mint)
        return PreparedTx(signature, raw, "sell", amount, swap.last_valid_block_height, "jupiter")

    async def jupiter_output_mint(self, mint: str) -> str:
        """What a Jupiter sale of `mint` asks for: its curve's quote mint (USDC), else SOL (the WSOL mint)."""
        data = await account_data(self.rpc, addresses.bonding_curve(Pubkey.from_string(mint)),
                                  commitment=FRESH_COMMITMENT)
        quote = BONDING_CURVE.decode(data).quote_mint if data is not None else ZERO_KEY
        return str(addresses.WSOL_MINT if quote in (ZERO_KEY, addresses.WSOL_MINT) else quote)

    async def prepare_position_sell(self, launch, amount: int, held_only: bool,
                                    via_jupiter: bool = False) -> PreparedTx | None:
        """A position's sell: `amount` as given (before the buy confirms, the amount it fixes), or,
        held_only, the wallet's whole balance read now (None when it holds none). Natively (the curve,
        or the PumpSwap pool once graduated) unless via_jupiter or neither can take it."""
        if held_only:
            amount = await self.held_tokens(launch)
            if amount <= 0:
                return None
        if not via_jupiter:
            from actors.pool_sell import prepare_native_sell   # imports this module
            try:
                return await prepare_native_sell(self, launch.mint, launch.token_program, amount)
            except CurveComplete as exc:
                logger.info("{}: selling via Jupiter", exc)
        return await self.prepare_jupiter_sell(launch.mint, amount, launch.quote_mint)

    # ---- wallet housekeeping (WalletActor) -----------------------------------------------------
    async def prepare_wrap(self, lamports: int) -> PreparedTx:
        recent = await self.rpc.get_latest_blockhash()
        return self._sign(self._compute_budget() + build_wrap(self.owner, lamports), recent, "wrap",
                          lamports)

    async def prepare_unwrap(self) -> PreparedTx:
        """Close the WSOL account: every wrapped lamport and its rent come back as SOL."""
        recent = await self.rpc.get_latest_blockhash()
        return self._sign(self._compute_budget() + [build_unwrap(self.owner)], recent, "unwrap")

    async def prepare_close_accounts(self, accounts: list) -> PreparedTx:
        """Close empty token accounts [(address, token program), ...]; their rent comes back."""
        recent = await self.rpc.get_latest_blockhash()
        ixs = [close_account(CloseAccountParams(program_id=Pubkey.from_string(program),
                                                account=Pubkey.from_string(address),
                                                dest=self.owner, owner=self.owner))
               for address, program in accounts]
        return self._sign(self._compute_budget() + ixs, recent, "close", len(accounts))

    async def wsol_balance(self) -> int:
        return await self.rpc.get_token_balance(wsol_account(self.owner)) or 0

    async def token_program_of(self, mint: str) -> str:
        # a just-created coin is seen by the stream at processed: read it at processed too
        resp = await self.rpc.call("getAccountInfo",
                                   lambda c: c.get_account_info(Pubkey.from_string(mint), commitment=FRESH_COMMITMENT))
        if resp.value is None:
            raise LookupError(f"mint {mint} not found")
        return str(resp.value.owner)

    # ---- reading -------------------------------------------------------------------------------
    async def curve_state(self, mint: str):
        curve_address = addresses.bonding_curve(Pubkey.from_string(mint))
        data = await account_data(self.rpc, curve_address, commitment=FRESH_COMMITMENT)   # prices the next trade
        if data is None:
            raise LookupError(f"no bonding curve for {mint}")
        return BONDING_CURVE.decode(data)

    async def token_balance(self, mint: str, token_program: str) -> int:
        ata = addresses.associated_token_address(self.owner, Pubkey.from_string(mint),
                                                 Pubkey.from_string(token_program))
        return await self.rpc.get_token_balance(ata) or 0   # None: no token account, nothing held

    async def held_tokens(self, launch) -> int:
        return await self.token_balance(launch.mint, launch.token_program)

    # ---- sending and settling ------------------------------------------------------------------
    async def send_and_settle(self, prepared: PreparedTx, mint: str) -> Settlement:
        """Send, rebroadcast the same bytes until it lands or its blockhash expires, and read the
        exact outcome. One attempt is bounded by its blockhash, never by a wall-clock guess."""
        error, maybe_sent = await self.send(prepared)
        if error and not maybe_sent:
            return Settlement(prepared.signature, prepared.kind, False, False, 0, 0, error)
        return await self.confirm(prepared.signature, prepared.kind, mint,
                                  prepared.last_valid_block_height, raw=prepared.raw)

    # ---- the hot send (adapters/hot_send.py): bytes leave from the actor thread --------------------
    def hot_connect(self) -> None:
        """Open (or keep) the connection send_now writes to; in the actor thread, off the hot path."""
        if self._hot is None:
            chain = self.settings.chain
            index = self._rpc.current if self._rpc is not None else 0
            url = chain.rpc_urls[index]
            self._hot = HotSender(url.reveal() if hasattr(url, "reveal") else url, chain.commitment,
                                  chain.rpc_timeout_ms / 1000)
        try:
            self._hot.connect()
        except OSError as exc:   # the ordinary path still works; warm-up reports the endpoint's state
            logger.debug("hot send: no connection ({})", type(exc).__name__)

    def hot_ready(self) -> bool:
        """send_now has an idle open connection to write to (or the endpoint takes the ordinary send)."""
        hot = self._hot
        return hot is not None and (not hot.usable or any(c.idle_and_open() for c in hot.connections))

    def send_now(self, prepared: PreparedTx):
        """Write the transaction to the endpoint from this thread: the connection it went out on,
        None when nothing was written (use send())."""
        return self._hot.write(prepared.raw) if self._hot is not None else None

    async def sent_reply(self, connection) -> tuple[str, bool]:
        """send()'s (error, maybe_sent) for a transaction send_now wrote on `connection`."""
        error, maybe_sent = await self._hot.reply(connection)
        if error:
            self._note_error(error)
        return error, maybe_sent

    async def send(self, prepared: PreparedTx) -> tuple[str, bool]:
        """Send once; returns (error, maybe_sent): ('', True) when the node accepted it. A refusal
        the node may not repeat (429, 5xx, timeout) counts as maybe sent: the rebroadcast in
        confirm() sends the same bytes again, so it may still land."""
        try:
            await self.rpc.send_raw(prepared.raw)
            return "", True
        except Exception as exc:   # a timeout may still have delivered it
            self._note_error(str(exc))
            maybe_sent = (bool(getattr(exc, "maybe_sent", True))
                          or getattr(exc, "kind", "") in REBROADCAST_CURES)
            return f"send failed: {exc}", maybe_sent

    async def confirm(self, signature: str, kind: str, mint: str, last_valid_block_height: int,
                      poll: float = SETTLE_POLL_SECONDS, raw: bytes | None = None) -> Settlement:
        """Wait for the transaction's meta; not found once its blockhash ran out: expired.
        With `raw` (its signed bytes), rebroadcast them every trading.rebroadcast_ms meanwhile:
        the same signature, so it lands at most once; it is never signed again before expiry.
        A failed read (429, 5xx) is asked again; only the chain's answer ends the wait.
        Status looks, one meta read, and the stream's sightings: actors/settle_watch.py."""
        return await wait_settled(self, signature, kind, mint, last_valid_block_height, poll, raw)

    async def rebroadcast(self, raw: bytes, signature: str) -> None:
        self.rebroadcasts += 1
        try:
            await self.rpc.send_raw(raw)
        except RpcError as exc:   # already processed, 429...: the next look at the chain decides
            logger.debug("rebroadcast of {} refused: {}", signature[:12], exc)

    def settlement_of(self, signature: str, kind: str, mint: str, meta) -> Settlement:
        """What a landed transaction did to the wallet, as a Settlement of `kind` for `mint`."""
        lamports = meta.lamport_delta(self.owner)
        self._note_error(meta.err or "")
        if kind == "sell":   # a Jupiter sell may unwrap WSOL we held: that is not the sale's money
            lamports += meta.token_delta(self.owner, addresses.WSOL_MINT)
        return Settlement(signature, kind, True, meta.succeeded, lamports,
                          meta.token_delta(self.owner, mint), meta.err or "",
                          usdc_delta=meta.token_delta(self.owner, addresses.USDC_MINT), slot=meta.slot)


# ---- reads the RPC adapter has no helper for (all idempotent, so retried by RpcClient.call) ------
async def account_data(rpc: RpcClient, address, commitment: str | None = None) -> bytes | None:
    """`commitment` None: the client's own (settings chain.commitment)."""
    key = address if isinstance(address, Pubkey) else Pubkey.from_string(str(address))
    resp = await rpc.call("getAccountInfo", lambda c: c.get_account_info(key, commitment=commitment))
    return None if resp.value is None else bytes(resp.value.data)


async def largest_token_accounts(rpc: RpcClient, mint) -> list[tuple[str, int]]:
    """[(token account, raw amount), ...] of the top holders of mint (getTokenLargestAccounts)."""
    resp = await rpc.call("getTokenLargestAccounts", lambda c: c.get_token_largest_accounts(mint))
    return [(str(item.address), int(item.amount.amount)) for item in resp.value]


async def token_holdings(rpc: RpcClient, owner: Pubkey) -> dict[str, int]:
    """mint -> raw amount over every token account of owner (SPL Token and Token-2022)."""
    from solana.rpc.models import TokenAccountOpts
    holdings: dict[str, int] = {}
    for program in (addresses.TOKEN_PROGRAM, addresses.TOKEN_2022_PROGRAM):
        opts = TokenAccountOpts(program_id=program, encoding="base64")
        resp = await rpc.call("getTokenAccountsByOwner",
                              lambda c, o=opts: c.get_token_accounts_by_owner(owner, o))
        for keyed in resp.value:
            data = bytes(keyed.account.data)
            mint = str(Pubkey.from_bytes(data[0:32]))
            holdings[mint] = holdings.get(mint, 0) + int.from_bytes(data[64:72], "little")
    return holdings


async def token_accounts(rpc: RpcClient, owner: Pubkey) -> list[tuple[str, str, int, str]]:
    """[(token account, mint, raw amount, token program), ...] of owner (SPL Token and Token-2022)."""
    from solana.rpc.models import TokenAccountOpts
    found = []
    for program in (addresses.TOKEN_PROGRAM, addresses.TOKEN_2022_PROGRAM):
        opts = TokenAccountOpts(program_id=program, encoding="base64")
        resp = await rpc.call("getTokenAccountsByOwner",
                              lambda c, o=opts: c.get_token_accounts_by_owner(owner, o))
        for keyed in resp.value:
            data = bytes(keyed.account.data)
            found.append((str(keyed.pubkey), str(Pubkey.from_bytes(data[0:32])),
                          int.from_bytes(data[64:72], "little"), str(program)))
    return found
