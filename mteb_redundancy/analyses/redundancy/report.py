"""Tables and plots of redundancy results, read from MTEB result folders (Tsukagoshi & Sasano 2025,
Tables 1 and 2)."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

from mteb_redundancy._io import markdown_table, new_figure, save_figure
from mteb_redundancy.analyses.redundancy.measure import PROMPT_TYPES
from mteb_redundancy.analyses.redundancy.paper_reference import SOURCE as PAPER_SOURCE
from mteb_redundancy.analyses.redundancy.paper_reference import DERIVED_TYPES, paper_configuration, paper_figures
from mteb_redundancy.analyses.redundancy.uncertainty import REFERENCE_TYPE, finding
from mteb_redundancy.estimators.bootstrap import covers

COLUMN_TITLES = {
    "retrieval_query": "query",
    "retrieval_document": "document",
    "classification": "classification",
    "clustering": "clustering",
    "none": "none",
}


@dataclass(frozen=True)
class RedundancyRow:
    model: str
    task: str
    scores: dict

    def value(self, measure: str, prompt_type: str) -> float | None:
        return self.scores.get("prompt_types", {}).get(prompt_type, {}).get(measure)


def load_rows(output_folder: str | Path, task: str = "RedundancyWiki") -> list[RedundancyRow]:
    """Every model's result for ``task`` under an ``mteb run --output-folder``, a row per model and
    split. A variant's results are an experiment of its base model; its row is named by the variant
    (with its precision where that is not float32)."""
    from mteb_redundancy.models.variants import result_variant_name
    from mteb_redundancy.mteb_bridge.results_layout import load_model_results

    found: dict[tuple[str, str], RedundancyRow] = {}
    for model_result in load_model_results(output_folder, tasks=[task]):
        name = result_variant_name(model_result.model_name, model_result.model_meta)
        for task_result in model_result.task_results:
            if task_result.task_name == task:
                for split, split_scores in task_result.scores.items():
                    found[(name, split)] = RedundancyRow(name, task, split_scores[0])
    rows = list(found.values())
    if not rows:
        raise FileNotFoundError(f"No {task} results under {output_folder}; run `mteb run -m <model> -t {task} --output-folder {output_folder}` first.")
    return sorted(rows, key=lambda r: r.model)


def _interval(row: RedundancyRow, measure: str, prompt_type: str) -> dict | None:
    return row.scores.get("uncertainty", {}).get("prompt_types", {}).get(prompt_type, {}).get(measure)


def _cells(rows: list[RedundancyRow], measure: str, *, csv_columns: bool = False) -> tuple[list[str], list[list[str]]]:
    """One row per model (the value with its interval), then the paper's row for that model."""
    digits = 2 if measure == "twonn" else 4
    column = 0 if measure == "twonn" else 1
    titles = [COLUMN_TITLES[t] for t in PROMPT_TYPES]
    if csv_columns:
        titles = [f"{title}{suffix}" for title in titles for suffix in ("", "_low", "_high")]
    header = ["model", *titles, "m", "n", "source"]
    body = []
    for row in rows:
        first = next(iter(row.scores["prompt_types"].values()))
        cells = []
        for prompt_type in PROMPT_TYPES:
            value, interval = row.value(measure, prompt_type), _interval(row, measure, prompt_type)
            low, high = (interval["low"], interval["high"]) if interval else (None, None)
            if csv_columns:
                cells += ["" if v is None else f"{v:.{digits + 2}f}" for v in (value, low, high)]
            elif value is None:
                cells.append("")
            else:
                cells.append(f"{value:.{digits}f}" + (f" [{low:.{digits}f}, {high:.{digits}f}]" if low is not None else ""))
        body.append([row.model, *cells, str(first["n_points"]), str(first["n_dims"]), "measured"])
        paper = paper_figures(row.model) if paper_configuration(row.model) else None
        if paper:
            base = row.model.split(" (")[0]
            derived = DERIVED_TYPES.get(base, ())
            values = [paper.get(t, (None, None))[column] for t in PROMPT_TYPES]
            if csv_columns:
                paper_cells = [x for v in values for x in ("" if v is None else f"{v:.{digits + 2}f}", "", "")]
            else:
                paper_cells = ["" if v is None else f"{v:.{digits}f}" + (" (derived)" if t in derived else "")
                               for t, v in zip(PROMPT_TYPES, values)]
            source = PAPER_SOURCE + (
                f"; {', '.join(derived)} derived: the paper's query: figures, not printed for these types" if derived else "")
            body.append([f"{base} (paper)", *paper_cells, "10000", "", source])
    return header, body


