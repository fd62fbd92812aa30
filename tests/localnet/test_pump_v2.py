"""Today's pump.fun on the local chain's SBF program: create_v2 (Token-2022 coin), the legacy-list
buy / buy_exact_sol_in / sell with the 2026 account lists and the buyback fee split, on SPL Token
and Token-2022 coins; and the doc-written account lists of today's instructions that
test_pump_trades_v2.py and test_pump_usdc.py use. The client here is written from pump-fun/pump-public-docs (idl/pump.json,
docs/instructions/COIN_CREATION.md, BUY.md, SELL.md, TRADE_V3.md, SWEEP_FEES.md,
docs/BREAKING_FEE_RECIPIENT.md, docs/FEE_RECIPIENTS.md) and
the mainnet create_v2 transaction in tests/data: it does not use adapters/pumpfun's builders."""
from __future__ import annotations

import hashlib
import json
import struct
from pathlib import Path

import pytest
from solders.instruction import AccountMeta, Instruction
from solders.keypair import Keypair
from solders.litesvm import LiteSVM
from solders.message import MessageV0
from solders.pubkey import Pubkey
from solders.token.state import Mint, TokenAccount
from solders.transaction import VersionedTransaction
from solders.transaction_status import InstructionErrorCustom

from adapters.pumpfun.events import events_from_logs
from adapters.pumpfun.layout_v1 import BONDING_CURVE, CreateEvent, TradeEvent
from localnet.programs import install_pumpfun

SOL = 1_000_000_000
K = Pubkey.from_string
PUMP = K("6EF8rrecthR5Dkzon8Nwu78hRvfCKubJ14M5uBEwF6P")
TOKEN = K("TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA")
TOKEN_2022 = K("TokenzQdBNbLqP5VEhdkAS6EPFLC1PHnBqCXEpPxuEb")
ATA_PROGRAM = K("ATokenGPvbdGVxr1b2hvZbsiqW5xWH25efTNsLJA8knL")
METAPLEX = K("metaqbxxUerdq28cj1RbAWkYQm3ybzjb6a8bt518x1s")
FEE_PROGRAM = K("pfeeUxB6jkeY1Hxd7CsFCAjcbHA9rWtchMGdZ6VojVZ")
MAYHEM = K("MAyhSmzXzV1pTf7LsNkrNwkWKTo4ougAJ1PPg47MD4e")
SYSTEM = K("11111111111111111111111111111111")
RENT = K("SysvarRent111111111111111111111111111111111")
FEE_RECIPIENT = K("62qc2CNXwrYqQScmEdiZFFAnJR262PxWEuNQtxfafNgV")            # FEE_RECIPIENTS.md normal #0
BUYBACK = K("A7hAgCzFw14fejgCp387JUJRMNyz4j89JKnhtKU8piqW")                  # buyback #7 (the mainnet tx's)
RESERVED = K("GesfTA3X2arioaHp8bbKdjG9vJtskViWACZoYvxp4twS")                 # reserved #0 (mayhem coins)
MAINNET_TX = Path(__file__).resolve().parents[1] / "data" / "mainnet" / "create_tx_getTransaction.json"


def pda(*seeds: bytes, program: Pubkey = PUMP) -> Pubkey:
    return Pubkey.find_program_address(list(seeds), program)[0]


def ata(owner: Pubkey, mint: Pubkey, token_program: Pubkey) -> Pubkey:
    return pda(bytes(owner), bytes(token_program), bytes(mint), program=ATA_PROGRAM)


def disc(name: str) -> bytes:
    return hashlib.sha256(f"global:{name}".encode()).digest()[:8]


def string(value: str) -> bytes:
    raw = value.encode()
    return struct.pack("<I", len(raw)) + raw


GLOBAL, EVENT_AUTHORITY, MINT_AUTHORITY = pda(b"global"), pda(b"__event_authority"), pda(b"mint-authority")
FEE_CONFIG = pda(b"fee_config", bytes(PUMP), program=FEE_PROGRAM)
GLOBAL_VOLUME = pda(b"global_volume_accumulator")
ro = lambda key: AccountMeta(key, False, False)          # noqa: E731
w = lambda key: AccountMeta(key, False, True)            # noqa: E731
signer = lambda key: AccountMeta(key, True, True)        # noqa: E731


