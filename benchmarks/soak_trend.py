"""Trends of the soak's samples: least-squares slope per simulated hour after a warm-up, checked
against stated tolerances. A metric fails when its slope exceeds the tolerance AND the growth it
implies over the measured span exceeds a noise floor (allocator and GC noise dominate short runs;
over a day-long run the slope criterion is the binding one)."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Tolerance:
    per_hour: float          # allowed slope per simulated hour
    floor: float             # growth over the measured span always tolerated
    unit: str


# bot processes: the "RSS slope < 1 MB per simulated hour", fds and threads flat
BOT_TOLERANCES = {"rss_mb": Tolerance(1.0, 8.0, "MB"), "fds": Tolerance(1.0, 8, "fds"),
                  "threads": Tolerance(1.0, 2, "threads")}
# the chain keeps every account ever created (its state grows like mainnet's), so its RSS may grow
# with the launches it served: CHAIN_RSS_MB_PER_1000_COINS, scaled by the launch rate. It also keeps
# the last DEFAULT_RECORD_CAPACITY transaction records (~10 KB each): its RSS is gated only once that
# store is full (before, it grows by design up to its bound)
CHAIN_RSS_MB_PER_1000_COINS = 40.0
GLOBAL_TOLERANCES = {"lag_ms": Tolerance(10.0, 100.0, "ms"), "buy_p50_ms": Tolerance(20.0, 200.0, "ms")}
CHAIN_FDS = Tolerance(1.0, 24, "fds")   # every client's HTTP keep-alive and stream sockets come and go
UNGATED_PROCESSES = ("positions(sum)",)   # transient actors, at most max_active_positions + spares


def slope(xs: list[float], ys: list[float]) -> float | None:
    """Least-squares slope of ys over xs (None with fewer than 3 points or no spread in xs)."""
    points = [(x, y) for x, y in zip(xs, ys) if y is not None]
    if len(points) < 3:
        return None
    n = len(points)
    mean_x = sum(x for x, _ in points) / n
    mean_y = sum(y for _, y in points) / n
    spread = sum((x - mean_x) ** 2 for x, _ in points)
    if spread == 0:
        return None
    return sum((x - mean_x) * (y - mean_y) for x, y in points) / spread


@dataclass
class Trend:
    subject: str             # process name or "bot"
    metric: str
    first: float | None
    last: float | None
    slope_per_hour: float | None
    tolerance: Tolerance | None
    span_hours: float

    @property
    def growth(self) -> float | None:
        return None if self.slope_per_hour is None else self.slope_per_hour * self.span_hours

    @property
    def verdict(self) -> str:
        if self.tolerance is None:
            return "info"
        if self.slope_per_hour is None:
            return "few-samples"
        if self.slope_per_hour > self.tolerance.per_hour and self.growth > self.tolerance.floor:
            return "FAIL"
        return "ok"


def trends(series: dict[tuple[str, str], list[tuple[float, float]]], warmup_hours: float,
           launch_rate: float, chain_full_at_hours: float | None = 0.0) -> list[Trend]:
    """series: (subject, metric) -> [(simulated hours, value), ...]; the warm-up is left out.
    chain_full_at_hours: when the chain's record store filled up (None: never during the run)."""
    chain_rss = Tolerance(CHAIN_RSS_MB_PER_1000_COINS * launch_rate * 3.6, 32.0, "MB")
    found = []
    for (subject, metric), points in sorted(series.items()):
        start = warmup_hours
        if subject == "chain" and metric == "rss_mb":
            start = max(warmup_hours, chain_full_at_hours if chain_full_at_hours is not None else float("inf"))
        kept = [(h, v) for h, v in points if h >= start and v is not None]
        if not kept and subject == "chain":
            kept = [(h, v) for h, v in points if h >= warmup_hours and v is not None]
            found.append(Trend(subject, metric, kept[0][1] if kept else None, kept[-1][1] if kept else None,
                               slope([h for h, _ in kept], [v for _, v in kept]), None,
                               kept[-1][0] - kept[0][0] if kept else 0.0))
            continue                   # the record store is still filling: reported, not gated
        if subject == "bot":
            tolerance = GLOBAL_TOLERANCES.get(metric)
        elif subject in UNGATED_PROCESSES or metric == "cpu_pct":
            tolerance = None
        elif subject == "chain":
            tolerance = {"rss_mb": chain_rss, "fds": CHAIN_FDS}.get(metric, BOT_TOLERANCES.get(metric))
        else:
            tolerance = BOT_TOLERANCES.get(metric)
        span = kept[-1][0] - kept[0][0] if kept else 0.0
        found.append(Trend(subject, metric, kept[0][1] if kept else None, kept[-1][1] if kept else None,
                           slope([h for h, _ in kept], [v for _, v in kept]), tolerance, span))
    return found


def table(found: list[Trend]) -> str:
    lines = [f"{'process':<22} {'metric':<11} {'first':>10} {'last':>10} {'slope/sim-h':>12} "
             f"{'tolerance':>18}  verdict"]
    for t in found:
        if t.metric == "cpu_pct":
            continue          # load, not growth: in processes.csv and summary.json
        tol = f"{t.tolerance.per_hour:g}/h or {t.tolerance.floor:g}" if t.tolerance else "-"
        lines.append(f"{t.subject:<22} {t.metric:<11} {_num(t.first):>10} {_num(t.last):>10} "
                     f"{_num(t.slope_per_hour):>12} {tol:>18}  {t.verdict}")
    return "\n".join(lines)


def _num(value) -> str:
    return "-" if value is None else f"{value:.2f}" if isinstance(value, float) else str(value)
