"""``python -m stripe_simulator``: the simulator without the shop (no Django needed)."""

from __future__ import annotations

import argparse
import os
import sys

from stripe_simulator import cli


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m stripe_simulator", description=cli.DESCRIPTION)
    cli.add_arguments(parser, default_webhook_secret=os.environ.get("STRIPE_WEBHOOK_SECRET", ""))
    options = parser.parse_args(argv)
    try:
        cli.serve(**vars(options), write=lambda line: print(line, flush=True))
    except cli.CannotListen as error:
        print(error, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
