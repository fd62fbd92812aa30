"""Pure analysis checks and their synthesis, from hand-written facts and bytes.

Token-2022 and Metaplex bytes are written here from the spl-token-2022 / mpl-token-metadata layouts
(base mint 82 bytes, zero padding to 165, AccountType byte 1 = Mint, then TLV u16 type / u16 length),
never produced by the parser under test."""
from __future__ import annotations

import dataclasses
import struct

import pytest
from solders.pubkey import Pubkey

from actors.policy import analysis as policy
from adapters.analysis.accounts import (parse_metaplex_metadata, parse_mint,
                                        parse_token_metadata_extension)
from config.settings import AnalysisSettings
from tests.bot.test_messages import make_launch

KEY_A = bytes(range(1, 33))
KEY_B = bytes(range(33, 65))
rules = AnalysisSettings()


def base_mint(mint_auth: bytes | None = None, freeze_auth: bytes | None = None, supply: int = 10**15) -> bytes:
    def coption(key):
        return (1).to_bytes(4, "little") + key if key else bytes(4) + bytes(32)
    return coption(mint_auth) + supply.to_bytes(8, "little") + bytes([6, 1]) + coption(freeze_auth)


def token_2022_mint(*entries: tuple[int, bytes], **base) -> bytes:
    data = base_mint(**base)
    assert len(data) == 82
    data += bytes(165 - 82) + bytes([1])          # padding to the account size, AccountType::Mint
    for ext_type, value in entries:
        data += struct.pack("<HH", ext_type, len(value)) + value
    return data


def transfer_fee_config(bps: int, authority: bytes = bytes(32)) -> bytes:
    fee = lambda epoch, maximum, b: struct.pack("<QQH", epoch, maximum, b)   # noqa: E731
    return authority + bytes(32) + struct.pack("<Q", 0) + fee(0, 0, 0) + fee(5, 10**9, bps)


def borsh(text: str) -> bytes:
    raw = text.encode()
    return struct.pack("<I", len(raw)) + raw


# ---- bytes ----------------------------------------------------------------------------------------
def test_plain_mint_has_no_extensions():
    mint = parse_mint(base_mint())
    assert (mint.mint_authority_revoked, mint.freeze_authority_revoked, mint.supply) == (True, True, 10**15)
    assert mint.extensions == {} and mint.risky_extensions() == ()
    live = parse_mint(base_mint(KEY_A, KEY_B, 5))
    assert not live.mint_authority_revoked and not live.freeze_authority_revoked


@pytest.mark.parametrize("entry, expected", [
    ((1, transfer_fee_config(250)), "transfer fee 250 bps"),
    ((1, transfer_fee_config(0, authority=KEY_A)), "transfer fee 0 bps"),   # can be raised later
    ((14, KEY_A + KEY_B), "transfer hook"),                                 # authority, program id
    ((12, KEY_A), "permanent delegate"),
    ((6, bytes([2])), "default account state frozen"),                      # AccountState::Frozen
    ((3, KEY_A), "mint close authority"),
    ((9, b""), "non-transferable"),
])
def test_each_risky_token_2022_extension_is_named(entry, expected):
    mint = parse_mint(token_2022_mint(entry))
    assert mint.risky_extensions() == (expected,)


@pytest.mark.parametrize("entry", [
    (1, transfer_fee_config(0)),          # no fee, no authority
    (14, KEY_A + bytes(32)),              # hook with no program
    (12, bytes(32)),                      # no delegate
    (6, bytes([1])),                      # default state Initialized
    (3, bytes(32)),                       # no close authority
    (18, KEY_A + KEY_B),                  # MetadataPointer: harmless
])
def test_harmless_extensions_pass(entry):
    assert parse_mint(token_2022_mint(entry)).risky_extensions() == ()


def test_several_extensions_and_malformed_tail():
    data = token_2022_mint((18, KEY_A + KEY_B), (12, KEY_B), (6, bytes([2])))
    assert parse_mint(data).risky_extensions() == ("permanent delegate", "default account state frozen")
    with pytest.raises(ValueError):
        parse_mint(data[:-1])                                 # last entry overruns
    bad_type = bytearray(token_2022_mint((12, KEY_B)))
    bad_type[165] = 2                                         # AccountType::Account, not a mint
    with pytest.raises(ValueError):
        parse_mint(bytes(bad_type))


