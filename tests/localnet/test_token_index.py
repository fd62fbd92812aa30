"""The chain's token-account index (localnet/token_index.py) behind getTokenLargestAccounts and
getTokenAccountsByOwner: after pump.fun trades, SPL transfers, an owner change and closes, at every
commitment, both methods answer exactly what a scan of every token account (LiteSVM's own
program-account listing, rolled back per commitment) answers."""
from __future__ import annotations

from solders.keypair import Keypair
from solders.message import MessageV0
from solders.pubkey import Pubkey
from solders.system_program import CreateAccountParams, create_account
from solders.transaction import VersionedTransaction
from spl.token.constants import MINT_LEN, TOKEN_PROGRAM_ID
import spl.token.instructions as token_ix
import spl.token.models as token_models

from adapters.pumpfun import addresses, curve, instructions
from adapters.pumpfun.layout_v1 import BONDING_CURVE, GLOBAL
from localnet import encoding
from localnet.chain import Chain
from localnet.rpc_server import handle_request
from tests.localnet.helpers import SOL

COMMITMENTS = ("processed", "confirmed", "finalized")


def _send(chain: Chain, payer: Keypair, ixs: list, signers: list | None = None) -> None:
    blockhash, _ = chain.latest_blockhash()
    record = chain.execute(VersionedTransaction(MessageV0.try_compile(payer.pubkey(), ixs, [], blockhash),
                                                signers or [payer]))
    assert record.err is None, record.log_messages[-3:]


def _answer(chain: Chain, method: str, params: list) -> dict:
    return handle_request(chain, {"jsonrpc": "2.0", "id": 1, "method": method, "params": params})


def _rpc(chain: Chain, method: str, params: list):
    answer = _answer(chain, method, params)
    assert "result" in answer, answer
    return answer["result"]["value"]


def _scan(chain: Chain, commitment: str):
    """Every token account as of `commitment`: the reference the index must agree with."""
    for program in encoding.TOKEN_PROGRAMS:
        for key, account in chain.program_accounts(program, commitment):
            data = bytes(account.data)
            if encoding.is_token_account(account.owner, data):
                yield key, data


def _largest_by_scan(chain: Chain, mint: Pubkey, commitment: str) -> list[tuple[str, str]]:
    rows = [(encoding.token_account_amount(data), key) for key, data in _scan(chain, commitment) if data[:32] == bytes(mint)]
    rows.sort(key=lambda row: (-row[0], str(row[1])))
    return [(str(key), str(amount)) for amount, key in rows[:20]]


def _owned_by_scan(chain: Chain, owner: Pubkey, commitment: str) -> list[str]:
    return sorted(str(key) for key, data in _scan(chain, commitment) if data[32:64] == bytes(owner))


def _agrees_with_scan(chain: Chain, mints: list[Pubkey], owners: list[Pubkey]) -> None:
    for commitment in COMMITMENTS:
        config = {"commitment": commitment}
        for mint in mints:
            if chain.get_account(mint, commitment) is None:   # not created yet in this view
                assert _answer(chain, "getTokenLargestAccounts", [str(mint), config])["error"]["code"] == -32602
                continue
            largest = _rpc(chain, "getTokenLargestAccounts", [str(mint), config])
            assert [(row["address"], row["amount"]) for row in largest] == _largest_by_scan(chain, mint, commitment), commitment
        for owner in owners:
            rows = _rpc(chain, "getTokenAccountsByOwner", [str(owner), {"programId": str(TOKEN_PROGRAM_ID)},
                                                           {**config, "encoding": "base64"}])
            assert sorted(row["pubkey"] for row in rows) == _owned_by_scan(chain, owner, commitment), commitment


def _advance(chain: Chain, slots: int = 1) -> None:
    for _ in range(slots):
        chain.advance_slot()


