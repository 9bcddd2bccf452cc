"""The robustness report folder: ``robustness.md``, the verdict table (Markdown and CSV), the size
curves (CSV), two figures (statistics against m; the grid of verdicts) and ``robustness.json`` with
every number. Each file is written atomically."""

from __future__ import annotations

import json
import math
from pathlib import Path

from mteb_redundancy._io import atomic_write_text, csv_text, format_number, markdown_table, new_figure, save_figure, shared_legend
from mteb_redundancy.analyses.redundancy.report import COLUMN_TITLES
from mteb_redundancy.plugins import get_estimator
from mteb_redundancy.analyses.robustness.verdicts import CLAIMS, COVERS, HOLDS, REVERSED, UNDECIDED

FILES = ("robustness.md", "verdicts.csv", "size_curves.csv", "size_curves.png", "verdicts.png", "robustness.json")
COLOURS = {HOLDS: "#1a9850", REVERSED: "#d73027", UNDECIDED: "#bdbdbd"}
MARKS = {HOLDS: "H", REVERSED: "R", UNDECIDED: "U"}


def _pct(confidence: float) -> str:
    return f"{100 * confidence:g}%"


def verdict_table(result, fmt: str = "md") -> str:
    """One row per (corpus, estimator, m, claim): the paired difference, its interval, the verdict."""
    pct = _pct(result.settings["confidence"])
    if fmt == "csv":
        header = ["corpus", "estimator", "m", "claim", "prompt_type", "reference", "difference", "ci_low", "ci_high",
                  "confidence", "verdict", "same_prompts", "interval_covers"]
        body = [[v.corpus, v.estimator, v.m, v.claim, v.prompt_type, v.reference, v.estimate, v.low, v.high,
                 v.confidence, v.verdict, v.same_prompts, COVERS] for v in result.verdicts]
        return csv_text([header, *body])
    header = ["corpus", "estimator", "m", "claim", "difference (type - query)", f"{pct} CI", "verdict"]
    body = []
    for v in result.verdicts:
        d = get_estimator(v.estimator).digits
        note = " (same prompts)" if v.same_prompts else ""
        body.append([v.corpus, get_estimator(v.estimator).label, v.m, v.claim, format_number(v.estimate, d),
                     f"[{format_number(v.low, d)}, {format_number(v.high, d)}]", f"**{v.verdict}**{note}"])
    return markdown_table(header, body, align=["left", "left", "right", "left", "right", "right", "left"])


def _curve_rows(result) -> list[list]:
    rows = []
    for curve in result.curves:
        for estimator in result.estimators:
            for prompt_type in curve.prompts:
                for point in curve.series(prompt_type, estimator):
                    rows.append([curve.corpus, estimator, prompt_type, point["m"], point["estimate"], point["low"], point["high"]])
    return rows


def curves_table(result, fmt: str = "md") -> str:
    """Each corpus's statistics per prompt type against m, with intervals."""
    pct = _pct(result.settings["confidence"])
    if fmt == "csv":
        header = ["corpus", "estimator", "prompt_type", "m", "estimate", "ci_low", "ci_high", "confidence", "interval_covers"]
        return csv_text([header, *[[*row, result.settings["confidence"], COVERS] for row in _curve_rows(result)]])
    parts = []
    for curve in result.curves:
        types = list(curve.prompts)
        for estimator in result.estimators:
            d = get_estimator(estimator).digits
            series = {t: curve.series(t, estimator) for t in types}
            body = [
                [point["m"], *(f"{format_number(s[i]['estimate'], d)} [{format_number(s[i]['low'], d)}, {format_number(s[i]['high'], d)}]"
                               for s in series.values())]
                for i, point in enumerate(series[types[0]])
            ]
            parts += [f"**{curve.corpus}, {get_estimator(estimator).label}** (value [{pct} CI])", "",
                      markdown_table(["m", *(COLUMN_TITLES.get(t, t) for t in types)], body), ""]
    return "\n".join(parts)


