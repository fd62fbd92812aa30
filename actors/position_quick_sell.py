"""Exit -> sell sent with no I/O: a live position keeps its fee rates and blockhash fresh in the
background and remembers the curve of the stream's latest trade of its coin, so its first sell is
signed in the actor thread the moment the exit is decided and written to the endpoint from there
(adapters/hot_send.py). Anything unusual -- a retry, a graduated or non-SOL coin, stale caches --
takes the ordinary sell path, which reads the chain first (ChainAccess.prepare_position_sell)."""
from __future__ import annotations

from actors.hot_trace import hot_trace
from actors.position_model import sell_amount
from actors.trading_io import curve_from_launch


class QuickSell:
    """Mixin of PositionActor."""
    last_curve = None   # BondingCurve after the newest trade the stream routed here

    def _keeps_warm(self) -> bool:
        """Spares warm up for their buy; a live open position for its sell."""
        return self.stage in ("spare", "arming", "armed") or (
            self.stage == "live" and self.position is not None and self.position.is_open)

    def _quick_sell(self) -> bool:
        """Sign and send the first sell now; False: use the ordinary path."""
        position = self.position
        if self.sell_failures or position.sell_orders or self.preparing_sell:
            return False
        launch = position.launch
        prepared = self.chain.prepare_sell_now(launch, sell_amount(position),
                                               self.last_curve or curve_from_launch(launch))
        if prepared is None:
            return False
        hot_trace().stamp(launch.mint, "sell_signed")
        self._sell_prepared(prepared)
        return True
