"""``mteb-redundancy``: the project's console script.

``mteb-redundancy run ...`` is ``mteb run ...`` with the project's models and tasks registered. Every
other sub-command comes from a plugin's ``register_commands`` hook (the built-in ones from
``mteb_redundancy.default_plugins.commands``).
"""

from __future__ import annotations

import argparse
import sys


def build_parser() -> argparse.ArgumentParser:
    from mteb_redundancy.plugins import add_commands

    parser = argparse.ArgumentParser(prog="mteb-redundancy", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    add_commands(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    if argv and argv[0] == "run":
        args, rest = parser.parse_args(argv[:1]), argv[1:]
    else:
        args, rest = parser.parse_args(argv), []
    return args.handler(args, rest)


if __name__ == "__main__":
    sys.exit(main())
