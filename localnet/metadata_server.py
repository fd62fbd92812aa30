"""HTTP server for what the market publishes off-chain: each coin's metadata JSON (the uri in its
Metaplex metadata), a generated image, and the market's wallets and counters.

GET /coins/{mint}.json   metadata JSON (name, symbol, description, image, socials)
GET /images/{mint}.svg   a small generated picture
GET /market/wallets      smart, creator and trader wallets plus the market's counters
"""
from __future__ import annotations

import html
from typing import Callable

import orjson
from aiohttp import web

from localnet.rpc_server import serve_app

MAX_DOCUMENTS = 200_000      # oldest coins' documents are forgotten past this


class MetadataServer:
    def __init__(self, host: str = "127.0.0.1", port: int = 0):
        self.host = host
        self._requested_port = port
        self.port: int | None = None
        self._documents: dict[str, dict] = {}
        self._market_status: Callable[[], dict] = lambda: {"running": False}
        self._runner: web.AppRunner | None = None

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def metadata_url(self, mint: str) -> str:
        return f"{self.base_url}/coins/{mint}.json"

    def image_url(self, mint: str) -> str:
        return f"{self.base_url}/images/{mint}.svg"

    def publish(self, mint: str, document: dict) -> None:
        self._documents[mint] = document
        while len(self._documents) > MAX_DOCUMENTS:
            del self._documents[next(iter(self._documents))]

    def set_market_status(self, provider: Callable[[], dict]) -> None:
        self._market_status = provider

    async def start(self) -> "MetadataServer":
        app = web.Application()
        app.router.add_get("/coins/{mint}.json", self._coin)
        app.router.add_get("/images/{mint}.svg", self._image)
        app.router.add_get("/market/wallets", self._wallets)
        self._runner, self.port = await serve_app(app, self.host, self._requested_port)
        return self

    async def stop(self) -> None:
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()

    async def _coin(self, request: web.Request) -> web.Response:
        document = self._documents.get(request.match_info["mint"])
        if document is None:
            return _json({"error": "unknown mint"}, status=404)
        return _json(document)

    async def _image(self, request: web.Request) -> web.Response:
        mint = request.match_info["mint"]
        document = self._documents.get(mint)
        if document is None:
            return _json({"error": "unknown mint"}, status=404)
        hue = sum(mint.encode()) % 360
        svg = (f'<svg xmlns="http://www.w3.org/2000/svg" width="256" height="256">'
               f'<rect width="256" height="256" fill="hsl({hue},70%,55%)"/>'
               f'<text x="128" y="140" font-size="48" text-anchor="middle" fill="white">'
               f'{html.escape(document.get("symbol", "?"))}</text></svg>')
        return web.Response(text=svg, content_type="image/svg+xml")

    async def _wallets(self, request: web.Request) -> web.Response:
        return _json(self._market_status())


def _json(payload: object, status: int = 200) -> web.Response:
    return web.Response(body=orjson.dumps(payload), status=status, content_type="application/json")
