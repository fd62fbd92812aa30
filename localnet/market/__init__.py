"""A living pump.fun market for the local chain: simulated creators and traders (or a replay of
real trades) sending real signed transactions through the node's JSON-RPC."""
from localnet.market.cli import MarketRuntime, add_market_arguments, market_config
from localnet.market.config import Fate, MarketConfig, parse_fate_weights
from localnet.market.replay import ReplayMarket
from localnet.market.simulator import MarketSimulator

__all__ = ["Fate", "MarketConfig", "MarketRuntime", "MarketSimulator", "ReplayMarket", "add_market_arguments",
           "market_config", "parse_fate_weights"]
