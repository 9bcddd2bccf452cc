"""The study's report folder: ``report.md`` with the figures (PNG and SVG) and tables (Markdown and CSV)
of the three analyses, each written atomically."""

from __future__ import annotations

from pathlib import Path

from mteb_redundancy._io import atomic_write_text, csv_text, markdown_table, save_figure


def _redundancy_section(result, task) -> tuple[list[str], list[Path]]:
    import dataclasses

    from mteb_redundancy.analyses.redundancy.report import RedundancyRow, figure, report
    from mteb_redundancy.models.names import parse_variant_name

    # named as redundancy-table names a result: with its precision where that is not float32
    precision = None if result.precision == "float32" else result.precision
    name = str(dataclasses.replace(parse_variant_name(result.variant), precision=precision))
    rows = [RedundancyRow(name, task.metadata.name, result.redundancy)]
    out = result.out
    files = [atomic_write_text(out / "redundancy.csv", report(rows, "csv"))]
    fig = figure(rows)
    files += [save_figure(fig, out / "redundancy.png"), save_figure(fig, out / "redundancy.svg")]
    text = [
        f"## Redundancy per prompt type ({task.metadata.name})",
        "",
        report(rows, "md"),
        "![ID and IsoScore against d](redundancy.png)",
        "",
    ]
    return text, files


def _displacement_section(result, task) -> tuple[list[str], list[Path]]:
    scores = result.displacement
    header = ["condition", "instruction", "mean cosine distance", "centroid shift", "PCA mean cosine distance"]
    body = [
        [name, entry.get("instruction") or "(none)", entry["mean_cosine_distance"], entry["centroid_shift"], entry["pca_mean_cosine_distance"]]
        for name, entry in scores["conditions"].items()
    ]
    files = [atomic_write_text(result.out / "displacement.csv", csv_text([header, *body]))]
    text = [
        f"## Instruction displacement ({task.metadata.name})",
        "",
        f"{scores['n_queries']} queries; rows L2-normalised; PCA k = {scores['pca_k']} fitted on the "
        f"{'base condition' if scores.get('pca_fit') == 'base' else 'conditions together'}. {scores['note']}",
        "",
        markdown_table(header, body),
        "",
        f"Mean displacement over the instructed conditions: {scores['mean_displacement']:.4f} (a size, not a score).",
        "",
    ]
    return text, files


def write_report(result, *, redundancy_task=None, displacement_task=None) -> list[Path]:
    from mteb_redundancy.analyses.sweep.plots import write_sweep_report

    out = result.out
    lines = [
        f"# Study: {result.variant}",
        "",
        "The measurements of Tsukagoshi & Sasano (2025) for one model and prompt style: redundancy (TwoNN "
        "intrinsic dimension, IsoScore, and every other registered estimator) per prompt type, the score of each task type against the embedding "
        "dimension, and how far task instructions move the embeddings (Ogawa et al.). Every figure comes "
        "from the MTEB result files under `results/`.",
        "",
    ]
    files: list[Path] = []
    if result.redundancy is not None:
        text, written = _redundancy_section(result, redundancy_task)
        lines += text
        files += written
    if result.sweep is not None:
        written = write_sweep_report(result.sweep, out / "sweep.png", title=f"Score against embedding dimension: {result.variant}")
        files += written
        lines += [
            "## Score against embedding dimension",
            "",
            "![mean score per task type against d](sweep.png)",
            "",
            result.sweep.to_markdown(),
            "",
        ]
    if result.displacement is not None:
        text, written = _displacement_section(result, displacement_task)
        lines += text
        files += written
    if result.robustness is not None:
        from mteb_redundancy.analyses.robustness.report import study_section

        lines += study_section(result.robustness, "robustness")
        files += result.robustness.files
    lines += [f"Texts encoded by this run: {result.texts_encoded} (0 when everything came from the cache).", ""]
    files.append(atomic_write_text(out / "report.md", "\n".join(lines)))
    return files