def create_v2(mint: Pubkey, user: Pubkey, creator: Pubkey, mayhem=False, cashback=None, name="Coin", symbol="CN",
              uri="https://x/y.json") -> Instruction:
    """COIN_CREATION.md accounts 1-16, args name, symbol, uri, creator, is_mayhem_mode, OptionBool."""
    curve = pda(b"bonding-curve", bytes(mint))
    sol_vault = pda(b"sol-vault", program=MAYHEM)
    data = (disc("create_v2") + string(name) + string(symbol) + string(uri) + bytes(creator) + bytes([mayhem])
            + (b"" if cashback is None else bytes([cashback])))
    return Instruction(PUMP, data, [
        AccountMeta(mint, True, True), ro(MINT_AUTHORITY), w(curve), w(ata(curve, mint, TOKEN_2022)), ro(GLOBAL),
        signer(user), ro(SYSTEM), ro(TOKEN_2022), ro(ATA_PROGRAM), w(MAYHEM), ro(pda(b"global-params", program=MAYHEM)),
        w(sol_vault), w(pda(b"mayhem-state", bytes(mint), program=MAYHEM)), w(ata(sol_vault, mint, TOKEN_2022)),
        ro(EVENT_AUTHORITY), ro(PUMP)])


def legacy_create(mint: Pubkey, user: Pubkey, creator: Pubkey) -> Instruction:
    curve = pda(b"bonding-curve", bytes(mint))
    metadata = pda(b"metadata", bytes(METAPLEX), bytes(mint), program=METAPLEX)
    data = disc("create") + string("Old") + string("OLD") + string("https://x") + bytes(creator)
    return Instruction(PUMP, data, [
        AccountMeta(mint, True, True), ro(MINT_AUTHORITY), w(curve), w(ata(curve, mint, TOKEN)), ro(GLOBAL),
        ro(METAPLEX), w(metadata), signer(user), ro(SYSTEM), ro(TOKEN), ro(ATA_PROGRAM), ro(RENT),
        ro(EVENT_AUTHORITY), ro(PUMP)])


def buy_accounts(user, mint, creator, token_program, fee_recipient=FEE_RECIPIENT, buyback=BUYBACK) -> list[AccountMeta]:
    """IDL `buy` (16) + bonding_curve_v2 + a buyback fee recipient (BREAKING_FEE_RECIPIENT.md): 18."""
    curve = pda(b"bonding-curve", bytes(mint))
    return [ro(GLOBAL), w(fee_recipient), ro(mint), w(curve), w(ata(curve, mint, token_program)),
            w(ata(user, mint, token_program)), signer(user), ro(SYSTEM), ro(token_program),
            w(pda(b"creator-vault", bytes(creator))), ro(EVENT_AUTHORITY), ro(PUMP), ro(GLOBAL_VOLUME),
            w(pda(b"user_volume_accumulator", bytes(user))), ro(FEE_CONFIG), ro(FEE_PROGRAM),
            ro(pda(b"bonding-curve-v2", bytes(mint))), w(buyback)]


def sell_accounts(user, mint, creator, token_program, fee_recipient=FEE_RECIPIENT, buyback=BUYBACK) -> list[AccountMeta]:
    """IDL `sell` (14) + bonding_curve_v2 + a buyback fee recipient: 16."""
    curve = pda(b"bonding-curve", bytes(mint))
    return [ro(GLOBAL), w(fee_recipient), ro(mint), w(curve), w(ata(curve, mint, token_program)),
            w(ata(user, mint, token_program)), signer(user), ro(SYSTEM), w(pda(b"creator-vault", bytes(creator))),
            ro(token_program), ro(EVENT_AUTHORITY), ro(PUMP), ro(FEE_CONFIG), ro(FEE_PROGRAM),
            ro(pda(b"bonding-curve-v2", bytes(mint))), w(buyback)]


def create_user_ata(user: Pubkey, mint: Pubkey, token_program: Pubkey) -> Instruction:
    return Instruction(ATA_PROGRAM, bytes([1]), [signer(user), w(ata(user, mint, token_program)), ro(user), ro(mint),
                                                 ro(SYSTEM), ro(token_program)])


