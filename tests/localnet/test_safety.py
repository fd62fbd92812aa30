"""Token-safety services over real HTTP: RugCheck-style summaries and Jupiter Tokens search computed
from chain state (authorities, holders, top-holder share); fate hints shift scores without deciding
them; latency and 429 limits as configured; bad input never breaks the server."""
from __future__ import annotations

import statistics
import time

import aiohttp
from solana.rpc.async_api import AsyncClient
from solders.account import Account
from solders.keypair import Keypair
from solders.token.state import Mint
from spl.token.constants import MINT_LEN, TOKEN_PROGRAM_ID
from solders.system_program import CreateAccountParams, create_account
import spl.token.instructions as token_ix
import spl.token.models as token_models

from adapters.pumpfun import instructions as pump_ix
from localnet.jupiter_limits import RateLimit
from localnet.jupiter_server import ApiOptions
from localnet.safety import SafetyOptions, TokenSafety

from tests.localnet.helpers import SOL, funded, send
from tests.localnet.test_pumpswap import create_coin, token_balance

SUPPLY = 1_000_000_000_000_000


async def get_json(session: aiohttp.ClientSession, url: str, **params) -> tuple[int, object]:
    async with session.get(url, params=params) as resp:
        return resp.status, await resp.json()


async def test_reports_reflect_revoked_authorities_and_top_holder_share(make_localnet):
    node = await make_localnet(api_port=0)
    async with AsyncClient(node.rpc_url, commitment="confirmed") as client, aiohttp.ClientSession() as session:
        creator, trader = await funded(client), await funded(client)
        mint = (await create_coin(client, creator)).pubkey()
        fee_recipient = node.chain.pumpfun.global_state.fee_recipient
        bought = 50_000_000_000_000                       # 5% of supply
        await send(client, pump_ix.build_buy_with_ata(trader.pubkey(), mint, creator.pubkey(), fee_recipient,
                                                      bought, 5 * SOL), [trader])
        assert await token_balance(client, trader.pubkey(), mint) == bought
        status, report = await get_json(session, f"{node.api_url}/v1/tokens/{mint}/report/summary")
        assert status == 200 and report["tokenProgram"] == str(TOKEN_PROGRAM_ID)
        names = {r["name"] for r in report["risks"]}
        assert "Mint Authority still enabled" not in names and "Freeze Authority still enabled" not in names
        assert "Low amount of holders" in names and 0 <= report["score_normalised"] <= 100

        status, found = await get_json(session, f"{node.api_url}/tokens/v2/search", query=str(mint))
        (token,) = found
        assert (token["id"], token["symbol"], token["name"], token["holderCount"]) == (str(mint), "GRD", "Grad", 1)
        assert token["audit"] == {"mintAuthorityDisabled": True, "freezeAuthorityDisabled": True,
                                  "topHoldersPercentage": 5.0}

        # a plain mint whose authorities were kept, one holder with 60% of the supply
        owner = await funded(client)
        plain = Keypair()
        rent = (await client.get_minimum_balance_for_rent_exemption(MINT_LEN)).value
        holder_ata = token_ix.get_associated_token_address(owner.pubkey(), plain.pubkey())
        await send(client, [
            create_account(CreateAccountParams(from_pubkey=owner.pubkey(), to_pubkey=plain.pubkey(), lamports=rent,
                                               space=MINT_LEN, owner=TOKEN_PROGRAM_ID)),
            token_ix.initialize_mint2(token_models.InitializeMint2Params(
                decimals=6, program_id=TOKEN_PROGRAM_ID, mint=plain.pubkey(), mint_authority=owner.pubkey(),
                freeze_authority=owner.pubkey())),
            pump_ix.build_create_ata_idempotent(owner.pubkey(), owner.pubkey(), plain.pubkey()),
            token_ix.mint_to(token_models.MintToParams(program_id=TOKEN_PROGRAM_ID, mint=plain.pubkey(), dest=holder_ata,
                                                       mint_authority=owner.pubkey(), amount=600)),
            pump_ix.build_create_ata_idempotent(owner.pubkey(), trader.pubkey(), plain.pubkey()),
            token_ix.mint_to(token_models.MintToParams(
                program_id=TOKEN_PROGRAM_ID, mint=plain.pubkey(), amount=400, mint_authority=owner.pubkey(),
                dest=token_ix.get_associated_token_address(trader.pubkey(), plain.pubkey())))], [owner, plain])
        status, report = await get_json(session, f"{node.api_url}/v1/tokens/{plain.pubkey()}/report/summary")
        risks = {r["name"]: r for r in report["risks"]}
        assert {"Mint Authority still enabled", "Freeze Authority still enabled"} <= risks.keys()
        assert risks["Single holder ownership"]["value"] == "60.0%" and risks["Single holder ownership"]["level"] == "danger"
        status, (token,) = await get_json(session, f"{node.api_url}/tokens/v2/search", query=str(plain.pubkey()))
        assert token["audit"] == {"mintAuthorityDisabled": False, "freezeAuthorityDisabled": False,
                                  "topHoldersPercentage": 100.0}


