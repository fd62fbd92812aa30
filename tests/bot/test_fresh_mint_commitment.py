"""A coin the stream reports at `processed` must be readable by the bot at once, though its slot is
not confirmed yet: the reads that price and analyse a just-created coin use `processed`, whatever
the client's commitment (chain.commitment, `confirmed` by default).

The local chain's clock is stopped (slot_ms=0), so the coin's slot stays unconfirmed for the whole
test; on a node whose reads ignored commitment this test could not fail, so it also checks that a
`confirmed` read really cannot see the coin yet. Real bot code (ChainAccess, the analysis sources)
over the real JSON-RPC."""
from __future__ import annotations

from types import SimpleNamespace

import aiohttp
import pytest
from solders.keypair import Keypair
from solders.message import MessageV0
from solders.transaction import VersionedTransaction

from actors.trading_io import ChainAccess
from adapters.analysis import sources
from adapters.analysis.rpc import AnalysisRpc
from adapters.pumpfun import addresses, instructions
from tests.bot.harness import SOL, bot_settings, new_bot_wallet

pytestmark = pytest.mark.timeout(30)


async def test_a_just_created_coin_is_read_at_processed(make_localnet, tmp_path):
    node = await make_localnet(slot_ms=0, confirmed_lag=1, finalized_lag=3)
    creator, mint = Keypair(), Keypair()
    node.chain.airdrop(creator.pubkey(), SOL)
    for _ in range(3):
        node.chain.advance_slot()            # the creator's funds are finalized
    blockhash, _ = node.chain.latest_blockhash()
    create = instructions.build_create(mint.pubkey(), creator.pubkey(), "Fresh", "FRSH", "https://example.invalid/f.json")
    record = node.chain.execute(VersionedTransaction(MessageV0.try_compile(creator.pubkey(), [create], [], blockhash),
                                                     [creator, mint]))
    assert record.err is None and node.chain.commitment_of(record.slot) == "processed"

    _, keypair_path = new_bot_wallet(tmp_path)
    settings = bot_settings(SimpleNamespace(node=node), keypair_path, tmp_path / "runs")
    assert settings.chain.commitment == "confirmed"
    chain = ChainAccess(settings)
    try:
        curve_key = addresses.bonding_curve(mint.pubkey())
        at_confirmed = await chain.rpc.call("getAccountInfo", lambda c: c.get_account_info(curve_key))
        assert at_confirmed.value is None, "the node hides the unconfirmed coin at confirmed"

        assert await chain.token_program_of(str(mint.pubkey())) == str(addresses.TOKEN_PROGRAM)
        state = await chain.curve_state(str(mint.pubkey()))
        assert not state.complete and state.creator == creator.pubkey()
        launch = SimpleNamespace(mint=str(mint.pubkey()), token_program=str(addresses.TOKEN_PROGRAM),
                                 bonding_curve="")
        async with aiohttp.ClientSession() as session:    # the analysis's own batched reads
            accounts, largest = await AnalysisRpc(session, [node.rpc_url]).batch(sources.chain_calls(launch))
        mint_facts, _, curve_state = sources.parse_chain_accounts(accounts, launch.mint)
        assert curve_state == state and mint_facts.supply > 0
        assert sources.largest_other_holding(largest, launch) == 0, "only the curve holds it"
    finally:
        await chain.close()