def table(rows: list[RedundancyRow], measure: str) -> str:
    """A Markdown table of ``measure`` ("twonn" or "isoscore"): a row per model, a column per prompt
    type, each value with its interval; the paper's figures for the same model on a row of their own."""
    header, body = _cells(rows, measure)
    return markdown_table(header, body, align=["left"] + ["right"] * (len(header) - 2) + ["left"])


def findings(rows: list[RedundancyRow]) -> list[str]:
    """Per model, a sentence per prompt type against the retrieval-query type, from the paired differences."""
    lines = []
    for row in rows:
        uncertainty = row.scores.get("uncertainty")
        if not uncertainty:
            continue
        measured = [t for t in PROMPT_TYPES if t in row.scores["prompt_types"] and t != REFERENCE_TYPE]
        lines.append(f"{row.model} ({uncertainty['n_points']} texts; {uncertainty['scheme']}, {uncertainty['n_resamples']} splits, seed {uncertainty['seed']}):")
        lines += [f"- {finding(uncertainty, t)}" for t in measured]
    return lines


def report(rows: list[RedundancyRow], fmt: str = "md") -> str:
    """Both tables of Tsukagoshi & Sasano (ID, IsoScore) with intervals, the paper's rows, the Gaussian
    baseline and the paired comparisons, as Markdown; or one CSV of the figures."""
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        for i, measure in enumerate(("twonn", "isoscore")):
            header, body = _cells(rows, measure, csv_columns=True)
            if i == 0:
                writer.writerow(["measure", *header])
            writer.writerows([measure, *cells] for cells in body)
        return buffer.getvalue()
    gaussian = {r.model: r.value("gaussian_isoscore", "none") for r in rows}
    notes = ", ".join(f"{m}: {g:.4f}" for m, g in gaussian.items() if g is not None)
    sentences = findings(rows)
    intervals = rows[0].scores.get("uncertainty")
    ci_note = (
        f"Values in brackets: {covers(intervals['confidence'], intervals['n_points'])} texts ({intervals['scheme']} over the texts; the "
        f"same splits for every prompt type, so differences are paired). "
        if intervals
        else ""
    )
    return (
        f"### TwoNN intrinsic dimension ({rows[0].task})\n\n{table(rows, 'twonn')}\n\n"
        f"### IsoScore ({rows[0].task})\n\n{table(rows, 'isoscore')}\n\n"
        f"{ci_note}Rows marked (paper) are {PAPER_SOURCE}: another corpus, shown for comparison, not a check, and only "
        "beside the configuration the paper measured (its prompt style, full dimension, no quantization, float32). "
        "Cells marked (derived) are not printed in the paper: E5's classification and clustering use its query: prefix, "
        "so they repeat its query: figures.\n\n"
        f"IsoScore of an isotropic Gaussian at the same (m, n): {notes}\n"
        + (("\n### Paired comparisons with the retrieval-query prompt\n\n" + "\n".join(sentences) + "\n") if sentences else "")
    )


def figure(rows: list[RedundancyRow]):
    """ID and IsoScore against d (log-2 axis), one line per model and prompt type."""
    fig = new_figure(figsize=(12, 4.5))
    axes = fig.subplots(1, 2)
    for row in rows:
        for prompt_type in PROMPT_TYPES:
            curve = row.scores["prompt_types"].get(prompt_type, {}).get("by_dimension") or []
            if not curve:
                continue
            label = f"{row.model} / {COLUMN_TITLES[prompt_type]}"
            dims = [p["d"] for p in curve]
            axes[0].plot(dims, [p["twonn"] for p in curve], marker="o", label=label)
            axes[1].plot(dims, [p["isoscore"] for p in curve], marker="o", label=label)
    for ax, title in zip(axes, ("TwoNN intrinsic dimension", "IsoScore")):
        ax.set_xscale("log", base=2)
        ax.set_xlabel("dimension d (first d coordinates unless the variant says otherwise)")
        ax.set_ylabel(title)
        ax.set_title(f"{title} against d ({rows[0].task})")
        ax.grid(alpha=0.3)
    axes[1].legend(fontsize=7, loc="best")
    fig.tight_layout()
    return fig


def plot(rows: list[RedundancyRow], out: str | Path) -> Path:
    """Save :func:`figure` as PNG or SVG (by the file's suffix)."""
    return save_figure(figure(rows), out)
