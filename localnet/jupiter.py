"""Jupiter-compatible swap API served by the local chain: GET /swap/v1/quote and POST /swap/v1/swap
with the request parameters and response fields of api.jup.ag (PROTOCOL_FACTS.md). /swap answers a
real unsigned v0 transaction (base64) routed through the coin's curve or pool, which the caller
signs and sends; wrapAndUnwrapSol, slippage (otherAmountThreshold) and priority fees honoured."""
from __future__ import annotations

import base64
import time
from dataclasses import dataclass, field

import orjson
from aiohttp import web
from solders.compute_budget import set_compute_unit_limit, set_compute_unit_price
from solders.message import MessageV0
from solders.pubkey import Pubkey
from solders.signature import Signature
from solders.system_program import TransferParams, transfer
from solders.transaction import VersionedTransaction

from localnet.jupiter_limits import RateLimit, service_middlewares
from localnet.jupiter_routes import (BPS, CURVE_LABEL, EXACT_IN, EXACT_OUT, POOL_LABEL, QUOTE_MINTS, RouteError, SwapPlan,
                                     find_route, swap_instructions)

U64_MAX = 2**64 - 1
DEFAULT_SLIPPAGE_BPS = 50
MAX_COMPUTE_UNITS = 1_400_000
# local stand-ins for Jupiter's fee estimates per level (lamports); mainnet's move with the market
PRIORITY_LEVEL_LAMPORTS = {"medium": 10_000, "high": 50_000, "veryHigh": 250_000}
JITO_TIP_ACCOUNT = Pubkey.from_string("96gYZGLnJYVFmbjzopPSU6QiEV5fGqZNyN9nmNhvrZU5")


class BadRequest(ValueError):
    """A request the API refuses with 400; the message says which parameter and why."""


@dataclass(frozen=True)
class JupiterOptions:
    rate_limit: RateLimit = field(default_factory=RateLimit)
    latency_s: float = 0.0


def _fail(status: int, message: str, code: str) -> web.Response:
    return web.json_response({"error": message, "errorCode": code}, status=status)


def _pubkey(value: object, name: str) -> Pubkey:
    if value is None:
        raise BadRequest(f"{name} is required")
    try:
        if not isinstance(value, str):
            raise ValueError
        return Pubkey.from_string(value)
    except ValueError:
        raise BadRequest(f"{name} is not a valid public key: {str(value)[:60]!r}") from None


def _uint(value: object, name: str, *, low: int = 0, high: int = U64_MAX) -> int:
    """A decimal integer (JSON int or digit string) in [low, high]."""
    if value is None:
        raise BadRequest(f"{name} is required")
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise BadRequest(f"{name} must be an integer")
    if isinstance(value, str) and not (value.isascii() and value.isdigit() and len(value) <= 20):
        raise BadRequest(f"{name} must be a non-negative integer: {value[:40]!r}")
    number = int(value)
    if not low <= number <= high:
        raise BadRequest(f"{name} must be in [{low}, {high}]: {number}")
    return number


def _flag(value: object, name: str, default: bool) -> bool:
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    if value in ("true", "false"):
        return value == "true"
    raise BadRequest(f"{name} must be true or false")


def _swap_mode(value: object) -> str:
    if value is None:
        return EXACT_IN
    if value not in (EXACT_IN, EXACT_OUT):
        raise BadRequest(f"swapMode must be ExactIn or ExactOut: {str(value)[:40]!r}")
    return value


