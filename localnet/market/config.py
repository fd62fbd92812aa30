"""Market settings (from `python -m localnet` flags) and the scripted fates a coin can have."""
from __future__ import annotations

import enum
from dataclasses import dataclass, field
from pathlib import Path

from localnet.market import fitted

MAX_LAUNCH_RATE = 50.0


class Fate(str, enum.Enum):
    DIES = "dies"               # a few trades, then silence
    PUMP_DUMP = "pump_dump"     # a buying rush, then holders dump
    RUG = "rug"                 # creator buys a large holding early and sells it all at once
    GRIND = "grind"             # slow trading with a mild upward drift over a long life
    GRADUATE = "graduate"       # buying until the curve's real token reserves reach zero


# ~1% graduate (PROTOCOL_FACTS: 0.6-2%); most coins die quietly on launch day
DEFAULT_FATE_WEIGHTS = {Fate.DIES: 0.62, Fate.PUMP_DUMP: 0.17, Fate.RUG: 0.12, Fate.GRIND: 0.08, Fate.GRADUATE: 0.01}


def parse_fate_weights(text: str) -> dict[Fate, float]:
    """'dies=60,rug=20,graduate=1' -> weights; fates not named keep weight 0."""
    weights = {fate: 0.0 for fate in Fate}
    for part in filter(None, (p.strip() for p in text.split(","))):
        name, sep, value = part.partition("=")
        try:
            fate = Fate(name.strip())
            weight = float(value) if sep else float("nan")
        except ValueError:
            raise ValueError(f"bad fate weight {part!r}: expected NAME=NUMBER with NAME one of "
                             f"{', '.join(f.value for f in Fate)}") from None
        if not weight >= 0:
            raise ValueError(f"bad fate weight {part!r}: the weight must be a number >= 0")
        weights[fate] = weight
    if sum(weights.values()) <= 0:
        raise ValueError(f"fate weights {text!r} are all zero")
    return weights


@dataclass(frozen=True)
class MarketConfig:
    seed: int = 0
    launch_rate: float = 0.5          # coins per simulated second (mainnet average: ~1 every 2 s)
    speed: float = 1.0                # simulated seconds per real second
    fate_weights: dict = field(default_factory=lambda: dict(DEFAULT_FATE_WEIGHTS))
    smart_wallets: int = 3
    trader_wallets: int = 64
    creator_wallets: int = 16
    wallet_lamports: int = 2_000 * 10**9
    replay: Path | None = None
    max_coins: int | None = None      # stop launching after this many (tests, benchmarks)
    stop_after_s: float | None = None  # simulated seconds after which the script stops (bounded runs)
    launch_kinds: dict = field(default_factory=lambda: dict(fitted.LAUNCH_KIND_WEIGHTS))
    trade_families: dict = field(default_factory=lambda: dict(fitted.TRADE_FAMILY_WEIGHTS))
    migration_delay_s: float = 0.0    # real seconds from a curve's completion to its migration

    def __post_init__(self):
        if not 0 < self.launch_rate <= MAX_LAUNCH_RATE:
            raise ValueError(f"launch rate must be in (0, {MAX_LAUNCH_RATE:g}] coins/s, got {self.launch_rate}")
        if not self.speed > 0:
            raise ValueError(f"speed must be > 0, got {self.speed}")
        if self.smart_wallets < 0 or self.trader_wallets < 1 or self.creator_wallets < 1:
            raise ValueError("need smart wallets >= 0, trader and creator wallets >= 1")
        if self.stop_after_s is not None and not self.stop_after_s > 0:
            raise ValueError(f"the market's run time must be > 0 simulated seconds, got {self.stop_after_s}")
        if not 0 <= self.migration_delay_s <= 600:
            raise ValueError(f"migration delay must be in [0, 600] s, got {self.migration_delay_s}")
        if self.max_coins is not None and self.max_coins < 1:
            raise ValueError(f"max coins must be >= 1, got {self.max_coins}")
        for what, weights in (("launch kind", self.launch_kinds), ("trade family", self.trade_families)):
            if not weights or any(not w >= 0 for w in weights.values()) or sum(weights.values()) <= 0:
                raise ValueError(f"{what} weights must be >= 0 and not all zero: {weights}")
        if self.replay is not None and not Path(self.replay).is_file():
            raise ValueError(f"replay file not found: {self.replay}")
