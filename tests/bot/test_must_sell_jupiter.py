"""The Jupiter client against the local chain's Jupiter-compatible API: quote and swap, 429 retried
after Retry-After, the API's errors surfaced with their code, someone else's swap refused."""
from __future__ import annotations

import time

import pytest
from solders.keypair import Keypair

from adapters.jupiter import SOL_MINT, JupiterClient, JupiterError, sign_swap
from localnet.jupiter import JupiterOptions
from localnet.jupiter_limits import RateLimit
from localnet.jupiter_server import ApiOptions
from tests.bot.harness import SOL, ChainThread, Market

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def chain():
    limited = ApiOptions(jupiter=JupiterOptions(rate_limit=RateLimit(requests=2, window_s=1.0)))
    chain = ChainThread(api_port=0, api_options=limited).start()
    try:
        yield chain
    finally:
        chain.stop()


def test_quote_swap_and_rate_limit_retry(chain):
    market = Market(chain)
    creator = chain.run(market.new_wallet(SOL // 10))
    mint = chain.run(market.launch(creator, "Jup"))
    user = Keypair()

    async def scenario():
        client = JupiterClient(chain.node.api_url, api_key="test-key")
        try:
            started = time.monotonic()
            quote = await client.quote(SOL_MINT, mint, 10_000_000, 100)          # request 1
            swap = await client.swap(quote, str(user.pubkey()))                   # request 2
            again = await client.quote(SOL_MINT, mint, 10_000_000, 100)          # 429, then retried
            return quote, swap, again, time.monotonic() - started
        finally:
            await client.close()

    quote, swap, again, elapsed = chain.run(scenario())
    assert int(quote["outAmount"]) > 0 and again["outAmount"] == quote["outAmount"]
    assert elapsed >= 0.5   # waited for the window (Retry-After) instead of failing
    assert swap.in_amount == 10_000_000 and swap.route_label == "Pump.fun"
    signature, raw = sign_swap(swap.unsigned_tx, user)
    assert len(raw) > 0 and signature
    with pytest.raises(JupiterError, match="not our wallet"):
        sign_swap(swap.unsigned_tx, Keypair())


def test_errors_carry_the_api_code(chain):
    async def scenario():
        client = JupiterClient(chain.node.api_url)
        try:
            with pytest.raises(JupiterError) as unknown:
                await client.quote(str(Keypair().pubkey()), SOL_MINT, 1_000, 50)
            with pytest.raises(ValueError, match="positive int"):
                await client.quote(SOL_MINT, SOL_MINT, 0, 50)
            return unknown.value
        finally:
            await client.close()

    error = chain.run(scenario())
    assert error.code == "TOKEN_NOT_TRADABLE"
    with pytest.raises(ValueError, match="no base URL"):
        JupiterClient("")


def test_unreachable_api_is_a_clear_error(chain):
    async def scenario():
        client = JupiterClient("http://127.0.0.1:9", timeout_s=2)
        try:
            await client.quote(SOL_MINT, SOL_MINT, 1, 50)
        finally:
            await client.close()

    with pytest.raises(JupiterError, match="UNREACHABLE"):
        chain.run(scenario())
