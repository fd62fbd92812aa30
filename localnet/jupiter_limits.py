"""Limits of the chain's outside HTTP services, shared by the Jupiter and token-safety apps:
sliding-window rate limiting as Jupiter's API does it (requests per 60 s window per key, 429
beyond), added latency, and a guard that turns any handler failure into a JSON 500."""
from __future__ import annotations

import asyncio
import time
from collections import deque
from dataclasses import dataclass

from aiohttp import web
from loguru import logger

# Jupiter free API key: 1 request/s over a 60 s sliding window (keyless: 0.5/s) -- PROTOCOL_FACTS.md
FREE_TIER_REQUESTS = 60
FREE_TIER_WINDOW_S = 60.0
MAX_TRACKED_CLIENTS = 10_000


@dataclass(frozen=True)
class RateLimit:
    requests: int = FREE_TIER_REQUESTS      # 0 = unlimited
    window_s: float = FREE_TIER_WINDOW_S

    def __post_init__(self):
        if self.requests < 0 or self.window_s <= 0:
            raise ValueError("rate limit needs requests >= 0 and window_s > 0")


class SlidingWindowLimiter:
    """Counts requests per client key over the last `window_s` seconds."""

    def __init__(self, limit: RateLimit, clock=time.monotonic):
        self.limit = limit
        self._clock = clock
        self._seen: dict[str, deque[float]] = {}
        self.refused = 0

    def retry_after(self, key: str) -> float | None:
        """None if the request may go ahead (and counts it), else seconds until it could."""
        if self.limit.requests == 0:
            return None
        now = self._clock()
        stamps = self._seen.get(key)
        if stamps is None:
            if len(self._seen) >= MAX_TRACKED_CLIENTS:    # bound memory: forget the oldest client
                self._seen.pop(next(iter(self._seen)))
            stamps = self._seen[key] = deque()
        while stamps and stamps[0] <= now - self.limit.window_s:
            stamps.popleft()
        if len(stamps) >= self.limit.requests:
            self.refused += 1
            return stamps[0] + self.limit.window_s - now
        stamps.append(now)
        return None


def client_key(request: web.Request) -> str:
    """Per API key when one is sent, else per remote address (the key itself is never logged)."""
    return request.headers.get("x-api-key") or request.remote or "unknown"


def rate_limit_middleware(limiter: SlidingWindowLimiter):
    @web.middleware
    async def limit(request: web.Request, handler):
        wait = limiter.retry_after(client_key(request))
        if wait is not None:
            return web.json_response({"error": "Rate limit exceeded", "errorCode": "RATE_LIMITED"}, status=429,
                                     headers={"Retry-After": str(max(1, int(wait + 0.999)))})
        return await handler(request)
    return limit


def latency_middleware(seconds: float):
    """Answer every request `seconds` late (a slow third-party service)."""
    @web.middleware
    async def delay(request: web.Request, handler):
        await asyncio.sleep(seconds)
        return await handler(request)
    return delay


@web.middleware
async def json_errors_middleware(request: web.Request, handler):
    """A bug in a handler answers a JSON 500 and is logged; the server carries on."""
    try:
        return await handler(request)
    except web.HTTPException:
        raise
    except Exception:
        logger.exception("{} {} failed", request.method, request.path)
        return web.json_response({"error": "Internal error", "errorCode": "INTERNAL_ERROR"}, status=500)


def service_middlewares(limit: RateLimit, latency_s: float = 0.0) -> list:
    """Guard, then rate limit, then latency (a refused request is answered at once)."""
    if latency_s < 0:
        raise ValueError("latency must be >= 0")
    middlewares = [json_errors_middleware, rate_limit_middleware(SlidingWindowLimiter(limit))]
    return middlewares + ([latency_middleware(latency_s)] if latency_s else [])