def test_token_2022_metadata_extension():
    value = KEY_A + KEY_B + borsh("Coin") + borsh("CN") + borsh("https://x/c.json") + struct.pack("<I", 0)
    meta = parse_token_metadata_extension(value)
    assert (meta.name, meta.symbol, meta.uri, meta.mutable) == ("Coin", "CN", "https://x/c.json", True)
    assert meta.update_authority == str(Pubkey.from_bytes(KEY_A))
    frozen = parse_token_metadata_extension(bytes(32) + KEY_B + borsh("C") + borsh("C") + borsh("u"))
    assert frozen.update_authority is None and frozen.mutable is False


def test_metaplex_metadata_mutable_flag():
    head = bytes([4]) + KEY_A + KEY_B + borsh("Name\0\0") + borsh("SYM") + borsh("https://u")
    immutable = head + struct.pack("<H", 0) + bytes([0]) + bytes([0, 0])   # no creators, sale, is_mutable
    meta = parse_metaplex_metadata(immutable)
    assert (meta.name, meta.symbol, meta.uri, meta.mutable) == ("Name", "SYM", "https://u", False)
    creators = bytes([1]) + struct.pack("<I", 1) + KEY_B + bytes([1, 100])
    mutable = head + struct.pack("<H", 500) + creators + bytes([0, 1])
    assert parse_metaplex_metadata(mutable).mutable is True
    assert parse_metaplex_metadata(head).mutable is None        # truncated: unknown, not "immutable"


# ---- checks ---------------------------------------------------------------------------------------
def launch(**fields):
    return dataclasses.replace(make_launch(), **{"token_program": policy.TOKEN_PROGRAM, **fields})


def good_facts(**overrides) -> dict:
    facts = {"launch": launch(name="Good", symbol="GOOD", uri="https://meta/good.json"),
             "creator": (0, 0), "kind_refusal": "",
             "mint": parse_mint(base_mint()),
             "metadata": parse_metaplex_metadata(bytes([4]) + KEY_A + KEY_B + borsh("Good") + borsh("GOOD")
                                                 + borsh("u") + bytes([0, 0, 0, 0, 0])),
             "holders": 300,
             "uri_json": {"name": "Good", "symbol": "GOOD", "image": "https://i", "twitter": "t"},
             "rugcheck": {"score_normalised": 10},
             "organic": {"organicScore": 80},
             "honeypot": (True, 250, "")}
    facts.update(overrides)
    return facts


def test_good_coin_is_bought_with_no_reasons():
    decision = policy.decide(good_facts(), rules, "full")
    assert decision.buy and decision.reasons == () and decision.skip_keys == () and decision.score >= 90


@pytest.mark.parametrize("override, key, text", [
    ({"holders": 6_200}, "top_holder", "top holder 62 % > 20 %"),
    ({"mint": parse_mint(base_mint(KEY_A))}, "mint_authority", "mint authority not revoked"),
    ({"mint": parse_mint(token_2022_mint((12, KEY_B)))}, "risky_extension", "Token-2022 permanent delegate"),
    ({"honeypot": (False, 10_000, "sell fails: custom error")}, "honeypot", "simulated sell fails"),
    ({"honeypot": (True, 4_000, "")}, "roundtrip_loss", "round trip loses 40 %"),
    ({"rugcheck": {"score_normalised": 90}}, "rugcheck_risk", "RugCheck risk 90 > 60"),
    ({"metadata": None}, "no_metadata", "no metadata"),
    ({"creator": (0, 2)}, "creator_rugs", "2 rug(s)"),
])
def test_each_veto_refuses_with_a_stable_key_and_human_text(override, key, text):
    decision = policy.decide(good_facts(**override), rules, "full")
    assert not decision.buy
    assert key in decision.skip_keys
    assert any(text in reason for reason in decision.reasons), decision.reasons
    assert len(decision.reasons) == len(decision.skip_keys)


