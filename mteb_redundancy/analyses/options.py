"""Command-line options every command shares, one spelling each:

- ``--output-folder``: the folder of MTEB's result files, as with ``mteb run --output-folder`` (read,
  and written where the command evaluates); a report folder is one too;
- ``--plot``: a figure's path; ``--table``: a table's path;
- ``--device``, ``--batch-size``, ``--precision``, ``--no-progress``: how a model encodes.
"""

from __future__ import annotations

import argparse

PRECISIONS = ("float32", "bfloat16", "auto")
DEFAULT_BATCH_SIZE = 32


def split_list(values: list[str] | None) -> list[str]:
    """Repeatable options that also take comma lists: ``--prompt none,prefix --prompt instruction``."""
    return [part.strip() for value in values or [] for part in value.split(",") if part.strip()]


def add_output_options(
    parser: argparse.ArgumentParser,
    *,
    folder: str | None = "where MTEB result files go, as with `mteb run`",
    folder_default: str | None = "results",
    figure: str | None = None,
    figure_required: bool = False,
    table: str | None = None,
) -> None:
    """``--output-folder`` (with ``folder`` as its help; ``None``: the command has none; required
    where ``folder_default`` is ``None``), ``--plot``
    (``figure``: the default file name in the output folder, or the help of a required one) and
    ``--table`` (``table``: its help)."""
    if folder is not None and folder_default is None:
        parser.add_argument("--output-folder", required=True, help=folder)
    elif folder is not None:
        parser.add_argument("--output-folder", default=folder_default, help=f"{folder} (default: %(default)s)")
    if figure is not None and figure_required:
        parser.add_argument("--plot", required=True, help=figure)
    elif figure is not None:
        parser.add_argument("--plot", default=None, help=f"figure path; default: <output-folder>/{figure}.png")
    if table is not None:
        parser.add_argument("--table", default=None, help=table)


def add_model_options(parser: argparse.ArgumentParser) -> None:
    """How the models run: the same flags on every command that encodes."""
    parser.add_argument("--device", default=None, help="torch device (default: automatic)")
    parser.add_argument("--batch-size", type=int, default=DEFAULT_BATCH_SIZE,
                        help="texts per model forward pass (default: %(default)s)")
    parser.add_argument("--precision", choices=PRECISIONS, default=None,
                        help="encoding precision (default: $MTEB_REDUNDANCY_PRECISION, else auto)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bars")


def add_run_options(parser: argparse.ArgumentParser, *, figure: str) -> None:
    """Where results and the figure go, and how the model runs (``sweep``, ``recommend``)."""
    add_output_options(parser, figure=figure)
    add_model_options(parser)
