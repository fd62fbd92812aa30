"""Pure checks over gathered launch facts, and the decision synthesised from them.

Each check takes the facts dict and the AnalysisSettings and returns a Check, or None when its facts
are missing (the source failed, timed out or is not configured). Partial-result policy: a missing
CRITICAL check (authority, holders, honeypot in full mode) means no buy; a missing optional check is
left out and the remaining weights are renormalised. A veto is a no-buy whatever the score.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from adapters.pumpfun import addresses

# the canonical ids (a hand-typed copy here once carried a wrong Token-2022 id)
TOKEN_PROGRAM = str(addresses.TOKEN_PROGRAM)
TOKEN_2022_PROGRAM = str(addresses.TOKEN_2022_PROGRAM)
URI_SCHEMES = ("https://", "http://", "ipfs://", "ar://")
SOCIAL_KEYS = ("twitter", "telegram", "website")
PRINTABLE = re.compile(r"^[\x20-\x7e\u00a0-\uffff]+$")


@dataclass(frozen=True)
class Check:
    name: str
    score: int               # 0-100, higher = safer
    veto: bool = False
    key: str = ""            # short stable key for counting skips ("top_holder"); "" when passed
    text: str = ""           # human reason ("top holder 62 % > 40 %"); "" when nothing to say


@dataclass(frozen=True)
class Decision:
    buy: bool
    score: int
    reasons: tuple           # human text
    skip_keys: tuple         # stable keys, same order as reasons
    missing: tuple           # checks whose facts were missing


def _pct(bps: int) -> str:
    return f"{bps / 100:g} %"


# ---- checks needing no RPC (fast mode) ----------------------------------------------------------
def check_sanity(facts: dict, rules) -> Check:
    """An empty name or symbol vetoes; an odd name/symbol or a uri that is not http(s)/ipfs/ar
    lowers the score."""
    launch = facts["launch"]
    problems, empty = [], False
    for label, value, limit in (("name", launch.name, 32), ("symbol", launch.symbol, 10)):
        if not value.strip():
            problems.append(f"empty {label}")
            empty = True
        elif len(value) > limit or not PRINTABLE.match(value):
            problems.append(f"odd {label} {value[:40]!r}")
    if not launch.uri.startswith(URI_SCHEMES):
        problems.append(f"uri {launch.uri[:40]!r} is not http(s)/ipfs/ar")
    if not problems:
        return Check("sanity", 100)
    return Check("sanity", max(0, 100 - 40 * len(problems)), veto=empty, key="sanity",
                 text="; ".join(problems))


def check_program(facts: dict, rules) -> Check:
    program = facts["launch"].token_program
    if program == TOKEN_PROGRAM:
        return Check("program", 100)
    if program == TOKEN_2022_PROGRAM:
        return Check("program", 100 if rules.allow_token_2022 else 0, veto=not rules.allow_token_2022,
                     key="" if rules.allow_token_2022 else "token_2022",
                     text="" if rules.allow_token_2022 else "Token-2022 coins not allowed")
    return Check("program", 0, veto=True, key="token_program", text=f"unknown token program {program}")


def check_kind(facts: dict, rules) -> Check | None:
    """The coin's kind (mayhem, cashback, quote mint; flags of the create event) against the
    [trading] policy, so a fast-mode answer honours trading.trade_mayhem like the Director does.
    A pure veto: weight 0, it never moves the score."""
    if "kind_refusal" not in facts:
        return None
    refusal = facts["kind_refusal"]
    if not refusal:
        return Check("kind", 100)
    from adapters.pumpfun.venue import POLICY_SETTINGS
    key = refusal.removeprefix("policy: ").replace(" ", "_").replace("-", "_")
    return Check("kind", 0, veto=True, key=key, text=f"{refusal} ({POLICY_SETTINGS.get(refusal, '[trading]')})")


def check_creator(facts: dict, rules) -> Check | None:
    history = facts.get("creator")
    if history is None:
        return None
    launches, rugs = history
    if rugs:
        return Check("creator", 0, veto=True, key="creator_rugs",
                     text=f"creator has {rugs} rug(s) seen")
    score = max(0, 100 - 100 * launches // (rules.max_creator_launches + 1))
    if launches > rules.max_creator_launches:   # soft: a busy creator is suspicious, not proof
        return Check("creator", score, key="serial_creator",
                     text=f"creator launched {launches} other coins > {rules.max_creator_launches}")
    return Check("creator", score)


# ---- checks over chain facts --------------------------------------------------------------------
def check_authority(facts: dict, rules) -> Check | None:
    mint = facts.get("mint")
    if mint is None:
        return None
    problems, keys = [], []
    if not mint.mint_authority_revoked:
        problems.append("mint authority not revoked"); keys.append("mint_authority")
    if not mint.freeze_authority_revoked:
        problems.append("freeze authority not revoked"); keys.append("freeze_authority")
    for risky in mint.risky_extensions():
        problems.append(f"Token-2022 {risky}"); keys.append("risky_extension")
    if not problems:
        return Check("authority", 100)
    return Check("authority", 0, veto=True, key=keys[0], text="; ".join(problems))


def check_holders(facts: dict, rules) -> Check | None:
    holders = facts.get("holders")
    if holders is None:
        return None
    top_bps = holders
    limit = rules.max_top_holder_share_bps
    if top_bps > limit:
        return Check("holders", 0, veto=True, key="top_holder",
                     text=f"top holder {_pct(top_bps)} > {_pct(limit)}")
    return Check("holders", 100 - 100 * top_bps // max(limit, 1))


def check_metadata(facts: dict, rules) -> Check | None:
    if "metadata" not in facts:
        return None
    meta = facts["metadata"]
    if meta is None:
        return Check("metadata", 0, veto=rules.require_metadata, key="no_metadata", text="no metadata")
    if meta.mutable:
        return Check("metadata", 50, key="mutable_metadata",
                     text=f"metadata mutable (update authority {meta.update_authority})")
    return Check("metadata", 100)


def check_uri(facts: dict, rules) -> Check | None:
    if "uri_json" not in facts:
        return None
    doc, launch = facts["uri_json"], facts["launch"]
    if not isinstance(doc, dict):
        return Check("uri", 0, key="uri_unreadable", text="metadata uri unreadable")
    problems = []
    if str(doc.get("name", "")).strip() != launch.name.strip():
        problems.append(f"uri name {str(doc.get('name'))[:32]!r} != {launch.name[:32]!r}")
    if str(doc.get("symbol", "")).strip() != launch.symbol.strip():
        problems.append(f"uri symbol {str(doc.get('symbol'))[:10]!r} != {launch.symbol[:10]!r}")
    if not doc.get("image"):
        problems.append("no image")
    socials = [k for k in SOCIAL_KEYS if doc.get(k)]
    if len(socials) < rules.min_socials:
        problems.append(f"{len(socials)} social link(s) < {rules.min_socials}")
    if not problems:
        return Check("uri", 100)
    return Check("uri", max(0, 100 - 30 * len(problems)), key="uri_content", text="; ".join(problems))


def check_rugcheck(facts: dict, rules) -> Check | None:
    report = facts.get("rugcheck")
    if report is None:
        return None
    risk = int(report.get("score_normalised", 100))
    if risk > rules.max_rugcheck_risk:
        return Check("rugcheck", 100 - risk, veto=True, key="rugcheck_risk",
                     text=f"RugCheck risk {risk} > {rules.max_rugcheck_risk}")
    return Check("rugcheck", 100 - risk)


def check_organic(facts: dict, rules) -> Check | None:
    info = facts.get("organic")
    if info is None:
        return None
    organic = int(float(info.get("organicScore") or 0))
    if organic < rules.min_organic_score:
        return Check("organic", organic, key="low_organic",
                     text=f"organic score {organic} < {rules.min_organic_score}")
    return Check("organic", organic)


def check_honeypot(facts: dict, rules) -> Check | None:
    result = facts.get("honeypot")
    if result is None:
        return None
    sell_ok, loss_bps, error = result
    if not sell_ok:
        return Check("honeypot", 0, veto=True, key="honeypot", text=f"simulated sell fails ({error})")
    if loss_bps > rules.max_roundtrip_loss_bps:
        return Check("honeypot", 0, veto=True, key="roundtrip_loss",
                     text=f"buy+sell round trip loses {_pct(loss_bps)} > {_pct(rules.max_roundtrip_loss_bps)}")
    return Check("honeypot", 100)


FAST_CHECKS = (check_sanity, check_program, check_kind, check_creator)
FULL_CHECKS = FAST_CHECKS + (check_authority, check_holders, check_metadata, check_uri,
                             check_rugcheck, check_organic, check_honeypot)
CRITICAL_FULL = ("authority", "holders", "honeypot")


def weights(rules) -> dict:
    return {"sanity": rules.weight_sanity, "program": rules.weight_program, "kind": 0,
            "creator": rules.weight_creator, "authority": rules.weight_authority,
            "holders": rules.weight_holders, "metadata": rules.weight_metadata,
            "uri": rules.weight_uri, "rugcheck": rules.weight_rugcheck,
            "organic": rules.weight_organic, "honeypot": rules.weight_honeypot}


def decide(facts: dict, rules, mode: str | None = None) -> Decision:
    """Run the mode's checks and synthesise: vetoes and missing critical checks refuse; otherwise
    the weighted mean (weights renormalised over the checks present) must reach min_score."""
    mode = mode or rules.mode
    checks = FAST_CHECKS if mode == "fast" else FULL_CHECKS
    critical = () if mode == "fast" else tuple(c for c in CRITICAL_FULL
                                               if c != "honeypot" or rules.honeypot_check)
    results, missing = [], []
    for check in checks:
        result = check(facts, rules)
        if result is None:
            missing.append(check.__name__.removeprefix("check_"))
        else:
            results.append(result)
    table = weights(rules)
    total = sum(table[r.name] for r in results)
    score = round(sum(table[r.name] * r.score for r in results) / total) if total else 0
    reasons = [(r.key, r.text) for r in results if r.text]
    for name in missing:
        if name in critical:
            reasons.append((f"missing_{name}", f"{name} check missing (source failed or timed out)"))
    refused = any(r.veto for r in results) or any(n in critical for n in missing)
    if not refused and score < rules.min_score:
        reasons.append(("low_score", f"score {score} < {rules.min_score}"))
        refused = True
    if not refused:
        reasons = []   # a buy carries no reasons against
    return Decision(not refused, score, tuple(t for _, t in reasons), tuple(k for k, _ in reasons),
                    tuple(missing))
