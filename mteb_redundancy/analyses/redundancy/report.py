"""Tables and plots of redundancy results, read from MTEB result folders (Tsukagoshi & Sasano 2025,
Tables 1 and 2)."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

from mteb_redundancy._io import format_number, markdown_table, new_figure, save_figure, shared_legend
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


@dataclass(frozen=True)
class Statistic:
    name: str
    label: str
    digits: int


# Results written before the estimator registry hold TwoNN and IsoScore only, and no list of statistics.
_FIRST_STATISTICS = (Statistic("twonn", "TwoNN ID", 2), Statistic("isoscore", "IsoScore", 4))
# The paper's tables: its column of (ID, IsoScore) per statistic.
_PAPER_COLUMN = {"twonn": 0, "isoscore": 1}


def statistics(rows: list[RedundancyRow]) -> list[Statistic]:
    """Every statistic the rows hold, in the order their results list them (each result records its
    estimators' names, labels and digits); then any registered estimator whose values appear."""
    from mteb_redundancy.plugins import registered_estimators

    found: dict[str, Statistic] = {}
    for row in rows:
        for entry in row.scores.get("uncertainty", {}).get("statistics") or []:
            found.setdefault(entry["name"], Statistic(entry["name"], entry["label"], int(entry["digits"])))
    for candidate in [*_FIRST_STATISTICS, *(Statistic(e.name, e.label, e.digits) for e in registered_estimators())]:
        if any(row.value(candidate.name, t) is not None for row in rows for t in PROMPT_TYPES):
            found.setdefault(candidate.name, candidate)
    return list(found.values())


def _statistic(rows: list[RedundancyRow], measure: str) -> Statistic:
    for statistic in [*statistics(rows), *_FIRST_STATISTICS]:
        if statistic.name == measure:
            return statistic
    raise ValueError(f"No result here holds the statistic {measure!r}; these do: {', '.join(s.name for s in statistics(rows))}.")


def _cells(rows: list[RedundancyRow], measure: str, *, csv_columns: bool = False) -> tuple[list[str], list[list[str]]]:
    """One row per model (the value with its interval), then the paper's row for that model (ID and
    IsoScore only: the paper measured no other statistic)."""
    digits = _statistic(rows, measure).digits
    column = _PAPER_COLUMN.get(measure)
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
        paper = paper_figures(row.model) if column is not None and paper_configuration(row.model) else None
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
    """A Markdown table of ``measure`` (a registered estimator's name: "twonn", "isoscore", "mle", ...):
    a row per model, a column per prompt type, each value with its interval; the paper's figures for
    the same model on a row of their own (ID and IsoScore)."""
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


def claim_table(rows: list[RedundancyRow]) -> list[str]:
    """Per model, Tsukagoshi & Sasano's claims (classification and clustering below the retrieval
    query) per estimator: holds, reversed or undecided from the paired interval, each stated with the
    corpus, m and estimator it was measured at. Empty for results without intervals or without the
    three prompt types."""
    from mteb_redundancy.analyses.robustness.verdicts import CLAIMS, claim_verdicts

    lines = []
    for row in rows:
        uncertainty = row.scores.get("uncertainty")
        types = row.scores.get("prompt_types", {})
        if not uncertainty or not all(c.prompt_type in types and c.reference in types for c in CLAIMS):
            continue
        stats = [s for s in statistics([row]) if any(s.name in d for d in uncertainty.get("differences", []))]
        prompts = {t: sorted({e.get("prompt", "") for e in types[t].get("per_instruction", [])}) for t in types}
        verdicts = claim_verdicts(uncertainty, corpus=row.task, estimators=[s.name for s in stats], prompts=prompts)
        by_key = {(v.claim, v.estimator): v for v in verdicts}
        header = ["claim", *(s.label for s in stats)]
        body = []
        for claim in dict.fromkeys(v.claim for v in verdicts):
            cells = []
            for s in stats:
                v = by_key[(claim, s.name)]
                d = max(s.digits, 2)  # a difference of means of integer estimates (lPCA) is not an integer
                if v.same_prompts:
                    cells.append(f"{v.verdict} (same prompts: 0 by construction)")
                else:
                    estimate, low, high = (format_number(x, d, sign=True) for x in (v.estimate, v.low, v.high))
                    cells.append(f"{v.verdict} ({estimate} [{low}, {high}])")
            body.append([claim, *cells])
        m = int(uncertainty["n_points"])
        lines += [
            f"{row.model}, {row.task}, m = {m}:",
            "",
            markdown_table(header, body),
            "",
            f"Each verdict is the paired difference (type minus query) with its {covers(uncertainty['confidence'], m)} on "
            f"{row.task}, for the estimator of its column: **holds** when the interval excludes 0 in the paper's direction, "
            "**reversed** when it excludes 0 the other way, **undecided** when it includes 0. A verdict holds for this corpus, "
            "this m and this estimator, not for the paper's finding in general: `mteb-redundancy robustness -m <model> "
            "--prompt <style>` measures each claim on every corpus, size and estimator and draws the grid of verdicts "
            "(`verdicts.png` in its output folder).",
            "",
        ]
    return lines


def report(rows: list[RedundancyRow], fmt: str = "md") -> str:
    """A table per statistic (TwoNN ID and IsoScore as in Tsukagoshi & Sasano's Tables 1-2, then every
    other registered estimator the results hold) with intervals, the paper's rows, the Gaussian
    baseline, the verdicts on the paper's claims and the paired comparisons, as Markdown; or one CSV
    of the figures."""
    measures = [s.name for s in statistics(rows)] or [s.name for s in _FIRST_STATISTICS]
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        for i, measure in enumerate(measures):
            header, body = _cells(rows, measure, csv_columns=True)
            if i == 0:
                writer.writerow(["measure", *header])
            writer.writerows([measure, *cells] for cells in body)
        return buffer.getvalue()
    gaussian = {r.model: r.value("gaussian_isoscore", "none") for r in rows}
    notes = ", ".join(f"{m}: {g:.4f}" for m, g in gaussian.items() if g is not None)
    sentences = findings(rows)
    verdicts = claim_table(rows)
    intervals = rows[0].scores.get("uncertainty")
    ci_note = (
        f"Values in brackets: {covers(intervals['confidence'], intervals['n_points'])} texts ({intervals['scheme']} over the texts; the "
        f"same splits for every prompt type, so differences are paired). "
        if intervals
        else ""
    )
    tables = "".join(f"### {_statistic(rows, m).label} ({rows[0].task})\n\n{table(rows, m)}\n\n" for m in measures)
    return (
        tables
        + f"{ci_note}Rows marked (paper) are {PAPER_SOURCE}: another corpus, shown for comparison, not a check, and only "
        "beside the configuration the paper measured (its prompt style, full dimension, no quantization, float32). "
        "Cells marked (derived) are not printed in the paper: E5's classification and clustering use its query: prefix, "
        "so they repeat its query: figures.\n\n"
        f"IsoScore of an isotropic Gaussian at the same (m, n): {notes}\n"
        + (("\n### Tsukagoshi & Sasano's claims: classification and clustering below the retrieval query\n\n" + "\n".join(verdicts)) if verdicts else "")
        + (("\n### Paired comparisons with the retrieval-query prompt\n\n" + "\n".join(sentences) + "\n") if sentences else "")
    )


def figure(rows: list[RedundancyRow]):
    """ID and IsoScore against d (log-2 axis), one line per model and prompt type, one legend under
    both panels."""
    import math

    curves = [
        (row, prompt_type, row.scores["prompt_types"].get(prompt_type, {}).get("by_dimension") or [])
        for row in rows
        for prompt_type in PROMPT_TYPES
    ]
    curves = [c for c in curves if c[2]]
    columns = 2 if any(len(row.model) > 40 for row, _, _ in curves) else 5
    legend_height = 0.3 + 0.25 * math.ceil(max(1, len(curves)) / columns)  # inches
    fig = new_figure(figsize=(12, 4.5 + legend_height))
    axes = fig.subplots(1, 2)
    for row, prompt_type, curve in curves:
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
    if curves:
        shared_legend(fig, columns=columns)
    fig.tight_layout(rect=(0, legend_height / (4.5 + legend_height), 1, 1))
    return fig


def plot(rows: list[RedundancyRow], out: str | Path) -> Path:
    """Save :func:`figure` as PNG or SVG (by the file's suffix)."""
    return save_figure(figure(rows), out)
