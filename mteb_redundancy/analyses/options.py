"""Command-line options the analyses' commands share (``sweep``, ``recommend``, ``study``)."""

from __future__ import annotations

import argparse

PRECISIONS = ("float32", "bfloat16", "auto")


def split_list(values: list[str] | None) -> list[str]:
    """Repeatable options that also take comma lists: ``--prompt none,prefix --prompt instruction``."""
    return [part.strip() for value in values or [] for part in value.split(",") if part.strip()]


def add_run_options(parser: argparse.ArgumentParser, *, figure: str) -> None:
    """Where results and the figure go, and how the model runs: the same flags on every analysis."""
    parser.add_argument("--output-folder", default="results",
                        help="where MTEB result files go, as with `mteb run` (default: %(default)s)")
    parser.add_argument("--plot", default=None,
                        help=f"figure path (.png/.svg or a stem); default: <output-folder>/{figure}.png")
    parser.add_argument("--device", default=None, help="torch device (default: automatic)")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--precision", choices=PRECISIONS, default=None,
                        help="encoding precision (default: $MTEB_REDUNDANCY_PRECISION, else auto)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bars")