def curves_figure(result):
    """Each statistic against m (log axis), a panel per (estimator, corpus), a line per prompt type
    with its interval band."""
    import matplotlib
    from matplotlib.ticker import FixedFormatter, FixedLocator, NullLocator

    panels = [(estimator, curve) for estimator in result.estimators for curve in result.curves]
    # a panel per (estimator, corpus): a row per estimator, a column per corpus; one corpus wraps in two columns
    columns = len(result.curves) if len(result.curves) > 1 else min(2, len(panels))
    rows = -(-len(panels) // columns)
    title_height, legend_height = 0.8, 0.5  # inches
    height = 3.4 * rows + title_height + legend_height
    fig = new_figure(figsize=(max(4.6 * columns, 7.5), height))
    axes = fig.subplots(rows, columns, squeeze=False).ravel()
    for ax in axes[len(panels):]:
        ax.set_visible(False)
    palette = matplotlib.colormaps["tab10"]
    types = list(dict.fromkeys(t for curve in result.curves for t in curve.prompts))
    colour = {t: palette(i % palette.N) for i, t in enumerate(types)}
    for ax, (estimator, curve) in zip(axes, panels):
        for prompt_type in curve.prompts:
            series = [p for p in curve.series(prompt_type, estimator) if p["estimate"] is not None]
            if not series:
                continue
            ms = [p["m"] for p in series]
            ax.plot(ms, [p["estimate"] for p in series], marker="o", markersize=3.5, color=colour[prompt_type],
                    label=COLUMN_TITLES.get(prompt_type, prompt_type))
            if all(p["low"] is not None for p in series):
                ax.fill_between(ms, [p["low"] for p in series], [p["high"] for p in series],
                                color=colour[prompt_type], alpha=0.18, linewidth=0)
        ax.set_xscale("log")
        ax.xaxis.set_major_locator(FixedLocator(curve.sizes))
        ax.xaxis.set_major_formatter(FixedFormatter([str(m) for m in curve.sizes]))
        ax.xaxis.set_minor_locator(NullLocator())
        ax.set_title(f"{curve.corpus}: {get_estimator(estimator).label}", fontsize="medium")
        ax.set_xlabel("m (texts; nested subsamples)")
        ax.set_ylabel(get_estimator(estimator).label)
        ax.grid(alpha=0.3)
    fig.suptitle(
        f"{result.variant}: statistics against the number of texts m\nBands: {_pct(result.settings['confidence'])} "
        "paired split-half intervals of the expectation of the estimate at each m (not the population value)",
        fontsize="small",
    )
    shared_legend(fig)
    fig.tight_layout(rect=(0, legend_height / height, 1, 1 - title_height / height))
    return fig


def verdict_grid(result):
    """The verdict of each claim and estimator (rows) at each corpus and m (columns), coloured."""
    from matplotlib.colors import ListedColormap
    from matplotlib.patches import Patch

    rows = [(claim.name, e) for claim in CLAIMS for e in result.estimators]
    columns = [(curve.corpus, m) for curve in result.curves for m in curve.sizes]
    codes = {HOLDS: 0, REVERSED: 1, UNDECIDED: 2}
    grid = [[math.nan] * len(columns) for _ in rows]
    marks = {}
    for v in result.verdicts:
        i, j = rows.index((v.claim, v.estimator)), columns.index((v.corpus, v.m))
        grid[i][j] = codes[v.verdict]
        marks[(i, j)] = MARKS[v.verdict] + ("*" if v.same_prompts else "")
    fig = new_figure(figsize=(max(7.5, 3.5 + 0.5 * len(columns)), 2.2 + 0.45 * len(rows)))
    ax = fig.subplots()
    ax.imshow(grid, cmap=ListedColormap([COLOURS[HOLDS], COLOURS[REVERSED], COLOURS[UNDECIDED]]), vmin=0, vmax=2, aspect="auto")
    for (i, j), mark in marks.items():
        ax.text(j, i, mark, ha="center", va="center", fontsize="small")
    ax.set_yticks(range(len(rows)), [f"{claim}: {get_estimator(e).label}" for claim, e in rows], fontsize="small")
    ax.set_xticks(range(len(columns)), [f"{corpus}  m={m}" for corpus, m in columns], rotation=90, fontsize="small")
    ax.set_xticks([j - 0.5 for j in range(1, len(columns))], minor=True)
    ax.set_yticks([i - 0.5 for i in range(1, len(rows))], minor=True)
    ax.grid(which="minor", color="white", linewidth=1.5)
    ax.tick_params(which="minor", length=0)
    ax.set_title(f"{result.variant}\nTsukagoshi & Sasano's (2025) claims per corpus, m and estimator", fontsize="small")
    handles = [Patch(color=COLOURS[k], label=f"{MARKS[k]}: {k}") for k in (HOLDS, REVERSED, UNDECIDED)]
    if any(v.same_prompts for v in result.verdicts):
        handles.append(Patch(color="white", label="*: same prompts (0 by construction)"))
    fig.legend(handles=handles, loc="lower center", ncol=len(handles), frameon=False, fontsize="small")
    fig.tight_layout(rect=(0, 0.08, 1, 1))
    return fig


def summary_lines(result) -> list[str]:
    """Per claim and estimator, how many (corpus, m) it holds, is reversed or undecided at."""
    lines = []
    for claim in CLAIMS:
        for estimator in result.estimators:
            found = [v for v in result.verdicts if v.claim == claim.name and v.estimator == estimator]
            counts = ", ".join(f"{k} {sum(v.verdict == k for v in found)}" for k in (HOLDS, REVERSED, UNDECIDED))
            lines.append(f"- {claim.name}, {get_estimator(estimator).label}: {counts} (of {len(found)} corpus and m pairs)")
    return lines


def explanation(result) -> str:
    s = result.settings
    return (
        f"For each of Tsukagoshi & Sasano's (2025) claims (classification below retrieval query, clustering below "
        f"retrieval query; per statistic), each corpus, estimator and number of texts m: **holds** when the "
        f"{_pct(s['confidence'])} interval of the paired difference (type minus query, the same texts and split halves "
        f"for both) excludes 0 in the paper's direction, **reversed** when it excludes 0 the other way, **undecided** "
        f"when it includes 0. Intervals: {s['scheme']} ({s['n_resamples']} splits, seed {s['seed']}); each covers "
        f"{COVERS}. A verdict is stated with its corpus, m and estimator and is not the paper's finding in general. "
        f"\"Same prompts\": the style gives both types the same input, so the difference is 0 by construction."
    )


def write_report(result) -> list[Path]:
    out = result.out
    out.mkdir(parents=True, exist_ok=True)
    files = [
        atomic_write_text(out / "verdicts.csv", verdict_table(result, "csv")),
        atomic_write_text(out / "size_curves.csv", curves_table(result, "csv")),
        save_figure(curves_figure(result), out / "size_curves.png"),
        save_figure(verdict_grid(result), out / "verdicts.png"),
        atomic_write_text(out / "robustness.json", json.dumps(result.to_dict(), indent=2, allow_nan=False)),
    ]
    corpora = ", ".join(f"{c.corpus} ({c.n_texts} distinct texts, m = {', '.join(map(str, c.sizes))})" for c in result.curves)
    lines = [
        f"# Robustness: {result.variant}",
        "",
        f"Corpora: {corpora}. Estimators: {', '.join(get_estimator(e).label for e in result.estimators)}. "
        f"Each smaller set of texts lies inside each larger one (the first m of one seeded permutation); every "
        f"prompt embedded the corpus once.",
        "",
        explanation(result),
        "",
        "## Verdicts",
        "",
        *summary_lines(result),
        "",
        "![verdict per claim, corpus, m and estimator](verdicts.png)",
        "",
        verdict_table(result),
        "",
        "## Size curves",
        "",
        "![statistics against m per corpus](size_curves.png)",
        "",
        curves_table(result),
        f"Texts encoded by this run: {result.texts_encoded} (0 when everything came from the embedding cache).",
        "",
    ]
    files.append(atomic_write_text(out / "robustness.md", "\n".join(lines)))
    return files


def study_section(result, folder: str) -> list[str]:
    """The study report's section: the summary and the grid, pointing to the full report in ``folder``."""
    return [
        "## Robustness of the redundancy finding",
        "",
        explanation(result),
        "",
        *summary_lines(result),
        "",
        f"![verdict per claim, corpus, m and estimator]({folder}/verdicts.png)",
        "",
        f"Verdict table, size curves and every number: [{folder}/robustness.md]({folder}/robustness.md).",
        "",
    ]
