"""Figures of a dimension sweep, as in Tsukagoshi & Sasano's Figures 1-3: mean score per task type against d
(log-2 axis), one subplot per task type, one line per (model, prompt, reduction). Written as PNG and
SVG, with the same numbers as a Markdown and a CSV table beside them."""

from __future__ import annotations

import math
from pathlib import Path

from mteb_redundancy._io import atomic_write_text, new_figure, save_figure, shared_legend
from mteb_redundancy.analyses.sweep.engine import SweepResult

# Line style and marker say the reduction; colour says the model and prompt (or, when the sweep has
# a single model and prompt, the reduction again).
REDUCTION_STYLES = {"first": ("-", "o"), "random": ("--", "^"), "pca": (":", "s")}


def _short_names(models: list[str]) -> dict[str, str]:
    """Model ids without their organisation, unless that makes two of them alike."""
    short = {model: model.split("/")[-1] for model in models}
    if len(set(short.values())) < len(short):
        return {model: model for model in models}
    return short


def curve_label(model: str, prompt: str, reduction: str, short: dict[str, str] | None = None) -> str:
    return f"{(short or {}).get(model, model)} · prompt={prompt} · {reduction}"


def plot_sweep(result: SweepResult, path: str | Path | None = None, *, title: str | None = None):
    """Draw the sweep. With ``path`` (``.png``, ``.svg`` or no suffix), write ``<stem>.png`` and
    ``<stem>.svg``. Returns the matplotlib ``Figure``; each line's label is its curve's."""
    # A bare Figure (no pyplot): no global state, no display needed, any backend.
    import matplotlib
    from matplotlib.ticker import FixedLocator, NullLocator

    curves = result.curves()
    if not curves:
        raise ValueError("The sweep has no scores to plot.")
    lines = sorted({line for per_type in curves.values() for line in per_type})
    short = _short_names(sorted({model for model, _, _ in lines}))
    model_prompts = sorted({(model, prompt) for model, prompt, _ in lines})
    reductions = sorted({reduction for _, _, reduction in lines})
    colour_keys = model_prompts if len(model_prompts) > 1 else reductions
    palette = matplotlib.colormaps["tab10" if len(colour_keys) <= 10 else "tab20"]
    colour_of = {key: palette(i % palette.N) for i, key in enumerate(colour_keys)}
    full_dims = {row.dim for row in result.rows if row.is_full}
    metrics: dict[str, set[str]] = {}
    n_tasks: dict[str, set[str]] = {}
    for row in result.rows:
        metrics.setdefault(row.task_type, set()).add(row.metric)
        n_tasks.setdefault(row.task_type, set()).add(row.task)

    n = len(curves)
    columns = 2 if n == 4 else min(n, 3)
    rows = math.ceil(n / columns)
    legend_columns = max(1, min(len(lines), columns))
    legend_rows = math.ceil(len(lines) / legend_columns)
    legend_height = 0.3 + 0.25 * legend_rows  # inches
    width = 5.4 * columns + (1.2 if columns == 1 else 0)
    height = 4.2 * rows + legend_height + (0.4 if title else 0)
    fig = new_figure(figsize=(width, height))
    axes = fig.subplots(rows, columns, squeeze=False)
    for ax in axes.flat[n:]:
        ax.remove()
    for ax, (task_type, per_line) in zip(axes.flat, curves.items()):
        dims = sorted({d for points in per_line.values() for d, _ in points})
        for (model, prompt, reduction), points in per_line.items():
            linestyle, marker = REDUCTION_STYLES.get(reduction, ("-.", "D"))
            colour = colour_of[(model, prompt) if len(model_prompts) > 1 else reduction]
            xs, ys = zip(*points)
            ax.plot(
                xs,
                [100 * y for y in ys],
                linestyle=linestyle,
                marker=marker,
                color=colour,
                markersize=5,
                linewidth=1.6,
                label=curve_label(model, prompt, reduction, short),
            )
        ax.set_xscale("log", base=2)
        ax.xaxis.set_major_locator(FixedLocator(dims))
        ax.xaxis.set_minor_locator(NullLocator())
        ax.set_xticklabels([f"{d}\n(full)" if d in full_dims else str(d) for d in dims])
        ax.set_xlabel("embedding dimension d (log scale)")
        ax.set_ylabel("mean main score (×100)")
        tasks = len(n_tasks[task_type])
        ax.set_title(f"{task_type}: {', '.join(sorted(metrics[task_type]))}, {tasks} task{'s' if tasks > 1 else ''}")
        ax.grid(True, which="major", alpha=0.3)
    shared_legend(fig, columns=legend_columns)
    if title:
        fig.suptitle(title)
    fig.tight_layout(rect=(0, legend_height / height, 1, 1))
    if path is not None:
        for target in figure_paths(path):
            save_figure(fig, target)
    return fig


def figure_paths(path: str | Path) -> list[Path]:
    path = Path(path)
    stem = path.with_suffix("") if path.suffix.lower() in (".png", ".svg") else path
    return [stem.with_suffix(".png"), stem.with_suffix(".svg")]


def table_paths(path: str | Path) -> list[Path]:
    stem = figure_paths(path)[0].with_suffix("")
    return [stem.with_suffix(".md"), stem.with_suffix(".csv")]


def checked_report_path(output_folder: str | Path, plot: str | Path | None, default_name: str) -> Path:
    """The report's figure path (``plot``, else ``<output_folder>/<default_name>``), with the output
    folder and every file the report writes checked before any work (``ValueError``)."""
    from mteb_redundancy._io import check_report_paths

    plot = Path(plot) if plot else Path(output_folder) / default_name
    check_report_paths(output_folder, [*figure_paths(plot), *table_paths(plot)])
    return plot


def write_sweep_report(result: SweepResult, path: str | Path, *, title: str | None = None) -> list[Path]:
    """The figure (PNG, SVG) and the tables (Markdown, CSV) of a sweep, side by side. Returns their paths."""
    plot_sweep(result, path, title=title)
    markdown, csv_path = table_paths(path)
    heading = f"# {title}\n\n" if title else "# Dimension sweep\n\n"
    figure = figure_paths(path)[0]
    atomic_write_text(markdown, heading + f"![sweep]({figure.name})\n\n" + result.to_markdown() + "\n")
    result.to_csv(csv_path)
    return [*figure_paths(path), markdown, csv_path]
