"""Jupiter swap API client (api.jup.ag/swap/v1, or the local chain's copy): quote, then swap -> an
unsigned v0 transaction the caller signs and sends. The API key goes in `x-api-key` and is never
logged; 429 is retried after Retry-After (else exponential backoff); other failures raise
JupiterError with the API's own message. Amounts are raw integers (strings on the wire)."""
from __future__ import annotations

import asyncio
import base64
from dataclasses import dataclass

import aiohttp
import orjson
from loguru import logger

SOL_MINT = "So11111111111111111111111111111111111111112"
MAX_RATE_LIMIT_RETRIES = 3
FIRST_BACKOFF_SECONDS = 0.5
MAX_RETRY_AFTER_SECONDS = 10.0
REQUEST_TIMEOUT_SECONDS = 10.0


class JupiterError(RuntimeError):
    """The API refused or failed; `code` is its errorCode (e.g. COULD_NOT_FIND_ANY_ROUTE) or HTTP_<n>."""

    def __init__(self, code: str, message: str):
        super().__init__(f"jupiter {code}: {message}")
        self.code = code


@dataclass(frozen=True)
class SwapTransaction:
    """What /swap answered: the unsigned transaction and the quote it executes."""
    unsigned_tx: bytes
    last_valid_block_height: int
    in_amount: int
    out_amount: int        # quoted; the least accepted is the quote's otherAmountThreshold
    route_label: str


class JupiterClient:
    """One per event loop (its aiohttp session belongs to the loop that first used it)."""

    def __init__(self, base_url: str, api_key: str | None = None,
                 timeout_s: float = REQUEST_TIMEOUT_SECONDS):
        if not base_url:
            raise ValueError("jupiter: no base URL (set chain.jupiter_url / JUPITER_URL)")
        self.base = base_url.rstrip("/") + "/swap/v1"
        self._headers = {"x-api-key": api_key} if api_key else {}
        self._timeout = aiohttp.ClientTimeout(total=timeout_s)
        self._session: aiohttp.ClientSession | None = None

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def quote(self, input_mint: str, output_mint: str, amount: int, slippage_bps: int) -> dict:
        if not isinstance(amount, int) or amount <= 0:
            raise ValueError(f"jupiter quote: amount must be a positive int of raw units: {amount!r}")
        params = {"inputMint": input_mint, "outputMint": output_mint, "amount": str(amount),
                  "slippageBps": str(slippage_bps), "swapMode": "ExactIn"}
        return await self._request("GET", "/quote", params=params)

    async def swap(self, quote: dict, user: str, priority_lamports: int = 0,
                   wrap_and_unwrap_sol: bool = True) -> SwapTransaction:
        body = {"userPublicKey": user, "quoteResponse": quote, "wrapAndUnwrapSol": wrap_and_unwrap_sol,
                "dynamicComputeUnitLimit": True, "prioritizationFeeLamports": priority_lamports}
        answer = await self._request("POST", "/swap", body=body)
        try:
            raw = base64.b64decode(answer["swapTransaction"], validate=True)
            step = quote["routePlan"][0]["swapInfo"]
            return SwapTransaction(raw, int(answer["lastValidBlockHeight"]), int(quote["inAmount"]),
                                   int(quote["outAmount"]), str(step.get("label", "")))
        except (KeyError, IndexError, TypeError, ValueError) as exc:
            raise JupiterError("BAD_RESPONSE", f"unexpected /swap answer: {exc!r}") from None

    async def sell(self, mint: str, amount: int, user: str, slippage_bps: int, priority_lamports: int = 0,
                   output_mint: str = SOL_MINT) -> SwapTransaction:
        """Quote `amount` of `mint` -> `output_mint` (SOL, or the coin's own quote such as USDC) and
        build the swap for `user`."""
        quote = await self.quote(mint, output_mint, amount, slippage_bps)
        return await self.swap(quote, user, priority_lamports)

    async def _request(self, method: str, path: str, params: dict | None = None,
                       body: dict | None = None) -> dict:
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=self._timeout, headers=self._headers)
        for attempt in range(MAX_RATE_LIMIT_RETRIES + 1):
            data = orjson.dumps(body) if body is not None else None
            headers = {"content-type": "application/json"} if body is not None else None
            try:
                async with self._session.request(method, self.base + path, params=params, data=data,
                                                 headers=headers) as resp:
                    text = await resp.read()
                    if resp.status == 429 and attempt < MAX_RATE_LIMIT_RETRIES:
                        wait = _retry_after(resp.headers.get("Retry-After"), attempt)
                        logger.warning("jupiter: rate limited on {}; retrying in {:.1f} s", path, wait)
                        await asyncio.sleep(wait)
                        continue
                    return _decode(resp.status, text)
            except aiohttp.ClientError as exc:
                raise JupiterError("UNREACHABLE", f"{method} {path}: {exc!r}") from None
            except asyncio.TimeoutError:
                raise JupiterError("TIMEOUT", f"{method} {path} took too long") from None
        raise JupiterError("RATE_LIMITED", f"{path}: still rate limited")   # not reached


def _retry_after(header: str | None, attempt: int) -> float:
    try:
        seconds = float(header) if header is not None else None
    except ValueError:
        seconds = None
    if seconds is None or seconds < 0:
        seconds = FIRST_BACKOFF_SECONDS * 2 ** attempt
    return min(seconds, MAX_RETRY_AFTER_SECONDS)


def _decode(status: int, text: bytes) -> dict:
    try:
        payload = orjson.loads(text) if text else {}
    except orjson.JSONDecodeError:
        payload = {}
    if status != 200:
        payload = payload if isinstance(payload, dict) else {}
        raise JupiterError(str(payload.get("errorCode") or f"HTTP_{status}"),
                           str(payload.get("error") or text[:200]))
    if not isinstance(payload, dict):
        raise JupiterError("BAD_RESPONSE", "the answer is not a JSON object")
    return payload


def sign_swap(unsigned_tx: bytes, signer) -> tuple[str, bytes]:
    """Sign /swap's transaction as its fee payer: (signature, raw signed bytes). Refuses a
    transaction whose payer is not `signer` (it would be someone else's swap)."""
    from solders.transaction import VersionedTransaction
    tx = VersionedTransaction.from_bytes(unsigned_tx)
    payer = tx.message.account_keys[0]
    if payer != signer.pubkey():
        raise JupiterError("BAD_RESPONSE", f"swap transaction pays from {payer}, not our wallet")
    signed = VersionedTransaction(tx.message, [signer])
    return str(signed.signatures[0]), bytes(signed)
