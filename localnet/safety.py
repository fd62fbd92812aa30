"""Token-safety data services of the local chain: a RugCheck-compatible
`/v1/tokens/{mint}/report/summary` and a Jupiter-Tokens-compatible `/tokens/v2/search?query=`.
Answers come from the chain's real state (mint and freeze authorities, holders from token
accounts, top-holder shares, Metaplex name/symbol) plus an optional per-coin fate hint registered by
the market (`register_fate`): a rug-fated coin tends to score worse, through seeded noise, so an
analysis reading these services is informed but never handed the answer."""
from __future__ import annotations

import hashlib
import random
import struct
from dataclasses import dataclass, field

from aiohttp import web
from solders.pubkey import Pubkey

from adapters.pumpfun import addresses as pump
from adapters.pumpswap import addresses as swap_addr
from adapters.stats import BoundedDict
from localnet import encoding
from localnet.jupiter_limits import RateLimit, service_middlewares

RUG_FATES = frozenset({"rug", "creator_rug"})
DUMP_FATES = frozenset({"pump_dump", "pump_and_dump"})
# chance that a fate shows through in the analysis, and of a false alarm on an honest coin
RUG_SIGNAL_CHANCE = 0.75
DUMP_SIGNAL_CHANCE = 0.35
FALSE_ALARM_CHANCE = 0.05
SCORE_NOISE = 8                       # +- points on the 0-100 scale
MAX_SEARCH_MINTS = 100
FATES_REMEMBERED = 200_000            # registered fates of the most recent coins (bounded memory)


@dataclass(frozen=True)
class SafetyOptions:
    rate_limit: RateLimit = field(default_factory=RateLimit)
    latency_s: float = 0.0
    seed: int = 0


@dataclass(frozen=True)
class TokenFacts:
    """What the chain says about a mint (raw units)."""
    mint: Pubkey
    token_program: Pubkey
    decimals: int
    supply: int
    mint_authority: str | None
    freeze_authority: str | None
    holder_count: int
    top_holder_raw: int
    top10_raw: int
    name: str
    symbol: str

    def share_pct(self, raw: int) -> float:
        """Percentage of supply, for display (never money)."""
        return round(100 * raw / self.supply, 2) if self.supply else 0.0


def _liquidity_accounts(mint: Pubkey) -> set[Pubkey]:
    """The curve's and the pool's vaults: liquidity, not holders (as RugCheck and Jupiter count)."""
    pool = swap_addr.canonical_pool(mint)
    return {pump.associated_bonding_curve(mint), *swap_addr.pool_vaults(pool, mint)}


def _metadata_name_symbol(chain, mint: Pubkey) -> tuple[str, str]:
    """Metaplex Metadata: key u8, update authority, mint, then name and symbol (padded Borsh strings)."""
    account = chain.get_account(pump.metadata(mint))
    if account is None:
        return "", ""
    data, pos, fields = bytes(account.data), 1 + 32 + 32, []
    for _ in range(2):
        if pos + 4 > len(data):
            return "", ""
        (length,), pos = struct.unpack_from("<I", data, pos), pos + 4
        fields.append(data[pos:pos + length].rstrip(b"\0").decode("utf-8", errors="replace"))
        pos += length
    return fields[0], fields[1]


def read_token_facts(chain, mint: Pubkey) -> TokenFacts | None:
    """None if `mint` is not an SPL mint on the chain."""
    account = chain.get_account(mint)
    if account is None or not encoding.is_mint(account.owner, bytes(account.data)):
        return None
    parsed = encoding.parsed_mint(bytes(account.data))["info"]
    wanted, liquidity = bytes(mint), _liquidity_accounts(mint)
    balances = sorted((encoding.token_account_amount(data) for key, data in _token_accounts(chain, account.owner)
                       if data[:32] == wanted and key not in liquidity), reverse=True)
    balances = [b for b in balances if b > 0]
    name, symbol = _metadata_name_symbol(chain, mint)
    return TokenFacts(mint=mint, token_program=account.owner, decimals=parsed["decimals"], supply=int(parsed["supply"]),
                      mint_authority=parsed["mintAuthority"], freeze_authority=parsed["freezeAuthority"],
                      holder_count=len(balances), top_holder_raw=balances[0] if balances else 0,
                      top10_raw=sum(balances[:10]), name=name, symbol=symbol)


def _token_accounts(chain, program: Pubkey):
    for key, account in chain.svm.get_program_accounts(program):
        data = bytes(account.data)
        if encoding.is_token_account(account.owner, data):
            yield key, data


def _risk(name: str, value: str, description: str, score: int, level: str) -> dict:
    return {"name": name, "value": value, "description": description, "score": score, "level": level}


