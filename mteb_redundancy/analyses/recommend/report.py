"""The figure and tables of ``recommend``: relative score against bytes per vector (log-2 axis), one
subplot per task type (the mean over its tasks) and one line per method (reduction x quantization),
the Pareto front marked, the threshold drawn and the chosen configuration circled. PNG and SVG, with
the Markdown and CSV tables beside them."""

from __future__ import annotations

import math
from pathlib import Path

from mteb_redundancy._io import atomic_write_text, new_figure, save_figure, shared_legend
from mteb_redundancy.analyses.recommend.engine import RecommendResult
from mteb_redundancy.analyses.sweep.plots import figure_paths, table_paths

# Colour says the reduction, line style and marker the quantization.
REDUCTION_COLOURS = {"first": "tab:blue", "random": "tab:orange", "pca": "tab:green"}
QUANTIZATION_STYLES = {"float32": ("-", "o"), "int8": ("--", "s"), "binary": (":", "^")}


def plot_recommend(result: RecommendResult, path: str | Path | None = None, *, title: str | None = None):
    """Draw the recommendation; with ``path``, write ``<stem>.png`` and ``<stem>.svg``. Returns the
    ``Figure``; each method's line is labelled ``<reduction> · <quantization>``."""
    from matplotlib.ticker import FixedLocator, NullLocator

    by_type: dict[str, list] = {}
    for row in result.type_rows:
        by_type.setdefault(row.task_type, []).append(row)
    if not by_type:
        raise ValueError("Nothing to plot.")
    n = len(by_type)
    columns = 2 if n == 4 else min(n, 3)
    rows = math.ceil(n / columns)
    fig = new_figure(figsize=(5.6 * columns, 4.4 * rows + 1.3))
    axes = fig.subplots(rows, columns, squeeze=False)
    for ax in axes.flat[n:]:
        ax.remove()
    full = next((r for r in result.type_rows if r.reduction == "full" and r.quantization == "float32"), None)
    for ax, (task_type, type_rows) in zip(axes.flat, by_type.items()):
        reductions = sorted({r.reduction for r in type_rows if r.reduction != "full"})
        quantizations = [q for q in QUANTIZATION_STYLES if any(r.quantization == q for r in type_rows)]
        for reduction in reductions:
            for quantization in quantizations:
                line = sorted(
                    (r for r in type_rows if r.quantization == quantization and r.reduction in (reduction, "full")),
                    key=lambda r: r.bytes_per_vector,
                )
                if not line:
                    continue
                linestyle, marker = QUANTIZATION_STYLES[quantization]
                ax.plot([r.bytes_per_vector for r in line], [r.relative_score for r in line], linestyle=linestyle,
                        marker=marker, markersize=4, linewidth=1.3, color=REDUCTION_COLOURS.get(reduction, "tab:gray"),
                        label=f"{reduction} · {quantization}")
        front = sorted((r for r in type_rows if r.on_pareto_front), key=lambda r: r.bytes_per_vector)
        if front:
            ax.step([r.bytes_per_vector for r in front], [r.relative_score for r in front], where="post", color="black",
                    linewidth=1.0, alpha=0.7, zorder=1)
            ax.scatter([r.bytes_per_vector for r in front], [r.relative_score for r in front], s=70, facecolors="none",
                       edgecolors="black", linewidths=1.0, zorder=3, label="Pareto front")
        chosen = [r for r in type_rows if r.chosen]
        for r in chosen:
            ax.scatter([r.bytes_per_vector], [r.relative_score], s=220, marker="*", color="crimson", zorder=4,
                       label=f"chosen (keep {result.keep:g})")
            ax.annotate(f"{r.reduction} d={r.dim} {r.quantization}\n{r.bytes_per_vector} B", (r.bytes_per_vector, r.relative_score),
                        textcoords="offset points", xytext=(8, -22), fontsize="x-small", color="crimson")
        ax.axhline(result.keep, color="crimson", linewidth=0.8, linestyle="--", alpha=0.7)
        ax.set_xscale("log", base=2)
        ticks = sorted({r.bytes_per_vector for r in type_rows})
        shown = sorted({t for t in ticks if math.log2(t).is_integer()} | {ticks[-1]})
        ax.xaxis.set_major_locator(FixedLocator(shown))
        ax.xaxis.set_minor_locator(NullLocator())
        ax.set_xticklabels([str(t) for t in shown], fontsize="small")
        ax.set_xlabel("bytes per vector (log scale)")
        ax.set_ylabel("relative score, chance-corrected ((score - chance) / (full - chance))" if result.relative == "chance"
                      else "relative score (score / full float32)")
        low = min((r.relative_score for r in type_rows if r.relative_score == r.relative_score), default=0)
        ax.set_ylim(max(low, 0.0) - 0.02, 1.02 + max(0, max(r.relative_score for r in type_rows) - 1))
        ax.set_title(f"{task_type} ({type_rows[0].metric})")
        ax.grid(True, alpha=0.3)
    shared_legend(fig)
    full_bytes = full.bytes_per_vector if full else 4 * result.full_dim
    fig.suptitle(title or f"{result.model} (prompt={result.prompt}): score against bytes per vector; full = {full_bytes} B")
    fig.tight_layout(rect=(0, 1.1 / (4.4 * rows + 1.3), 1, 1))
    if path is not None:
        for target in figure_paths(path):
            save_figure(fig, target)
    return fig


def write_recommend_report(result: RecommendResult, path: str | Path, *, title: str | None = None) -> list[Path]:
    """The figure (PNG, SVG) and the tables (Markdown, CSV). Returns their paths."""
    plot_recommend(result, path, title=title)
    markdown, csv_path = table_paths(path)
    figure = figure_paths(path)[0]
    atomic_write_text(markdown, f"# {title or 'How small can it be'}\n\n![recommend]({figure.name})\n\n" + result.to_markdown() + "\n")
    result.to_csv(csv_path)
    return [*figure_paths(path), markdown, csv_path]
