"""One TLS context per process for solana-py's HTTP clients.

solana-py's AsyncHTTPProvider builds an httpx2.AsyncClient with the default verify=True, and httpx2
then parses the CA bundle into a fresh SSLContext for every client: 100-300 ms of CPU each on a
loaded 2-core machine, paid by every PositionActor (each has its own RpcClient) -- at 5 buys/s
most of a core. The context built here, at import, with httpx2's own defaults (same verification),
is given to every such client instead; actors forked from a process that imported this module
inherit it. SSLContext objects are made to be shared by many connections."""
from __future__ import annotations

import httpx2
from solana.rpc import async_http_provider

SHARED_TLS_CONTEXT = httpx2.create_ssl_context()


class _HttpxWithSharedTls:
    """httpx2 as solana's provider module sees it: AsyncClient defaults to the shared context."""

    def __getattr__(self, name):
        return getattr(httpx2, name)

    @staticmethod
    def AsyncClient(**kwargs):  # noqa: N802  (stands in for the class)
        kwargs.setdefault("verify", SHARED_TLS_CONTEXT)
        return httpx2.AsyncClient(**kwargs)


async_http_provider.httpx2 = _HttpxWithSharedTls()
