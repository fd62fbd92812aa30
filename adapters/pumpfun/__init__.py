"""pump.fun protocol, pure (no I/O): addresses/PDAs, layout_v1 (accounts, events), instructions,
events (log and self-CPI decoding), curve (exact integer math)."""
