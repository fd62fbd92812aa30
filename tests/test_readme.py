"""The README's quick start is what a new user types: it must name the Python the package accepts,
and its test command must be what CI runs."""
from __future__ import annotations

import configparser
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def quick_start_commands() -> list[str]:
    text = (ROOT / "README.md").read_text()
    section = text.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    return [block.strip() for block in re.findall(r"```bash\n(.*?)```", section, re.S)]


def test_quick_start_is_two_commands_naming_the_python_the_package_accepts():
    setup = configparser.ConfigParser()
    setup.read(ROOT / "setup.cfg")
    requires = setup["options"]["python_requires"]
    assert requires == ">=3.11,<3.12"
    run_bot, run_tests = quick_start_commands()
    assert run_bot.startswith("python3.11 -m venv .venv && ") and run_bot.endswith("run.py")
    assert run_tests == "bash .ci/run"


def test_ci_runs_the_readme_test_command_on_python_3_11():
    ci = (ROOT / ".ci" / "run").read_text()
    assert "python3.11 -m venv .venv" in ci and ".venv/bin/python -m pytest" in ci


def test_copy_trading_is_offered_and_documented():
    from config.settings import load_settings
    wallet = "11111111111111111111111111111112"
    settings = load_settings(env={"PUMPSNIPE__TRADING__MODE": "copy", "PUMPSNIPE__COPY__TARGETS": wallet})
    assert settings.trading.mode == "copy" and settings.copy.targets[0].wallet == wallet
    readme = (ROOT / "README.md").read_text()
    intro = readme.split("## Quick start", 1)[0]
    assert "not built yet" not in intro and "copy-trader" in intro
    section = readme.split("### Copy trading", 1)[1].split("\n## ", 1)[0]
    for key in ("targets", "smart_wallets", "ratio", "min_lamports", "max_lamports", "max_total_lamports",
                "max_price_move_bps", "max_coin_age_seconds", "follow_sells"):
        assert f"`{key}`" in section, key
    assert "after their transaction" in section   # what copying cannot do


def test_a_users_live_config_is_never_committed():
    """The README tells users to copy the live example to live.toml and put endpoints in it."""
    import subprocess
    ignored = subprocess.run(["git", "check-ignore", "-q", "live.toml", "config/live.toml"],
                             cwd=ROOT, capture_output=True)
    if ignored.returncode == 128:   # not a git checkout (an unpacked archive): read the rules
        assert "live.toml" in (ROOT / ".gitignore").read_text().split()
    else:
        assert ignored.returncode == 0
