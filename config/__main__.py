"""`python -m config [PATH]`: validate a settings file (with the current environment) and print
the result with every secret redacted; exit code 2 and one clear message if a value is bad."""
import json
import sys

from config.parsing import ConfigError
from config.settings import load_settings


def main(argv: list[str]) -> int:
    if len(argv) > 1 or (argv and argv[0] in ('-h', '--help')):
        print(__doc__)
        return 0 if argv and argv[0] in ('-h', '--help') else 2
    try:
        settings = load_settings(argv[0] if argv else None)
    except ConfigError as error:
        print(error, file=sys.stderr)
        return 2
    print(json.dumps(settings.dump(), indent=2))
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