class Chain:
    def __init__(self):
        self.svm = LiteSVM()
        install_pumpfun(self.svm)
        self.user = Keypair()
        self.svm.airdrop(self.user.pubkey(), 1_000 * SOL)

    def send(self, instructions, extra_signers=()):
        message = MessageV0.try_compile(self.user.pubkey(), instructions, [], self.svm.latest_blockhash())
        result = self.svm.send_transaction(VersionedTransaction(message, [self.user, *extra_signers]))
        self.svm.expire_blockhash()
        return result

    def ok(self, instructions, extra_signers=()):
        result = self.send(instructions, extra_signers)
        assert not hasattr(result, "err"), f"{result.err()}\n" + "\n".join(result.meta().logs())
        return result

    def error_code(self, instructions, extra_signers=()):
        result = self.send(instructions, extra_signers)
        assert hasattr(result, "err"), "transaction unexpectedly succeeded"
        err = result.err().err
        assert isinstance(err, InstructionErrorCustom), err
        return err.code

    def lamports(self, key):
        return self.svm.get_balance(key) or 0

    def account(self, key):
        return self.svm.get_account(key)

    def curve(self, mint):
        return BONDING_CURVE.decode(bytes(self.account(pda(b"bonding-curve", bytes(mint))).data))

    def new_coin(self, kind: str, creator: Pubkey, **kwargs) -> tuple[Pubkey, Pubkey, object]:
        mint = Keypair()
        if kind == "create_v2":
            result = self.ok([create_v2(mint.pubkey(), self.user.pubkey(), creator, **kwargs)], [mint])
            return mint.pubkey(), TOKEN_2022, result
        result = self.ok([legacy_create(mint.pubkey(), self.user.pubkey(), creator)], [mint])
        return mint.pubkey(), TOKEN, result


@pytest.fixture()
def chain():
    return Chain()


def tlv_extensions(mint_data: bytes) -> dict[int, bytes]:
    """Token-2022 mint extensions: base mint (82) padded to 165, account type 1 (Mint), then TLVs."""
    assert mint_data[165] == 1
    found, pos = {}, 166
    while pos + 4 <= len(mint_data):
        kind, length = struct.unpack_from("<HH", mint_data, pos)
        if kind == 0:
            break
        found[kind] = mint_data[pos + 4:pos + 4 + length]
        pos += 4 + length
    return found


def test_create_v2_makes_a_token_2022_coin_as_mainnet(chain):
    creator = Pubkey.new_unique()
    mint, _, result = chain.new_coin("create_v2", creator, name="The Ass Statue", symbol="TAS",
                                     uri="https://meta.uxento.io/data/714b0bec-90cb-4cbb-9598-b7bcbcd3bd06")
    mint_account = chain.account(mint)
    assert mint_account.owner == TOKEN_2022
    # the mainnet tx: 234-byte mint grown by a 165-byte metadata TLV for these strings
    assert len(mint_account.data) == 234 + 165
    base = Mint.from_bytes(bytes(mint_account.data[:82]))
    assert (base.decimals, base.supply, base.mint_authority, base.freeze_authority) == (6, 10**15, None, None)
    extensions = tlv_extensions(bytes(mint_account.data))
    pointer = extensions[18]                                         # MetadataPointer
    assert pointer[:32] == bytes(32) and pointer[32:] == bytes(mint)
    metadata = extensions[19]                                        # TokenMetadata
    assert metadata[:32] == bytes(32) and metadata[32:64] == bytes(mint)   # update authority removed
    assert string("The Ass Statue") + string("TAS") in metadata
    curve_key = pda(b"bonding-curve", bytes(mint))
    curve_ata = chain.account(ata(curve_key, mint, TOKEN_2022))
    assert curve_ata.owner == TOKEN_2022
    holding = TokenAccount.from_bytes(bytes(curve_ata.data[:165]))
    assert (holding.owner, holding.amount) == (curve_key, 10**15)
    curve_account = chain.account(curve_key)
    assert len(curve_account.data) == 115 and curve_account.owner == PUMP
    state = chain.curve(mint)
    assert (state.virtual_token_reserves, state.virtual_sol_reserves, state.real_token_reserves,
            state.creator, state.is_mayhem_mode, state.is_cashback_coin, state.quote_mint) == \
        (1_073_000_000_000_000, 30 * SOL, 793_100_000_000_000, creator, False, False, Pubkey.default())
    (event,) = events_from_logs(result.logs()).of_type(CreateEvent)
    assert (event.mint, event.token_program, event.creator) == (mint, TOKEN_2022, creator)


def test_create_v2_records_mayhem_and_cashback(chain):
    mint, _, result = chain.new_coin("create_v2", Pubkey.new_unique(), mayhem=True, cashback=True)
    state = chain.curve(mint)
    assert state.is_mayhem_mode and state.is_cashback_coin
    (event,) = events_from_logs(result.logs()).of_type(CreateEvent)
    assert event.is_mayhem_mode and event.is_cashback_enabled


