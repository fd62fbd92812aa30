"""Claiming cashback through the WalletActor on the local chain. `run.py --claim-cashback`: the wallet traded a SOL-paired and a USDC-paired
cashback coin on their curves (buy_v2 / sell_v2: the creator fee went to its pump user volume
accumulator, lamports and USDC), and the one-shot task claims both in one transaction
(claim_cashback and claim_cashback_v2): the accumulator is left with its rent and no USDC, and the
wallet gains exactly what waited there less the claim's fee. A wallet that keeps WSOL gets its pool
cashback into that WSOL account, and its reconciliation stays calm (the SOL part only is expected)."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest
from solders.instruction import AccountMeta, Instruction
from solders.keypair import Keypair
from solders.pubkey import Pubkey

from adapters.pumpfun import addresses as pump
from adapters.pumpfun import instructions_v2 as v2
from adapters.pumpswap.instructions_v2 import build_sell as pool_sell
from adapters.pumpswap.layout import token_account_amount
from tests.bot.harness import SOL, Market, _wait_meta as wait_meta
from adapters.pumpswap.wsol import build_wrap, wsol_account
from localnet.programs.pumpswap_setup import canonical_pool_keys
from messages.wallet import BalancesReport, ClaimCashback, HousekeepingDone, RefreshBalances
from tests.bot.test_balance import RUN_PY, ask, start_wallet, world  # noqa: F401 (fixture)
from tests.bot.test_copy_pool import pool_config
from tests.bot.test_pool_sell import T22, buy_on_curve, graduate
from tests.bot.test_mainnet_mix_e2e import fund_usdc, usdc_held
from tests.bot.test_todays_pumpfun import launch_v2

pytestmark = pytest.mark.timeout(120)


async def launch_usdc_cashback_coin(market: Market, creator: Keypair) -> str:
    """create_v2 with the cashback flag and COIN_CREATION.md's three USDC accounts."""
    mint = Keypair()
    create = v2.build_create_v2(mint.pubkey(), creator.pubkey(), "UsdCash", "UCSH", "https://example.invalid/u.json",
                                is_cashback_enabled=True)
    curve = pump.bonding_curve(mint.pubkey())
    quote = [AccountMeta(pump.USDC_MINT, False, False),
             AccountMeta(pump.associated_token_address(curve, pump.USDC_MINT), False, True),
             AccountMeta(pump.TOKEN_PROGRAM, False, False)]
    await market.send_tx(creator, [Instruction(create.program_id, bytes(create.data), list(create.accounts) + quote)],
                         [creator, mint])
    return str(mint.pubkey())


def accumulator_state(chain, owner: Pubkey) -> tuple[int, int, int]:
    """(lamports above rent, rent, USDC) of the owner's pump user volume accumulator."""
    node = chain.node.chain
    accumulator = Pubkey.find_program_address([b"user_volume_accumulator", bytes(owner)], pump.PUMP_PROGRAM)[0]
    account = node.get_account(accumulator)
    rent = node.minimum_balance_for_rent_exemption(len(account.data))
    usdc = node.get_account(pump.associated_token_address(accumulator, pump.USDC_MINT))
    return account.lamports - rent, rent, 0 if usdc is None else token_account_amount(bytes(usdc.data))