async def test_rug_fate_scores_worse_on_average_but_is_no_oracle(localnet):
    """Many mints with identical chain facts: only the fate hint and the seeded noise differ."""
    safety = TokenSafety(localnet.chain, seed=7)
    rent = localnet.chain.minimum_balance_for_rent_exemption(82)
    mints = [Keypair().pubkey() for _ in range(200)]
    for index, mint in enumerate(mints):
        data = bytes(Mint(mint_authority=None, supply=SUPPLY, decimals=6, is_initialized=True, freeze_authority=None))
        localnet.chain.svm.set_account(mint, Account(lamports=rent, data=data, owner=TOKEN_PROGRAM_ID, executable=False))
        safety.register_fate(mint, "rug" if index % 2 else "slow_grind")
    reports = [(mint, safety.report_summary(mint)) for mint in mints]
    rug = [r["score_normalised"] for i, (_, r) in enumerate(reports) if i % 2]
    honest = [r["score_normalised"] for i, (_, r) in enumerate(reports) if not i % 2]
    assert statistics.mean(rug) > statistics.mean(honest) + 15
    assert min(rug) < max(honest)            # some rugs look clean, some honest coins look bad
    again = TokenSafety(localnet.chain, seed=7)
    for index, mint in enumerate(mints[:20]):
        again.register_fate(mint, "rug" if index % 2 else "slow_grind")
    assert [again.report_summary(m) for m in mints[:20]] == [r for _, r in reports[:20]]


async def test_latency_and_rate_limit_as_configured(make_localnet):
    options = ApiOptions(safety=SafetyOptions(rate_limit=RateLimit(2, 60), latency_s=0.2))
    node = await make_localnet(api_port=0, api_options=options)
    url = f"{node.api_url}/v1/tokens/{Keypair().pubkey()}/report/summary"
    async with aiohttp.ClientSession() as session:
        started = time.monotonic()
        status, _ = await get_json(session, url)
        assert status == 404 and time.monotonic() - started >= 0.2
        assert (await get_json(session, url))[0] == 404
        status, body = await get_json(session, url)
        assert status == 429 and body["errorCode"] == "RATE_LIMITED"


async def test_bad_input_never_breaks_the_services(make_localnet):
    node = await make_localnet(api_port=0)
    async with aiohttp.ClientSession() as session:
        assert (await get_json(session, f"{node.api_url}/v1/tokens/not-a-mint/report/summary"))[0] == 400
        assert (await get_json(session, f"{node.api_url}/tokens/v2/search"))[0] == 400
        assert await get_json(session, f"{node.api_url}/tokens/v2/search", query="zzz,%%%,") == (200, [])
        assert (await get_json(session, f"{node.api_url}/tokens/v2/search", query=",".join(["x"] * 101)))[0] == 400
        status, found = await get_json(session, f"{node.api_url}/tokens/v2/search", query="So11111111111111111111111111111111111111112")
        assert status == 200 and found[0]["audit"]["mintAuthorityDisabled"] is True