def mainnet_buy_exact_sol_in() -> TradeEvent:
    logs = json.loads(MAINNET_TX.read_text())["result"]["meta"]["logMessages"]
    (trade,) = events_from_logs(logs).of_type(TradeEvent)
    return trade


@pytest.mark.parametrize("kind", ["create_v2", "create"])
def test_buy_exact_sol_in_matches_the_mainnet_trade_to_the_lamport(chain, kind):
    """The mainnet tx bought with 3 SOL on a fresh curve; its coin was a cashback coin, so its 30 bps
    went to cashback: here (no cashback) the same 30 bps go to the creator vault."""
    real = mainnet_buy_exact_sol_in()
    assert real.ix_name == "buy_exact_sol_in" and real.sol_amount + real.fee + real.cashback == 3 * SOL
    creator = Pubkey.new_unique()
    mint, token_program, _ = chain.new_coin(kind, creator)
    user = chain.user.pubkey()
    vault = pda(b"creator-vault", bytes(creator))
    before = {k: chain.lamports(k) for k in (user, FEE_RECIPIENT, BUYBACK, vault)}
    data = disc("buy_exact_sol_in") + struct.pack("<QQ", 3 * SOL, real.token_amount) + bytes([0])
    result = chain.ok([create_user_ata(user, mint, token_program),
                       Instruction(PUMP, data, buy_accounts(user, mint, creator, token_program))])
    (trade,) = events_from_logs(result.logs()).of_type(TradeEvent)
    assert (trade.sol_amount, trade.token_amount, trade.fee, trade.buyback_fee, trade.buyback_fee_basis_points) == \
        (real.sol_amount, real.token_amount, real.fee, real.buyback_fee, real.buyback_fee_basis_points)
    assert trade.creator_fee == real.cashback and trade.ix_name == "buy_exact_sol_in"
    assert chain.lamports(BUYBACK) - before[BUYBACK] == 14_074_074
    assert chain.lamports(FEE_RECIPIENT) - before[FEE_RECIPIENT] == 14_074_075
    assert chain.lamports(vault) - before[vault] == 8_888_889     # above the vault's rent: no top-up
    ata_rent = chain.svm.minimum_balance_for_rent_exemption(len(chain.account(ata(user, mint, token_program)).data))
    assert before[user] - chain.lamports(user) == 3 * SOL + ata_rent + 5_000
    state = chain.curve(mint)
    assert (state.virtual_sol_reserves, state.virtual_token_reserves) == (real.virtual_sol_reserves, real.virtual_token_reserves)
    # slippage: asking one token more than the curve gives
    data = disc("buy_exact_sol_in") + struct.pack("<QQ", SOL, 10**15)
    assert chain.error_code([Instruction(PUMP, data, buy_accounts(user, mint, creator, token_program))]) == 6042