def test_run_py_claim_cashback_claims_sol_and_usdc_cashback(world):
    _, chain, market, keypair, path, tmp_path = world
    owner = keypair.pubkey()
    creator = chain.run(market.new_wallet(SOL // 10))
    sol_coin = chain.run(launch_v2(market, creator, "SolCash", cashback=True))
    usdc_coin = chain.run(launch_usdc_cashback_coin(market, creator))
    fund_usdc(chain, market, owner, 20 * 10**6)
    chain.run(market.trade(keypair, sol_coin, buy_lamports=100_000_000, generation="v2"))
    chain.run(market.trade(keypair, sol_coin, sell_tokens=chain.run(market.holding(owner, sol_coin)), generation="v2"))
    chain.run(market.trade(keypair, usdc_coin, buy_lamports=10 * 10**6, generation="v2"))   # 10 USDC
    waiting_lamports, rent, waiting_usdc = accumulator_state(chain, owner)
    assert waiting_lamports > 0 and waiting_usdc > 0, (waiting_lamports, waiting_usdc)
    sol_before, usdc_before = chain.run(market.balance(owner)), usdc_held(chain, owner)

    config = tmp_path / "live.toml"
    config.write_text(f'[chain]\nmode = "live"\n[wallet]\nkeypair_path = "{path}"\n')
    env = {**os.environ, "RPC_URLS": chain.node.rpc_url, "WS_URL": chain.node.ws_url,
           "PUMPSNIPE__RUN__RUNS_DIR": str(tmp_path / "runs")}
    result = subprocess.run([sys.executable, str(RUN_PY), "--config", str(config), "--claim-cashback", "--quiet"],
                            capture_output=True, text=True, env=env, timeout=100, cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    line = next(line for line in result.stdout.splitlines() if line.startswith("cashback: "))
    assert (f"claimed unclaimed cashback {waiting_lamports} lamports" in line
            and f"{waiting_usdc} raw USDC" in line), result.stdout
    assert accumulator_state(chain, owner) == (0, rent, 0)
    signature = line.rsplit("tx ", 1)[1].strip()
    fee = chain.run(wait_meta(market.rpc, signature)).fee
    assert chain.run(market.balance(owner)) - sol_before == waiting_lamports - fee
    assert usdc_held(chain, owner) - usdc_before == waiting_usdc


def pool_cashback(chain, owner: Pubkey) -> int:
    accumulator = Pubkey.find_program_address([b"user_volume_accumulator", bytes(owner)], pump.PUMP_SWAP_PROGRAM)[0]
    account = chain.node.chain.get_account(pump.associated_token_address(accumulator, pump.WSOL_MINT))
    return 0 if account is None else token_account_amount(bytes(account.data))


def test_pool_cashback_joins_the_wsol_a_wallet_keeps(world):
    _, chain, market, keypair, _, _ = world
    owner = keypair.pubkey()
    chain.run(market.send_tx(keypair, build_wrap(owner, 50_000_000), [keypair]))   # the wallet keeps WSOL
    creator = chain.run(market.new_wallet(SOL // 10))
    mint = chain.run(launch_v2(market, creator, "PoolCash", cashback=True))
    chain.run(buy_on_curve(market, keypair, mint, T22))          # its creator fee: curve cashback (lamports)
    graduate(chain, market, mint, T22)
    keys = canonical_pool_keys(chain.node.chain.svm, Pubkey.from_string(mint))
    assert keys.is_cashback_coin
    config = pool_config(chain)
    tokens = chain.run(market.holding(owner, mint))
    chain.run(market.send_tx(keypair, [pool_sell(owner, keys, config.protocol_fee_recipients[0],
                                                 config.buyback_fee_recipients[0], tokens, 0)], [keypair]))
    waiting, (curve_waiting, rent, _) = pool_cashback(chain, owner), accumulator_state(chain, owner)
    assert waiting > 0 and curve_waiting > 0
    wsol_before = chain.run(chain.rpc.get_token_balance(wsol_account(owner)))
    wallet = start_wallet(world)    # reads the wallet after the test's own trades (else: a mismatch)

    done = ask(world, wallet, ClaimCashback("claim", 1, 0))
    assert isinstance(done, HousekeepingDone) and done.action == "cashback", done
    fee = chain.run(wait_meta(market.rpc, done.signatures[0])).fee
    assert (done.sol_delta, done.wsol_delta) == (curve_waiting - fee, waiting)
    assert chain.run(chain.rpc.get_token_balance(wsol_account(owner))) - wsol_before == waiting
    assert pool_cashback(chain, owner) == 0 and accumulator_state(chain, owner) == (0, rent, 0)
    report = ask(world, wallet, RefreshBalances("after"))
    assert isinstance(report, BalancesReport) and not report.safety_mode, report
    nothing = ask(world, wallet, ClaimCashback("again", 1, 1))     # nothing waits: no transaction
    assert isinstance(nothing, HousekeepingDone) and nothing.signatures == (), nothing