def test_soft_findings_lower_the_score_without_veto():
    soft = good_facts(organic={"organicScore": 5}, creator=(9, 0),
                      uri_json={"name": "Other", "symbol": "GOOD"})
    base = policy.decide(good_facts(), rules, "full").score
    decision = policy.decide(soft, rules, "full")
    assert decision.score < base
    strict = dataclasses.replace(rules, min_score=decision.score + 1)
    refused = policy.decide(soft, strict, "full")
    assert not refused.buy and refused.skip_keys[-1] == "low_score"
    assert {"low_organic", "serial_creator", "uri_content"} <= set(refused.skip_keys)
    assert any("uri name 'Other' != 'Good'" in r for r in refused.reasons)


def test_missing_critical_check_refuses_and_missing_optional_renormalises():
    no_holders = good_facts(); del no_holders["holders"]
    decision = policy.decide(no_holders, rules, "full")
    assert not decision.buy and "missing_holders" in decision.skip_keys and "holders" in decision.missing
    optional = good_facts(organic={"organicScore": 0}, holders=0)
    del optional["rugcheck"], optional["uri_json"]
    with_zero = policy.decide(optional, rules, "full")
    del optional["organic"]
    without = policy.decide(optional, rules, "full")
    assert without.buy and without.score == 100            # renormalised over what is present
    assert with_zero.score < without.score
    assert set(without.missing) == {"uri", "rugcheck", "organic"}
    no_probe = good_facts(); del no_probe["honeypot"]
    assert not policy.decide(no_probe, rules, "full").buy
    assert policy.decide(no_probe, dataclasses.replace(rules, honeypot_check=False), "full").buy


def test_fast_mode_uses_the_create_event_only():
    facts = {"launch": launch(name="Good", symbol="GOOD", uri="https://meta/good.json"), "creator": (0, 0),
             "kind_refusal": ""}
    decision = policy.decide(facts, rules, "fast")
    assert decision.buy and decision.missing == () and decision.score == 100
    odd = {"launch": launch(name="", symbol="X" * 30, uri="javascript:alert(1)"), "creator": (0, 0)}
    refused = policy.decide(odd, rules, "fast")
    assert not refused.buy and refused.skip_keys[0] == "sanity"
    assert "empty name" in refused.reasons[0] and "not http(s)/ipfs/ar" in refused.reasons[0]
    weird_program = {"launch": launch(uri="https://a", token_program=str(Pubkey.from_bytes(KEY_A))),
                     "creator": (0, 0)}
    assert policy.decide(weird_program, rules, "fast").skip_keys == ("token_program",)
    no_2022 = dataclasses.replace(rules, allow_token_2022=False)
    t22 = {"launch": launch(name="A", symbol="A", uri="https://a",
                            token_program=policy.TOKEN_2022_PROGRAM), "creator": (0, 0)}
    assert policy.decide(t22, no_2022, "fast").skip_keys == ("token_2022",)


def test_program_check_knows_the_documented_token_program_ids():
    # the ids as the SPL docs spell them, typed here (not read from the module under test)
    for program in ("TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA", "TokenzQdBNbLqP5VEhdkAS6EPFLC1PHnBqCXEpPxuEb"):
        facts = {"launch": launch(name="A", symbol="A", uri="https://a", token_program=program), "creator": (0, 0)}
        assert policy.check_program(facts, rules).score == 100, program
    no_2022 = dataclasses.replace(rules, allow_token_2022=False)
    t22 = {"launch": launch(token_program="TokenzQdBNbLqP5VEhdkAS6EPFLC1PHnBqCXEpPxuEb"), "creator": (0, 0)}
    assert policy.check_program(t22, no_2022).key == "token_2022"


def test_fast_checks_honour_the_trading_policy_on_mayhem_coins():
    from adapters.analysis.gather import fast_facts
    from config.settings import TradingSettings
    mayhem = launch(name="May", symbol="MAY", uri="https://a", is_mayhem_mode=True)
    refused = policy.decide(fast_facts(mayhem, None, TradingSettings()), rules, "fast")   # trade_mayhem off by default
    assert not refused.buy and refused.skip_keys == ("mayhem",)
    assert refused.reasons == ("policy: mayhem (trading.trade_mayhem = false)",)
    allowed = policy.decide(fast_facts(mayhem, None, TradingSettings(trade_mayhem=True)), rules, "fast")
    assert allowed.buy and allowed.score == 100 and allowed.missing == ("creator",)
    plain = policy.decide(fast_facts(launch(name="A", symbol="A", uri="https://a"), None, TradingSettings()),
                          rules, "fast")
    assert plain.buy
