"""PumpSwap (pump AMM) protocol: addresses and PDAs, account layouts, instruction builders and exact
constant-product math. Pure: shared by the local chain, its tests and the bot."""
