"""``mteb-redundancy redundancy-table`` and ``redundancy-plot``: Tsukagoshi & Sasano's Tables 1-2 (and every other
registered estimator's table) from result folders."""

from __future__ import annotations

import argparse
from pathlib import Path

from mteb_redundancy._io import atomic_write_text
from mteb_redundancy.analyses.options import add_output_options

READ_FROM = "the `mteb run --output-folder` to read"


def _table(args: argparse.Namespace, rest: list[str]) -> int:
    from mteb_redundancy.analyses.redundancy.report import load_rows, report

    text = report(load_rows(args.output_folder, args.task), args.format)
    if args.table:
        atomic_write_text(args.table, text)
    print(text)
    return 0


def _plot(args: argparse.Namespace, rest: list[str]) -> int:
    from mteb_redundancy.analyses.redundancy.report import load_rows, plot

    figure = Path(args.plot) if args.plot else Path(args.output_folder) / "redundancy.png"
    print(f"Wrote {plot(load_rows(args.output_folder, args.task), figure)}")
    return 0


def add_parser(commands) -> None:
    table = commands.add_parser("redundancy-table", help="each estimator's figures per model and prompt type, and the verdicts on the paper's claims (Markdown or CSV)")
    add_output_options(table, folder=READ_FROM, table="also write the table to this file")
    table.add_argument("--task", default="RedundancyWiki")
    table.add_argument("--format", choices=("md", "csv"), default="md")
    table.set_defaults(handler=_table)

    plot = commands.add_parser("redundancy-plot", help="ID and IsoScore against d, one line per model and prompt type")
    add_output_options(plot, folder=READ_FROM, figure="redundancy")
    plot.add_argument("--task", default="RedundancyWiki")
    plot.set_defaults(handler=_plot)
