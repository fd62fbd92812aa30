"""The honeypot probe on the local chain: one simulated [create ATA, buy, sell] transaction with
the wallet's balances read in the same batch. A fair coin loses only the pump.fun fees on the
round trip; a coin whose sell fails (a Token-2022 transfer fee taxes the bought tokens, so selling
them all fails) is vetoed as a honeypot. And the verdict alone, on answers shaped as the Solana RPC
docs give them (InstructionError [index, detail], lamports of each account or null)."""
from __future__ import annotations

import asyncio
import dataclasses
import struct

import pytest
from solders.account import Account
from solders.keypair import Keypair
from solders.pubkey import Pubkey

from actors.policy.analysis import decide
from adapters.analysis.gather import Analyst
from adapters.analysis.honeypot import Probe, ProbeBuyFailed, verdict
from adapters.pumpfun import addresses
from adapters.keys import write_keypair_file
from config.settings import load_settings
from tests.bot.harness import SOL, ChainThread, Market
from tests.bot.test_messages import make_launch
from tests.bot.test_todays_pumpfun import launch_v2

pytestmark = pytest.mark.timeout(60)
TOKEN = "TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA"
TOKEN_2022 = str(addresses.TOKEN_2022_PROGRAM)


@pytest.fixture
def chain():
    chain = ChainThread().start()
    yield chain
    chain.stop()


def analyse(chain, tmp_path, launch_coin, token_program: str, tamper=None):
    """(facts, wallet balance after) of one coin launched by `launch_coin(market, creator)`."""
    market = Market(chain)
    wallet = Keypair()
    chain.run(market.fund(wallet.pubkey(), SOL))
    creator = chain.run(market.new_wallet(SOL))
    mint = chain.run(launch_coin(market, creator))
    if tamper:
        tamper(Pubkey.from_string(mint))
    settings = load_settings(env={}, overrides={
        "chain.rpc_urls": [chain.node.rpc_url], "run.runs_dir": str(tmp_path),
        "wallet.keypair_path": str(write_keypair_file(wallet, tmp_path / "w.json"))})
    launch = dataclasses.replace(make_launch(mint=mint), creator=str(creator.pubkey()), token_program=token_program)

    async def probe():
        analyst = Analyst(settings)
        try:
            return await analyst.gather(launch, 5.0)
        finally:
            await analyst.close()
    facts = asyncio.run(probe())
    return facts, settings, chain.run(market.balance(wallet.pubkey()))


def test_honeypot_probe_measures_the_round_trip_on_the_chain(chain, tmp_path):
    facts, _, balance = analyse(chain, tmp_path, lambda market, creator: market.launch(creator, "Probe"), TOKEN)
    sell_ok, loss_bps, error = facts["honeypot"]
    # pump.fun fees both ways (1.25 % each way here): a few percent, never nothing, never most of it;
    # the ATA's rent, the creator vault's first top-up and the signature fee are not the coin's doing
    assert sell_ok and error == "" and 200 <= loss_bps <= 300, facts["honeypot"]
    assert balance == SOL     # only simulated: nothing spent


def test_a_coin_whose_sell_fails_is_vetoed(chain, tmp_path):
    def add_transfer_fee(mint: Pubkey):
        """The local pump.fun program makes no taxed mints: rewrite this one's Token-2022 mint with
        a 50 % TransferFeeConfig appended (TLV type 1), as a honeypot's creator would have made it."""
        async def rewrite():
            node = chain.node.chain
            account = node.svm.get_account(mint)
            # TransferFeeConfig: two authorities, withheld amount, older and newer TransferFee
            # (epoch u64, maximum_fee u64, basis points u16), both 50 % from epoch 0
            fee = struct.pack("<QQH", 0, 2**64 - 1, 5_000)
            config = bytes(32) + bytes(32) + struct.pack("<Q", 0) + fee + fee
            data = bytes(account.data) + struct.pack("<HH", 1, len(config)) + config
            node.set_account(mint, Account(account.lamports + 10**7, data, account.owner, False, 0))
        chain.run(rewrite())
    facts, settings, _ = analyse(chain, tmp_path, lambda market, creator: launch_v2(market, creator, "Trap"),
                                 TOKEN_2022, add_transfer_fee)
    sell_ok, loss_bps, error = facts["honeypot"]
    assert not sell_ok and loss_bps == 10_000 and error.startswith("sell fails: {'InstructionError': [2,"), error
    decision = decide(facts, settings.analysis)
    assert not decision.buy and "honeypot" in decision.skip_keys, decision


def lamports(*values):
    return [None if v is None else {"lamports": v, "data": ["", "base64"]} for v in values]


@pytest.mark.parametrize("err, outcome", [
    ({"InstructionError": [2, {"Custom": 6003}]}, "sell fails"),   # [create ATA, buy, sell]: index 2
    ({"InstructionError": [1, {"Custom": 6002}]}, ProbeBuyFailed),  # our buy (stale curve, slippage)
    ({"InstructionError": [0, "InvalidAccountData"]}, ProbeBuyFailed),
    ("AccountNotFound", ProbeBuyFailed),                            # the transaction itself: not the coin's doing
])
def test_the_failing_instruction_tells_a_failing_sell_from_our_buy(err, outcome):
    probe = Probe(cost=1_000_000, sell_index=2, fee=5_000, creator_fee=3_000)
    before, simulated = lamports(SOL, None, None, 0), {"err": err, "accounts": None}
    if outcome is ProbeBuyFailed:
        with pytest.raises(ProbeBuyFailed):
            verdict(before, simulated, probe)
    else:
        assert verdict(before, simulated, probe) == (False, 10_000, f"sell fails: {err}")


def test_the_round_trip_cost_puts_aside_our_accounts_rent_the_fee_and_the_vault_top_up():
    probe = Probe(cost=1_000_000, sell_index=2, fee=5_000, creator_fee=3_000)
    ata_rent, top_up, loss = 2_039_280, 890_880 - 3_000, 25_000
    after = lamports(SOL - ata_rent - 5_000 - top_up - loss, ata_rent, None)
    # a fresh creator vault (no account): the buyer tops it up to the rent-exempt minimum
    assert verdict(lamports(SOL, None, None, None), {"err": None, "accounts": after}, probe) == (True, 250, "")
    # a vault already rent-exempt: no top-up
    after = lamports(SOL - ata_rent - 5_000 - loss, ata_rent, None)
    assert verdict(lamports(SOL, None, None, 890_880), {"err": None, "accounts": after}, probe) == (True, 250, "")