def test_holders_follow_pump_trades_transfers_an_owner_change_and_closes_at_every_commitment():
    chain = Chain(slot_ms=0, confirmed_lag=1, finalized_lag=3)
    creator, alice, bob, carol = Keypair(), Keypair(), Keypair(), Keypair()
    for wallet in (creator, alice, bob, carol):
        chain.airdrop(wallet.pubkey(), 10 * SOL)
    # a pump.fun coin: create, two buys, then alice sells everything
    coin = Keypair()
    mint = coin.pubkey()
    _send(chain, creator, [instructions.build_create(mint, creator.pubkey(), "Idx", "IDX", "https://x.invalid/i.json")],
          [creator, coin])
    global_ = GLOBAL.decode(bytes(chain.get_account(addresses.GLOBAL).data))
    for buyer, budget in ((alice, SOL // 10), (bob, SOL // 20)):
        state = BONDING_CURVE.decode(bytes(chain.get_account(addresses.bonding_curve(mint)).data))
        _send(chain, buyer, instructions.build_buy_with_ata(buyer.pubkey(), mint, state.creator, global_.fee_recipient,
                                                            curve.tokens_for_sol(state, global_, budget), budget))
        _advance(chain)
    alice_ata = addresses.associated_token_address(alice.pubkey(), mint, TOKEN_PROGRAM_ID)
    curve_ata = addresses.associated_bonding_curve(mint, TOKEN_PROGRAM_ID)
    largest = _rpc(chain, "getTokenLargestAccounts", [str(mint), {"commitment": "processed"}])
    assert largest[0]["address"] == str(curve_ata) and len(largest) == 3
    _agrees_with_scan(chain, [mint], [alice.pubkey(), bob.pubkey()])
    held = encoding.token_account_amount(bytes(chain.get_account(alice_ata).data))
    state = BONDING_CURVE.decode(bytes(chain.get_account(addresses.bonding_curve(mint)).data))
    _send(chain, alice, [instructions.build_sell(alice.pubkey(), mint, state.creator, global_.fee_recipient, held, 0)])
    assert [row["amount"] for row in _rpc(chain, "getTokenLargestAccounts", [str(mint), {"commitment": "processed"}])
            if row["address"] == str(alice_ata)] == ["0"]
    _agrees_with_scan(chain, [mint], [alice.pubkey()])

    # an SPL mint: transfers, an owner change (SetAuthority AccountOwner), a close
    token = Keypair()
    _send(chain, creator, [
        create_account(CreateAccountParams(from_pubkey=creator.pubkey(), to_pubkey=token.pubkey(),
                                           lamports=chain.minimum_balance_for_rent_exemption(MINT_LEN), space=MINT_LEN,
                                           owner=TOKEN_PROGRAM_ID)),
        token_ix.initialize_mint2(token_models.InitializeMint2Params(
            decimals=6, program_id=TOKEN_PROGRAM_ID, mint=token.pubkey(), mint_authority=creator.pubkey()))],
        [creator, token])
    atas = {w: token_ix.get_associated_token_address(w.pubkey(), token.pubkey()) for w in (alice, bob)}
    _send(chain, creator, [token_ix.create_associated_token_account(creator.pubkey(), w.pubkey(), token.pubkey())
                           for w in atas] + [token_ix.mint_to(token_models.MintToParams(
                               program_id=TOKEN_PROGRAM_ID, mint=token.pubkey(), dest=atas[alice],
                               mint_authority=creator.pubkey(), amount=900))])
    _advance(chain)
    _send(chain, alice, [token_ix.transfer(token_models.TransferParams(
        program_id=TOKEN_PROGRAM_ID, source=atas[alice], dest=atas[bob], owner=alice.pubkey(), amount=600))])
    _agrees_with_scan(chain, [token.pubkey()], [alice.pubkey(), bob.pubkey()])
    _advance(chain)
    _send(chain, bob, [token_ix.set_authority(token_models.SetAuthorityParams(
        program_id=TOKEN_PROGRAM_ID, account=atas[bob], authority=token_ix.AuthorityType.ACCOUNT_OWNER,
        current_authority=bob.pubkey(), new_authority=carol.pubkey()))])
    assert [row["pubkey"] for row in _rpc(chain, "getTokenAccountsByOwner", [
        str(carol.pubkey()), {"mint": str(token.pubkey())}, {"commitment": "processed"}])] == [str(atas[bob])]
    assert _rpc(chain, "getTokenAccountsByOwner", [str(carol.pubkey()), {"mint": str(token.pubkey())},
                                                   {"commitment": "confirmed"}]) == []
    _agrees_with_scan(chain, [token.pubkey()], [alice.pubkey(), bob.pubkey(), carol.pubkey()])
    _advance(chain)
    _send(chain, alice, [token_ix.transfer(token_models.TransferParams(
        program_id=TOKEN_PROGRAM_ID, source=atas[alice], dest=atas[bob], owner=alice.pubkey(), amount=300)),
        token_ix.close_account(token_models.CloseAccountParams(
            program_id=TOKEN_PROGRAM_ID, account=atas[alice], dest=alice.pubkey(), owner=alice.pubkey()))])
    by_commitment = {c: [row["address"] for row in _rpc(chain, "getTokenLargestAccounts", [str(token.pubkey()), {"commitment": c}])]
                     for c in COMMITMENTS}
    assert by_commitment["processed"] == [str(atas[bob])]            # closed at the live view
    assert str(atas[alice]) in by_commitment["finalized"]            # still there where the close is not seen yet
    _agrees_with_scan(chain, [token.pubkey(), mint], [alice.pubkey(), bob.pubkey(), carol.pubkey()])
    _advance(chain, 4)   # the close is finalized: no view needs the closed account any more
    assert [row["address"] for row in _rpc(chain, "getTokenLargestAccounts", [str(token.pubkey()), {"commitment": "finalized"}])] \
        == [str(atas[bob])]
    assert str(atas[alice]) not in {str(k) for k in chain.token_accounts.of_mint(token.pubkey(), lagging=True)}
    _agrees_with_scan(chain, [token.pubkey(), mint], [alice.pubkey(), bob.pubkey(), carol.pubkey()])


def test_an_account_written_outside_a_transaction_is_indexed():
    chain = Chain(slot_ms=0)
    mint, owner, key = Keypair().pubkey(), Keypair().pubkey(), Keypair().pubkey()
    data = bytes(mint) + bytes(owner) + (77).to_bytes(8, "little") + bytes(encoding.TOKEN_ACCOUNT_LEN - 72)
    data = data[:108] + bytes([1]) + data[109:]   # state: initialized
    from solders.account import Account
    chain.set_account(key, Account(lamports=chain.minimum_balance_for_rent_exemption(len(data)), data=data,
                                   owner=TOKEN_PROGRAM_ID, executable=False))
    assert chain.token_accounts.of_mint(mint) == {key} and chain.token_accounts.of_owner(owner) == {key}
    chain.set_account(key, Account(lamports=0, data=b"", owner=Pubkey.default(), executable=False))
    assert chain.token_accounts.of_mint(mint) == set() and chain.token_accounts.of_mint(mint, lagging=True) == {key}
