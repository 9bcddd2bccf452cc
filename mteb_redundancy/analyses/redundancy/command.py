"""``mteb-redundancy redundancy-table`` and ``redundancy-plot``: Tsukagoshi & Sasano's Tables 1-2 from result folders."""

from __future__ import annotations

import argparse

from mteb_redundancy._io import atomic_write_text


def _table(args: argparse.Namespace, rest: list[str]) -> int:
    from mteb_redundancy.analyses.redundancy.report import load_rows, report

    text = report(load_rows(args.results, args.task), args.format)
    if args.out:
        atomic_write_text(args.out, text)
    print(text)
    return 0


def _plot(args: argparse.Namespace, rest: list[str]) -> int:
    from mteb_redundancy.analyses.redundancy.report import load_rows, plot

    print(f"Wrote {plot(load_rows(args.results, args.task), args.out)}")
    return 0


def add_parser(commands) -> None:
    table = commands.add_parser("redundancy-table", help="ID and IsoScore per model and prompt type (Markdown or CSV)")
    table.add_argument("results", nargs="?", default="results", help="an `mteb run --output-folder` (default: results)")
    table.add_argument("--task", default="RedundancyWiki")
    table.add_argument("--format", choices=("md", "csv"), default="md")
    table.add_argument("--out", help="also write the table to this file")
    table.set_defaults(handler=_table)

    plot = commands.add_parser("redundancy-plot", help="ID and IsoScore against d, one line per model and prompt type")
    plot.add_argument("results", nargs="?", default="results")
    plot.add_argument("--task", default="RedundancyWiki")
    plot.add_argument("--out", default="redundancy.png", help="PNG or SVG file")
    plot.set_defaults(handler=_plot)
