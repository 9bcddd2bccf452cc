"""The figures Tsukagoshi & Sasano (2025) report, Tables 1 and 2: TwoNN intrinsic dimension and
IsoScore per model and prompt type, on their own corpus (10,000 random English Wikipedia texts).
Shown beside measured rows for the same model in the configuration the paper measured (its prompt
style, the full dimension, no quantization, the default float32 precision), labelled as the paper's;
never mixed into means."""

from __future__ import annotations

SOURCE = "Tsukagoshi & Sasano (2025), Tables 1-2, on their own 10,000 Wikipedia texts"

# model id -> prompt type -> (TwoNN ID, IsoScore)
_TABLE_1 = {
    "Alibaba-NLP/gte-Qwen2-7B-instruct": ((31.90, 0.0779), (35.94, 0.0813), (22.02, 0.0052), (10.78, 0.0058)),
    "intfloat/e5-mistral-7b-instruct": ((51.36, 0.0761), (36.69, 0.0332), (22.26, 0.0057), (13.01, 0.0060)),
    "Salesforce/SFR-Embedding-2_R": ((81.38, 0.1117), (35.07, 0.0555), (37.03, 0.0077), (16.29, 0.0138)),
    "intfloat/multilingual-e5-large-instruct": ((36.59, 0.1750), (35.58, 0.0752), (21.85, 0.0191), (17.29, 0.0405)),
    "nomic-ai/nomic-embed-text-v1.5": ((34.74, 0.2112), (33.78, 0.1930), (27.75, 0.1556), (26.25, 0.1362)),
}
_TYPES = ("retrieval_query", "retrieval_document", "classification", "clustering")

# Table 2: E5 with "query: " (queries, classification, clustering) and "passage: " (documents); SimCSE with none.
_E5 = {
    "intfloat/e5-small-v2": ((41.57, 0.4419), (37.60, 0.3905)),
    "intfloat/e5-large-v2": ((42.44, 0.2022), (38.50, 0.1977)),
}

# The prompt style of this project that gives each model the inputs the paper gave it.
PAPER_STYLES = {
    **{model: "instruction" for model in _TABLE_1 if model != "nomic-ai/nomic-embed-text-v1.5"},
    "nomic-ai/nomic-embed-text-v1.5": "prefix",
    **{model: "prefix" for model in _E5},
    "princeton-nlp/unsup-simcse-bert-large-uncased": "none",
}
# Table 2 prints one "query:" row for E5; the classification and clustering cells repeat it (E5 uses
# "query: " for them), so they are derived here, not printed in the paper.
DERIVED_TYPES = {model: ("classification", "clustering") for model in _E5}

PAPER_FIGURES: dict[str, dict[str, tuple[float, float]]] = {
    model: dict(zip(_TYPES, rows)) for model, rows in _TABLE_1.items()
}
for _model, (_query, _passage) in _E5.items():
    PAPER_FIGURES[_model] = {"retrieval_query": _query, "retrieval_document": _passage, "classification": _query, "clustering": _query}
PAPER_FIGURES["princeton-nlp/unsup-simcse-bert-large-uncased"] = {"none": (27.01, 0.1611)}


def paper_figures(model_name: str) -> dict[str, tuple[float, float]] | None:
    """The paper's figures for a model or any variant of it (``org/name (prompt=..., ...)``)."""
    return PAPER_FIGURES.get(model_name.split(" (")[0].strip())


def paper_configuration(row_name: str) -> bool:
    """Whether a result row (a model, or a variant ``org/name (prompt=..., ...)``) is the configuration
    the paper measured: its prompt style, full dimension, no quantization, float32 or default precision.
    A plain model name carries no prompt style of this project, so only a model the paper ran without
    prompts matches it."""
    from mteb_redundancy.models.names import DEFAULT_PRECISION, looks_like_variant, parse_variant_name

    base = row_name.split(" (")[0].strip()
    style = PAPER_STYLES.get(base)
    if style is None:
        return False
    if not looks_like_variant(row_name):
        return style == "none"
    try:
        variant = parse_variant_name(row_name)
    except ValueError:
        return False
    return (
        variant.prompt == style
        and variant.dim is None
        and variant.quantization is None
        and variant.precision in (None, DEFAULT_PRECISION)
    )
