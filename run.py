"""Run the bot: `python run.py` trades on the embedded local chain; `--config live.toml` on mainnet.
`python run.py --help` lists the flags; the program itself is in app/."""
import sys

from app.cli import main

if __name__ == '__main__':
    sys.exit(main())
