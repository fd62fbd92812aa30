"""Trade sizes and timing fitted to shared/data/pumpfun_trades_2025-09.csv (1,499 real pump.fun
trades of 3 coins, Sept 2025), and samplers that draw from the fitted shapes.

Figures fitted (pooled over the three coins):
- trade size in lamports: log-normal, ln-mean 17.37 (e^mu = 0.035 SOL), ln-sd 1.8 for buys (sells
  the same: 17.37 / 1.78); 25% of trades above 0.1 SOL, 4-6% above 1 SOL.
- buys are 51.5% of trades.
- trades per burst (rows sharing a block): 1: 27%, 2: 56%, 3: 6%, 4+: 11% (mean 1.9).
- gap between bursts of one coin: median 1 s, p75 21 s, p99 235 s: a mixture, 55% exponential
  (mean 1 s) and 45% log-normal around 20 s (ln-sd 1.0).
- a sell sells the seller's whole holding 94% of the time, otherwise a part of it.
"""
from __future__ import annotations

import math
import random

TRADE_LN_MEAN = 17.37
TRADE_LN_SD = 1.8
BUY_SHARE = 0.515
BURST_SIZES = (1, 2, 3, 4, 5, 8)
BURST_WEIGHTS = (27, 56, 6, 3, 3, 5)       # % of bursts, the tail (4..8) lumped into three sizes
QUICK_GAP_SHARE = 0.55
QUICK_GAP_MEAN_S = 1.0
SLOW_GAP_LN_MEAN = math.log(20.0)
SLOW_GAP_LN_SD = 1.0
SELL_ALL_SHARE = 0.94
MIN_TRADE_LAMPORTS = 1_000_000             # 0.001 SOL: below this a trade is dust nobody sends
MAX_TRADE_LAMPORTS = 50_000_000_000        # 50 SOL: the fitted tail clipped to what wallets hold


def trade_lamports(rng: random.Random, scale: float = 1.0) -> int:
    """A heavy-tailed trade size (log-normal as fitted), times `scale`, clipped to sane bounds."""
    size = int(math.exp(rng.gauss(TRADE_LN_MEAN, TRADE_LN_SD)) * scale)
    return max(MIN_TRADE_LAMPORTS, min(MAX_TRADE_LAMPORTS, size))


def burst_size(rng: random.Random) -> int:
    return rng.choices(BURST_SIZES, BURST_WEIGHTS)[0]


def burst_gap_seconds(rng: random.Random, intensity: float = 1.0) -> float:
    """Simulated seconds until a coin's next burst; `intensity` > 1 compresses the gaps."""
    if rng.random() < QUICK_GAP_SHARE:
        gap = rng.expovariate(1.0 / QUICK_GAP_MEAN_S)
    else:
        gap = math.exp(rng.gauss(SLOW_GAP_LN_MEAN, SLOW_GAP_LN_SD))
    return gap / intensity


def sell_fraction_bps(rng: random.Random) -> int:
    """Share of a holding to sell, in basis points (integers: token amounts stay exact)."""
    return 10_000 if rng.random() < SELL_ALL_SHARE else rng.randint(2_000, 8_000)

# Launch kinds and trade instructions: NOT fitted (the Sept 2025 CSV names no instructions, and
# pump-fun/pump-public-docs gives no shares). Assumptions, stated as such: pump.fun's own UI launches
# `create_v2` (Token-2022) coins since late 2025, so most launches here are create_v2; a minority
# still come through older tools' `create`; mayhem mode (a reserved fee recipient) and USDC pairing
# (docs of May 2026: "USDC paired coins") are opt-in choices at creation, taken here by 4 % each.
# USDC-paired coins trade with the v2 / v3 quote lists only; their sizes are the fitted lamport sizes
# converted at the ratio of the two curves' initial virtual reserves (coins.quote_units).
LAUNCH_KIND_WEIGHTS = {"create_v2": 0.77, "create": 0.15, "mayhem": 0.04, "usdc": 0.04}
# which instruction family a market trader uses (legacy buy/sell, buy_v2/sell_v2, buy_v3/sell_v3):
# an assumption, weighted to the legacy list most bots still send
TRADE_FAMILY_WEIGHTS = {"legacy": 0.6, "v2": 0.2, "v3": 0.2}
