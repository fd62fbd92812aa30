"""Paths of the test data kept in the repository (see README.md here). A missing file is an error,
never a reason to skip."""
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent
TRADES_CSV = DATA_DIR / "pumpfun_trades_2025-09.csv"
MAINNET_CREATE_TX = DATA_DIR / "mainnet" / "create_tx_getTransaction.json"
MAINNET_CURVE_ACCOUNT = DATA_DIR / "mainnet" / "bonding_curve_getAccountInfo.json"