class TokenSafety:
    """Scores tokens from chain facts and registered fates; deterministic under `seed`."""

    def __init__(self, chain, seed: int = 0):
        self.chain = chain
        self.seed = seed
        self._fates = BoundedDict(FATES_REMEMBERED)   # mint -> fate, oldest forgotten
        self.fate_source = None     # optional callable mint -> fate (the market's script), asked when unregistered

    def register_fate(self, mint: Pubkey, fate: str) -> None:
        """The market's script for a coin (e.g. "rug", "pump_dump", "graduation"); a hint, not a verdict."""
        if not isinstance(mint, Pubkey) or not isinstance(fate, str) or not fate:
            raise ValueError("register_fate needs a Pubkey mint and a non-empty fate name")
        self._fates[mint] = fate

    def _fate_from_source(self, mint: Pubkey) -> str:
        fate = self.fate_source(mint) if self.fate_source is not None else None
        return getattr(fate, "value", fate) or ""

    def _rng(self, mint: Pubkey) -> random.Random:
        digest = hashlib.sha256(f"{self.seed}:{mint}".encode()).digest()
        return random.Random(int.from_bytes(digest[:8], "little"))

    def _creator_flagged(self, mint: Pubkey, rng: random.Random) -> bool:
        fate = self._fates.get(mint) or self._fate_from_source(mint)
        chance = RUG_SIGNAL_CHANCE if fate in RUG_FATES else DUMP_SIGNAL_CHANCE if fate in DUMP_FATES else FALSE_ALARM_CHANCE
        return rng.random() < chance

    def risks(self, facts: TokenFacts, rng: random.Random) -> list[dict]:
        risks = []
        if facts.mint_authority is not None:
            risks.append(_risk("Mint Authority still enabled", "", "More tokens can be minted by the owner", 3000, "danger"))
        if facts.freeze_authority is not None:
            risks.append(_risk("Freeze Authority still enabled", "", "Tokens can be frozen and prevented from trading",
                               3000, "danger"))
        top = facts.share_pct(facts.top_holder_raw)
        if top > 10:
            risks.append(_risk("Single holder ownership", f"{top}%", "One user holds a large amount of the token supply",
                               int(top * 20), "danger" if top > 30 else "warn"))
        top10 = facts.share_pct(facts.top10_raw)
        if top10 > 30:
            risks.append(_risk("Top 10 holders high ownership", f"{top10}%",
                               "The top 10 users hold more than 30% token supply", int(top10 * 10), "danger"))
        if facts.holder_count < 10:
            risks.append(_risk("Low amount of holders", str(facts.holder_count),
                               "Only a few users are holding this token", 300, "warn"))
        if self._creator_flagged(facts.mint, rng):
            risks.append(_risk("Creator history of rugged tokens", "",
                               "Creator has a history of rugging tokens", 4000, "danger"))
        return risks

    def report_summary(self, mint: Pubkey) -> dict | None:
        """RugCheck /report/summary: higher score = riskier; score_normalised in 0-100."""
        facts = read_token_facts(self.chain, mint)
        if facts is None:
            return None
        rng = self._rng(mint)
        risks = self.risks(facts, rng)
        score = sum(r["score"] for r in risks)
        normalised = max(0, min(100, score // 100 + rng.randint(-SCORE_NOISE, SCORE_NOISE)))
        return {"tokenProgram": str(facts.token_program), "tokenType": "", "risks": risks, "score": score,
                "score_normalised": normalised, "lpLockedPct": 0}

    def token_info(self, mint: Pubkey) -> dict | None:
        """Jupiter Tokens v2 entry: organicScore 0-100, higher = healthier."""
        facts = read_token_facts(self.chain, mint)
        if facts is None:
            return None
        rng = self._rng(mint)
        penalty = 40 if self._creator_flagged(mint, rng) else 0
        organic = max(0.0, min(100.0, facts.holder_count * 4.0 - penalty + rng.uniform(-SCORE_NOISE, SCORE_NOISE)))
        label = "high" if organic >= 70 else "medium" if organic >= 35 else "low"
        return {"id": str(mint), "name": facts.name, "symbol": facts.symbol, "icon": None, "decimals": facts.decimals,
                "tokenProgram": str(facts.token_program), "launchpad": "pump.fun" if self.chain.get_account(pump.bonding_curve(mint)) else None, "holderCount": facts.holder_count,
                "organicScore": round(organic, 2), "organicScoreLabel": label, "isVerified": False,
                "audit": {"mintAuthorityDisabled": facts.mint_authority is None,
                          "freezeAuthorityDisabled": facts.freeze_authority is None,
                          "topHoldersPercentage": facts.share_pct(facts.top10_raw)}}


def _parse_mint(text: str) -> Pubkey | None:
    try:
        return Pubkey.from_string(text)
    except ValueError:
        return None


def make_rugcheck_app(safety: TokenSafety, options: SafetyOptions = SafetyOptions()) -> web.Application:
    """Mount under "/v1": GET /tokens/{mint}/report/summary."""

    async def summary(request: web.Request) -> web.Response:
        mint = _parse_mint(request.match_info["mint"])
        if mint is None:
            return web.json_response({"error": "invalid token mint"}, status=400)
        report = safety.report_summary(mint)
        if report is None:
            return web.json_response({"error": "not found"}, status=404)
        return web.json_response(report)

    app = web.Application(middlewares=service_middlewares(options.rate_limit, options.latency_s))
    app.router.add_get("/tokens/{mint}/report/summary", summary)
    return app


def make_tokens_app(safety: TokenSafety, options: SafetyOptions = SafetyOptions()) -> web.Application:
    """Mount under "/tokens/v2": GET /search?query=<mint>[,<mint>...] (unknown mints are left out)."""

    async def search(request: web.Request) -> web.Response:
        query = request.query.get("query", "").strip()
        if not query:
            return web.json_response({"error": "query is required"}, status=400)
        terms = [t.strip() for t in query.split(",") if t.strip()]
        if len(terms) > MAX_SEARCH_MINTS:
            return web.json_response({"error": f"at most {MAX_SEARCH_MINTS} mints per query"}, status=400)
        mints = [m for m in (_parse_mint(t) for t in terms) if m is not None]
        return web.json_response([info for info in (safety.token_info(m) for m in mints) if info is not None])

    app = web.Application(middlewares=service_middlewares(options.rate_limit, options.latency_s))
    app.router.add_get("/search", search)
    return app