def _threshold(mode: str, in_amount: int, out_amount: int, slippage_bps: int) -> int:
    """ExactIn: least out accepted; ExactOut: most in paid (rounded up)."""
    if mode == EXACT_IN:
        return out_amount * (BPS - slippage_bps) // BPS
    return -(-in_amount * (BPS + slippage_bps) // BPS)


def quote(chain, query) -> dict:
    started = time.perf_counter()
    input_mint, output_mint = _pubkey(query.get("inputMint"), "inputMint"), _pubkey(query.get("outputMint"), "outputMint")
    amount = _uint(query.get("amount"), "amount", low=1)
    slippage = _uint(query.get("slippageBps", DEFAULT_SLIPPAGE_BPS), "slippageBps", high=BPS)
    mode = _swap_mode(query.get("swapMode"))
    for name in ("onlyDirectRoutes", "restrictIntermediateTokens", "dynamicSlippage"):
        _flag(query.get(name), name, False)     # every local route is direct
    if query.get("maxAccounts") is not None:
        _uint(query.get("maxAccounts"), "maxAccounts", low=1, high=256)
    route = find_route(chain, input_mint, output_mint, amount, mode)
    fee_mint = str(route.quote_mint)
    return {
        "inputMint": str(input_mint), "inAmount": str(route.in_amount), "outputMint": str(output_mint),
        "outAmount": str(route.out_amount),
        "otherAmountThreshold": str(_threshold(mode, route.in_amount, route.out_amount, slippage)),
        "swapMode": mode, "slippageBps": slippage, "platformFee": None, "priceImpactPct": route.price_impact,
        "routePlan": [{"swapInfo": {"ammKey": str(route.amm_key), "label": route.label, "inputMint": str(input_mint),
                                    "outputMint": str(output_mint), "inAmount": str(route.in_amount),
                                    "outAmount": str(route.out_amount), "feeAmount": str(route.fee_amount),
                                    "feeMint": fee_mint}, "percent": 100}],
        "contextSlot": chain.slot, "timeTaken": round(time.perf_counter() - started, 6),
    }


def _plan(quote_response: object) -> SwapPlan:
    if not isinstance(quote_response, dict):
        raise BadRequest("quoteResponse must be the object /quote returned")
    route_plan = quote_response.get("routePlan")
    if not isinstance(route_plan, list) or len(route_plan) != 1 or not isinstance(route_plan[0], dict) \
            or not isinstance(route_plan[0].get("swapInfo"), dict):
        raise BadRequest("quoteResponse.routePlan must hold the one step /quote returned")
    label = route_plan[0]["swapInfo"].get("label")
    if label not in (CURVE_LABEL, POOL_LABEL):
        raise BadRequest(f"quoteResponse.routePlan: unknown venue {str(label)[:40]!r}")
    input_mint = _pubkey(quote_response.get("inputMint"), "quoteResponse.inputMint")
    output_mint = _pubkey(quote_response.get("outputMint"), "quoteResponse.outputMint")
    if (input_mint in QUOTE_MINTS) == (output_mint in QUOTE_MINTS):
        raise BadRequest("quoteResponse must swap SOL or USDC for a coin, or a coin for SOL or USDC")
    is_buy = input_mint in QUOTE_MINTS
    return SwapPlan(label=label, mint=output_mint if is_buy else input_mint, is_buy=is_buy,
                    quote_mint=input_mint if is_buy else output_mint,
                    swap_mode=_swap_mode(quote_response.get("swapMode")),
                    in_amount=_uint(quote_response.get("inAmount"), "quoteResponse.inAmount", low=1),
                    out_amount=_uint(quote_response.get("outAmount"), "quoteResponse.outAmount", low=1),
                    other_amount_threshold=_uint(quote_response.get("otherAmountThreshold"),
                                                 "quoteResponse.otherAmountThreshold"),
                    slippage_bps=_uint(quote_response.get("slippageBps", 0), "quoteResponse.slippageBps", high=BPS))


def _priority(spec: object) -> tuple[int, int]:
    """(compute-budget lamports, Jito tip lamports) asked for by prioritizationFeeLamports."""
    if spec is None:
        return 0, 0
    if spec == "auto":
        return PRIORITY_LEVEL_LAMPORTS["medium"], 0
    if isinstance(spec, (int, str)) and not isinstance(spec, bool):
        return _uint(spec, "prioritizationFeeLamports"), 0
    if isinstance(spec, dict) and isinstance(spec.get("priorityLevelWithMaxLamports"), dict):
        level = spec["priorityLevelWithMaxLamports"]
        if level.get("priorityLevel") not in PRIORITY_LEVEL_LAMPORTS:
            raise BadRequest(f"priorityLevel must be one of {sorted(PRIORITY_LEVEL_LAMPORTS)}")
        cap = _uint(level.get("maxLamports"), "priorityLevelWithMaxLamports.maxLamports")
        return min(cap, PRIORITY_LEVEL_LAMPORTS[level["priorityLevel"]]), 0
    if isinstance(spec, dict) and "jitoTipLamports" in spec:
        return 0, _uint(spec["jitoTipLamports"], "jitoTipLamports")
    raise BadRequest("prioritizationFeeLamports must be a number, 'auto', {priorityLevelWithMaxLamports} or {jitoTipLamports}")


def _unsigned(chain, user: Pubkey, instructions: list, units: int, micro_lamports: int) -> VersionedTransaction:
    budget = [set_compute_unit_limit(units), set_compute_unit_price(micro_lamports)]
    blockhash, _ = chain.latest_blockhash()
    message = MessageV0.try_compile(user, budget + instructions, [], blockhash)
    return VersionedTransaction.populate(message, [Signature.default()] * message.header.num_required_signatures)


def swap(chain, body: object) -> dict:
    if not isinstance(body, dict):
        raise BadRequest("the body must be a JSON object")
    user = _pubkey(body.get("userPublicKey"), "userPublicKey")
    plan = _plan(body.get("quoteResponse"))
    wrap = _flag(body.get("wrapAndUnwrapSol"), "wrapAndUnwrapSol", True)
    dynamic_units = _flag(body.get("dynamicComputeUnitLimit"), "dynamicComputeUnitLimit", False)
    priority_lamports, tip = _priority(body.get("prioritizationFeeLamports"))
    instructions = swap_instructions(chain, plan, user, wrap)
    if tip:
        instructions.append(transfer(TransferParams(from_pubkey=user, to_pubkey=JITO_TIP_ACCOUNT, lamports=tip)))
    units, simulation_error = MAX_COMPUTE_UNITS, None
    if dynamic_units:
        outcome = chain.simulate(_unsigned(chain, user, instructions, MAX_COMPUTE_UNITS, 0))
        simulation_error = outcome.err
        if outcome.err is None:
            units = min(MAX_COMPUTE_UNITS, outcome.units_consumed * 6 // 5 + 1_000)
    micro_lamports = priority_lamports * 1_000_000 // units
    tx = _unsigned(chain, user, instructions, units, micro_lamports)
    _, last_valid = chain.latest_blockhash()
    return {"swapTransaction": base64.b64encode(bytes(tx)).decode(), "lastValidBlockHeight": last_valid,
            "prioritizationFeeLamports": -(-micro_lamports * units // 1_000_000) + tip,
            "computeUnitLimit": units,
            "prioritizationType": {"computeBudget": {"microLamports": micro_lamports,
                                                     "estimatedMicroLamports": micro_lamports}} if not tip
            else {"jito": {"lamports": tip}},
            "dynamicSlippageReport": None, "simulationError": simulation_error}


JUPITER_COUNTERS = web.AppKey("jupiter_counters", dict)


def make_jupiter_app(chain, options: JupiterOptions = JupiterOptions()) -> web.Application:
    """The /swap/v1 sub-application (mount it with add_subapp("/swap/v1", ...)); app[JUPITER_COUNTERS]
    counts the quotes and swap transactions it answered (tests read them)."""
    counters = {"quotes": 0, "swaps": 0}

    async def get_quote(request: web.Request) -> web.Response:
        try:
            answer = web.json_response(quote(chain, request.query), dumps=lambda v: orjson.dumps(v).decode())
            counters["quotes"] += 1
            return answer
        except BadRequest as exc:
            return _fail(400, str(exc), "INVALID_REQUEST")
        except RouteError as exc:
            return _fail(400, str(exc), exc.code)

    async def post_swap(request: web.Request) -> web.Response:
        try:
            body = orjson.loads(await request.read())
        except orjson.JSONDecodeError:
            return _fail(400, "the body is not valid JSON", "INVALID_REQUEST")
        try:
            answer = web.json_response(swap(chain, body), dumps=lambda v: orjson.dumps(v).decode())
            counters["swaps"] += 1
            return answer
        except BadRequest as exc:
            return _fail(400, str(exc), "INVALID_REQUEST")
        except RouteError as exc:
            return _fail(400, str(exc), exc.code)
        except ValueError as exc:           # an amount an instruction builder refused
            return _fail(400, str(exc), "INVALID_REQUEST")

    app = web.Application(middlewares=service_middlewares(options.rate_limit, options.latency_s), client_max_size=64 * 1024)
    app.router.add_get("/quote", get_quote)
    app.router.add_post("/swap", post_swap)
    app[JUPITER_COUNTERS] = counters
    return app
