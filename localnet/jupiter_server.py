"""One HTTP server for the outside services the local chain stands in for: Jupiter's swap API
(/swap/v1), Jupiter's Tokens API (/tokens/v2) and RugCheck (/v1/tokens/.../report/summary),
each with its own rate limit and latency."""
from __future__ import annotations

from dataclasses import dataclass, field

from aiohttp import web

from localnet.jupiter import JUPITER_COUNTERS, JupiterOptions, make_jupiter_app
from localnet.rpc_server import serve_app
from localnet.safety import SafetyOptions, TokenSafety, make_rugcheck_app, make_tokens_app


@dataclass(frozen=True)
class ApiOptions:
    jupiter: JupiterOptions = field(default_factory=JupiterOptions)
    safety: SafetyOptions = field(default_factory=SafetyOptions)


@dataclass
class ApiServer:
    runner: web.AppRunner
    port: int
    safety: TokenSafety          # the market registers coin fates here
    jupiter_counters: dict = field(default_factory=dict)   # quotes and swaps answered

    async def stop(self) -> None:
        await self.runner.cleanup()


async def start_api_server(chain, host: str, port: int, options: ApiOptions = ApiOptions(),
                           extra_apps: dict[str, web.Application] | None = None) -> ApiServer:
    """`extra_apps` mounts more sub-apps by path prefix (e.g. the fault admin at /admin)."""
    safety = TokenSafety(chain, options.safety.seed)
    app = web.Application()
    jupiter = make_jupiter_app(chain, options.jupiter)
    app.add_subapp("/swap/v1", jupiter)
    app.add_subapp("/tokens/v2", make_tokens_app(safety, options.safety))
    app.add_subapp("/v1", make_rugcheck_app(safety, options.safety))
    for prefix, extra in (extra_apps or {}).items():
        app.add_subapp(prefix, extra)
    runner, bound_port = await serve_app(app, host, port)
    return ApiServer(runner, bound_port, safety, jupiter[JUPITER_COUNTERS])
