"""The one place for writing files: atomic writes, Markdown and CSV tables, and figures.

Every file the project writes (cache shards, tables, figures, user configuration) goes through
:func:`atomic_write_bytes`: a temporary file in the same folder, flushed and renamed into place, so
a reader never sees half a file and an interrupted run leaves the old file (or none).
"""

from __future__ import annotations

import csv
import io
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

FIGURE_SUFFIXES = (".png", ".svg", ".pdf")


def _umask() -> int:
    """The process's umask, read without changing it where the system says it (Linux), since setting
    and restoring it races with other threads creating files."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def atomic_write_bytes(path: str | os.PathLike, data: bytes, *, make_parents: bool = True) -> Path:
    path = Path(path)
    if make_parents:
        path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            # mkstemp makes the file 0600; a file written in place would get 0666 less the umask, and
            # so does this one (a cache shared on a mount must be readable by its other users).
            os.fchmod(handle.fileno(), 0o666 & ~_umask())
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def check_output_folder(path: str | os.PathLike, what: str = "output folder") -> Path:
    """``path`` as a folder the run can create or write into, checked before any work (a
    ``ValueError`` that says what is in the way): not a file, and no file among its parents."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise ValueError(f"The {what} {path} is a file; give a folder (it is created if missing).")
    existing = path
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        raise ValueError(f"The {what} {path} cannot be created: {existing} is a file, not a folder.")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise ValueError(f"The {what} {path} cannot be written: {existing} is not writable.")
    return path


def check_output_file(path: str | os.PathLike, what: str = "output file") -> Path:
    """``path`` as a file the run can write at the end, checked before any work: not a folder, in a
    folder that can be created or written (:func:`check_output_folder`)."""
    path = Path(path)
    if path.is_dir():
        raise ValueError(f"The {what} {path} is a folder; give a file name.")
    try:
        check_output_folder(path.parent, "folder")
    except ValueError as error:
        raise ValueError(f"The {what} {path} cannot be written: {error}") from None
    return path


def check_report_paths(output_folder: str | os.PathLike, files) -> None:
    """A command's ``--output-folder`` and the report ``files`` it writes at the end (its ``--plot``
    figures and tables), checked before any work."""
    check_output_folder(output_folder, "--output-folder")
    for path in files:
        check_output_file(path, "--plot file")


def atomic_write_text(path: str | os.PathLike, text: str) -> Path:
    return atomic_write_bytes(path, text.encode("utf-8"))


def format_cell(value: Any, digits: int = 4) -> str:
    """A table cell: floats to ``digits`` decimals, ``None`` empty, ``|`` escaped for Markdown."""
    if value is None:
        return ""
    text = f"{value:.{digits}f}" if isinstance(value, float) else str(value)
    return text.replace("|", "\\|")


def format_number(value: float | None, digits: int, *, sign: bool = False) -> str:
    """``value`` to ``digits`` decimals (``None`` empty); one that rounds to zero reads without a minus
    sign. ``sign``: a leading "+" on values that are not negative (for differences)."""
    if value is None:
        return ""
    text = f"{value:{'+' if sign else ''}.{digits}f}"
    if float(text) == 0.0:
        text = text.lstrip("-+")
        return f"+{text}" if sign else text
    return text


def markdown_table(header: Sequence[Any], rows: Sequence[Sequence[Any]], *, align: Sequence[str] | None = None, digits: int = 4) -> str:
    """A Markdown table. ``align`` has one of ``"left"``/``"right"`` per column (default: all ``---``)."""
    rule = {"left": "---", "right": "---:", None: "---"}
    marks = [rule[a] for a in align] if align else ["---"] * len(header)
    lines = ["| " + " | ".join(format_cell(v, digits) for v in header) + " |", "| " + " | ".join(marks) + " |"]
    lines += ["| " + " | ".join(format_cell(v, digits) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def csv_text(rows: Sequence[Sequence[Any]]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    return buffer.getvalue()


def check_figure_path(path: str | os.PathLike) -> Path:
    path = Path(path)
    if path.suffix.lower() not in FIGURE_SUFFIXES:
        raise ValueError(f"The figure file must end in {', '.join(FIGURE_SUFFIXES)}; got {path.name!r}.")
    return path


def new_figure(**kwargs: Any):
    """A matplotlib ``Figure`` not tied to pyplot: no global state, no display, any backend."""
    from matplotlib.figure import Figure

    return Figure(**kwargs)


def save_figure(fig, path: str | os.PathLike, *, dpi: int = 150, **kwargs: Any) -> Path:
    """Save ``fig`` atomically in the format its suffix names (``.png``, ``.svg``, ``.pdf``)."""
    path = check_figure_path(path)
    buffer = io.BytesIO()
    fig.savefig(buffer, dpi=dpi, format=path.suffix.lstrip(".").lower(), **kwargs)
    return atomic_write_bytes(path, buffer.getvalue())


def shared_legend(fig, *, columns: int | None = None, **kwargs: Any) -> int:
    """One legend under all of ``fig``'s axes, each label once (the panels share their lines' styles).
    ``columns`` defaults to one per label, at most six. Returns the number of labels."""
    handles, labels = [], []
    for ax in fig.axes:
        for handle, label in zip(*ax.get_legend_handles_labels()):
            if label not in labels:
                handles.append(handle)
                labels.append(label)
    fig.legend(handles, labels, loc="lower center", ncol=columns or max(1, min(6, len(labels))),
               frameon=False, fontsize="small", **kwargs)
    return len(labels)