@pytest.mark.parametrize("kind", ["create_v2", "create"])
def test_buy_then_sell_fees_split_with_buyback_to_the_lamport(chain, kind):
    creator = Pubkey.new_unique()
    mint, token_program, _ = chain.new_coin(kind, creator)
    user = chain.user.pubkey()
    vault = pda(b"creator-vault", bytes(creator))
    tokens = 10**12
    vsol, vtok = 30 * SOL, 1_073_000_000_000_000
    sol_cost = vsol * tokens // (vtok - tokens) + 1                       # PROTOCOL_FACTS curve math
    fee, creator_fee = -(-sol_cost * 95 // 10_000), -(-sol_cost * 30 // 10_000)
    buyback_fee = fee * 5_000 // 10_000
    chain.ok([create_user_ata(user, mint, token_program)])
    chain.ok([Instruction(PUMP, disc("buy") + struct.pack("<QQ", tokens, SOL), buy_accounts(user, mint, creator, token_program))])
    before = {k: chain.lamports(k) for k in (user, FEE_RECIPIENT, BUYBACK, vault)}
    result = chain.ok([Instruction(PUMP, disc("buy") + struct.pack("<QQ", tokens, SOL) + bytes([1]),
                                   buy_accounts(user, mint, creator, token_program))])
    vsol, vtok = vsol + sol_cost, vtok - tokens
    sol_cost = vsol * tokens // (vtok - tokens) + 1
    fee, creator_fee = -(-sol_cost * 95 // 10_000), -(-sol_cost * 30 // 10_000)
    buyback_fee = fee * 5_000 // 10_000
    assert chain.lamports(BUYBACK) - before[BUYBACK] == buyback_fee
    assert chain.lamports(FEE_RECIPIENT) - before[FEE_RECIPIENT] == fee - buyback_fee
    assert chain.lamports(vault) - before[vault] == creator_fee
    assert before[user] - chain.lamports(user) == sol_cost + fee + creator_fee + 5_000
    (trade,) = events_from_logs(result.logs()).of_type(TradeEvent)
    assert (trade.ix_name, trade.track_volume, trade.buyback_fee) == ("buy", True, buyback_fee)
    vsol, vtok = vsol + sol_cost, vtok - tokens
    holding = TokenAccount.from_bytes(bytes(chain.account(ata(user, mint, token_program)).data[:165]))
    assert holding.amount == 2 * tokens

    before = {k: chain.lamports(k) for k in (user, FEE_RECIPIENT, BUYBACK, vault)}
    chain.ok([Instruction(PUMP, disc("sell") + struct.pack("<QQ", tokens, 0), sell_accounts(user, mint, creator, token_program))])
    sol_out = vsol * tokens // (vtok + tokens)
    fee, creator_fee = -(-sol_out * 95 // 10_000), -(-sol_out * 30 // 10_000)
    buyback_fee = fee * 5_000 // 10_000
    assert chain.lamports(BUYBACK) - before[BUYBACK] == buyback_fee
    assert chain.lamports(FEE_RECIPIENT) - before[FEE_RECIPIENT] == fee - buyback_fee
    assert chain.lamports(vault) - before[vault] == creator_fee
    assert chain.lamports(user) - before[user] == sol_out - fee - creator_fee - 5_000
    state = chain.curve(mint)
    assert (state.virtual_sol_reserves, state.virtual_token_reserves) == (vsol - sol_out, vtok + tokens)


def test_refused_account_lists(chain):
    creator = Pubkey.new_unique()
    mint, token_program, _ = chain.new_coin("create_v2", creator)
    user = chain.user.pubkey()
    chain.ok([create_user_ata(user, mint, token_program)])
    buy = lambda accounts: Instruction(PUMP, disc("buy") + struct.pack("<QQ", 10**9, SOL), accounts)  # noqa: E731
    sell = lambda accounts: Instruction(PUMP, disc("sell") + struct.pack("<QQ", 10**6, 0), accounts)  # noqa: E731
    full_buy, full_sell = buy_accounts(user, mint, creator, token_program), sell_accounts(user, mint, creator, token_program)
    chain.ok([buy(full_buy)])
    assert chain.error_code([buy(full_buy[:12])]) == 3005               # the pre-2025 12-account buy
    assert chain.error_code([buy(full_buy[:16])]) == 6062               # IDL list without curve v2 + buyback
    assert chain.error_code([sell(full_sell[:14])]) == 6062
    not_buyback = buy_accounts(user, mint, creator, token_program, buyback=FEE_RECIPIENT)
    assert chain.error_code([buy(not_buyback)]) == 6057
    assert chain.error_code([buy(full_buy[:16] + [full_buy[17], full_buy[16]])]) == 2006   # swapped: v2 must be the PDA
    wrong_v2 = full_buy[:16] + [ro(pda(b"bonding-curve-v2", bytes(Pubkey.new_unique()))), full_buy[17]]
    assert chain.error_code([buy(wrong_v2)]) == 2006
    wrong_program = buy_accounts(user, mint, creator, TOKEN)              # a Token-2022 coin named with SPL Token
    assert chain.error_code([buy(wrong_program)]) in (2006, 3007)
    assert chain.error_code([buy(buy_accounts(user, mint, creator, token_program, fee_recipient=RESERVED))]) == 6000
    # buy_v2's 27 accounts reach the instruction dispatch: an unknown instruction gets Anchor's fallback
    unknown = Instruction(PUMP, disc("no_such_instruction"), full_buy + full_sell[:9])
    assert chain.error_code([unknown]) == 101


def test_mayhem_coin_pays_a_reserved_fee_recipient(chain):
    creator = Pubkey.new_unique()
    mint, token_program, _ = chain.new_coin("create_v2", creator, mayhem=True)
    user = chain.user.pubkey()
    chain.ok([create_user_ata(user, mint, token_program)])
    data = disc("buy") + struct.pack("<QQ", 10**9, SOL)
    assert chain.error_code([Instruction(PUMP, data, buy_accounts(user, mint, creator, token_program))]) == 6000
    result = chain.ok([Instruction(PUMP, data, buy_accounts(user, mint, creator, token_program, fee_recipient=RESERVED))])
    (trade,) = events_from_logs(result.logs()).of_type(TradeEvent)
    assert trade.mayhem_mode and trade.fee_recipient == RESERVED


def test_legacy_create_keeps_working(chain):
    mint, token_program, result = chain.new_coin("create", Pubkey.new_unique())
    assert chain.account(mint).owner == TOKEN and token_program == TOKEN
    (event,) = events_from_logs(result.logs()).of_type(CreateEvent)
    assert event.token_program == TOKEN and not event.is_mayhem_mode


# ---------- buy_v2 / sell_v2 / buy_exact_quote_in_v2 (BUY.md, SELL.md) and v3 (TRADE_V3.md, SWEEP_FEES.md) ----------
WSOL = K("So11111111111111111111111111111111111111112")


def v2_accounts(user, mint, creator, token_program, is_buy=True, fee_recipient=FEE_RECIPIENT, buyback=BUYBACK,
                quote_mint=WSOL, quote_program=TOKEN) -> list[AccountMeta]:
    """BUY.md accounts 1-27; SELL.md is the same list without #20 global_volume_accumulator."""
    curve, vault = pda(b"bonding-curve", bytes(mint)), pda(b"creator-vault", bytes(creator))
    volume = pda(b"user_volume_accumulator", bytes(user))
    accounts = [
        ro(GLOBAL), ro(mint), ro(quote_mint), ro(token_program), ro(quote_program), ro(ATA_PROGRAM),
        w(fee_recipient), w(ata(fee_recipient, quote_mint, quote_program)),
        w(buyback), w(ata(buyback, quote_mint, quote_program)),
        w(curve), w(ata(curve, mint, token_program)), w(ata(curve, quote_mint, quote_program)),
        signer(user), w(ata(user, mint, token_program)), w(ata(user, quote_mint, quote_program)),
        w(vault), w(ata(vault, quote_mint, quote_program)), ro(pda(b"sharing-config", bytes(mint), program=FEE_PROGRAM)),
        ro(GLOBAL_VOLUME), w(volume), w(ata(volume, quote_mint, quote_program)), ro(FEE_CONFIG), ro(FEE_PROGRAM),
        ro(SYSTEM), ro(EVENT_AUTHORITY), ro(PUMP)]
    if not is_buy:
        del accounts[19]
    return accounts


def v3_accounts(user, mint, token_program, buyback=BUYBACK, quote_mint=WSOL, quote_program=TOKEN) -> list[AccountMeta]:
    """TRADE_V3.md accounts 1-17 (SOL-paired: the buyback wallet itself)."""
    curve = pda(b"bonding-curve", bytes(mint))
    return [ro(GLOBAL), ro(mint), ro(quote_mint), ro(token_program), ro(quote_program), w(curve),
            w(ata(curve, mint, token_program)), w(ata(curve, quote_mint, quote_program)), signer(user),
            w(ata(user, mint, token_program)), w(ata(user, quote_mint, quote_program)),
            w(pda(b"user_volume_accumulator", bytes(user))), ro(FEE_CONFIG), w(buyback), ro(SYSTEM),
            ro(EVENT_AUTHORITY), ro(PUMP)]


def sweep_accounts(payer, mint, recipient, quote_mint=WSOL) -> list[AccountMeta]:
    """SWEEP_FEES.md: the 13 accounts of sweep_protocol_fee / sweep_creator_fee (quote: SPL Token)."""
    curve = pda(b"bonding-curve", bytes(mint))
    return [signer(payer), ro(GLOBAL), ro(mint), ro(quote_mint), ro(TOKEN), ro(ATA_PROGRAM), ro(SYSTEM), w(curve),
            w(ata(curve, quote_mint, TOKEN)), w(recipient), w(ata(recipient, quote_mint, TOKEN)), ro(EVENT_AUTHORITY),
            ro(PUMP)]


def quote_fees(sol: int) -> tuple[int, int, int]:
    """Global here: 95 bps protocol fee, half of it to buyback, 30 bps creator fee; fees rounded up."""
    fee, creator_fee = -(-sol * 95 // 10_000), -(-sol * 30 // 10_000)
    return fee, creator_fee, fee * 5_000 // 10_000


VOLUME_RENT = (137 + 128) * 6_960        # BUY.md: 0.0018444 SOL for the 137-byte user volume accumulator
