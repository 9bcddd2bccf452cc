"""From registered ``ModelSpec``s to MTEB ``ModelMeta``s and loaded encoders, by variant name.

A variant is an MTEB *experiment* of its base model. Its ``ModelMeta`` is the base model's (name,
revision, parameters, license...) with the variant's options as ``experiment_kwargs`` (prompt style,
dimension, reduction, ``normalize=False`` for raw truncation, and precision where it is not float32) and ``embed_dim = d``; MTEB's own
registry holds it under the variant's name, e.g. ``sentence-transformers/all-MiniLM-L6-v2
(prompt=none, dim=64)``, and MTEB writes its results to the base model's folder under
``experiments/<experiment name>/``. ``ModelMeta.model_name_with_experiment`` spells it MTEB's way
(keys sorted), which resolves to the same variant.
"""

from __future__ import annotations

import dataclasses
import difflib
from collections.abc import Mapping
from typing import Any

from mteb.models import ModelMeta

from mteb_redundancy.models.encoder import PromptedEncoder
from mteb_redundancy.models.names import (
    OPTION_KEYS,
    VariantName,
    looks_like_variant,
    parse_variant_name,
    repaired_form,
    split_variant_name,
)
from mteb_redundancy.models.quantization import QUANTIZATIONS
from mteb_redundancy.models.reduction import REDUCTIONS, check_dimension
from mteb_redundancy.plugins import Registry, get_registry

# Options a loader call may carry besides the variant's own (MTEB passes ``device``; ``embed_dim`` is
# MTEB's check of the dimension, already made against ``ModelMeta.embed_dim``).
_LOADER_OPTIONS = (
    "variant", "prompt", "dim", "reduction", "normalize", "quantization", "precision", "cache", "show_progress", "embed_dim",
    "max_seq_length", "backend_options",
)


class ChangedSettingsError(RuntimeError):
    """An encoder loaded with settings other than its model's registered ones (``get_encoder(...,
    max_seq_length=..., backend_options=...)``) asked for its MTEB metadata, i.e. to be evaluated:
    MTEB would file its results as the variant's own. Not an ``AttributeError``, so that
    ``hasattr``/``getattr`` with a default do not hide it."""


class UnknownModelError(KeyError):
    """A model name no plugin registered; the message names the closest registered ones."""

    def __str__(self) -> str:
        return str(self.args[0])


def full_dimension(spec, base_meta: ModelMeta | None) -> int | None:
    if spec.embed_dim is not None:
        return spec.embed_dim
    if base_meta is not None and isinstance(base_meta.embed_dim, int):
        return base_meta.embed_dim
    return None


def _fallback_meta(spec) -> dict[str, Any]:
    return {
        "name": spec.model_id,
        "revision": spec.revision,
        "release_date": None,
        "languages": None,
        "n_parameters": None,
        "memory_usage_mb": None,
        "max_tokens": None,
        "embed_dim": spec.embed_dim,
        "license": None,
        "open_weights": True,
        "public_training_code": None,
        "public_training_data": None,
        "framework": ["PyTorch"],
        "reference": f"https://huggingface.co/{spec.model_id}",
        "similarity_fn_name": spec.similarity,
        "use_instructions": False,
        "training_datasets": None,
    }


def variant_meta(
    spec, variant: VariantName, base_meta: ModelMeta | None, revision: str | None, precision: str | None = None
) -> ModelMeta:
    """The variant's ``ModelMeta``: its base model's, with the variant's options as MTEB experiment
    kwargs and ``embed_dim = d``. ``precision`` is the precision the encoder runs in, where known.
    Raises ``ValueError`` if a name that becomes a result folder (model, revision, experiment) is not a
    single folder name."""
    from mteb_redundancy.mteb_bridge.results_layout import check_meta_paths

    full_dim = full_dimension(spec, base_meta)
    fields = base_meta.model_dump(exclude={"loader"}) if base_meta is not None else _fallback_meta(spec)
    fields.update(spec.meta)
    adapted_from = fields.get("adapted_from")
    fields.update(
        name=spec.model_id,
        revision=revision or fields.get("revision"),
        # A variant is the base model run otherwise, not a model adapted from it (MTEB: an experiment).
        adapted_from=None if adapted_from == spec.model_id else adapted_from,
        loader=load_variant,
        similarity_fn_name=spec.similarity,
        extra_requirements_groups=None,
        **_variant_fields(variant, full_dim, bool(fields.get("use_instructions")), precision),
    )
    meta = ModelMeta(**fields)
    check_meta_paths(meta)
    return meta


def _style_uses_instructions(style: str) -> bool:
    """What the registered style says (``PromptStyle.uses_instructions``); ``False`` for a style no
    plugin registered (``resolve_variant`` refuses it before any ``ModelMeta`` is built)."""
    found = get_registry().styles.get(style)
    return bool(found is not None and found.uses_instructions)


def _variant_fields(variant: VariantName, full_dim: int | None, base_uses_instructions: bool, precision: str | None = None) -> dict:
    """The ``ModelMeta`` fields in which the variants of one model differ."""
    loader_kwargs: dict[str, Any] = {"variant": str(variant)}
    if variant.precision is not None:
        loader_kwargs["precision"] = variant.precision
    return {
        "embed_dim": variant.dim if variant.dim is not None else full_dim,
        "loader_kwargs": loader_kwargs,
        "use_instructions": _style_uses_instructions(variant.prompt) or base_uses_instructions,
        "experiment_kwargs": variant.experiment_kwargs(precision),
    }


def variant_metas(spec, variants, base_meta: ModelMeta | None, revision: str | None) -> dict[str, ModelMeta]:
    """``{name: ModelMeta}`` of many variants of one model: the first is built and validated as
    :func:`variant_meta` builds it, the others are copies that differ in the variant's own fields."""
    from mteb_redundancy.mteb_bridge.results_layout import check_path_component

    metas: dict[str, ModelMeta] = {}
    template = None
    full_dim = full_dimension(spec, base_meta)
    base_uses_instructions = bool(
        spec.meta.get("use_instructions", base_meta.use_instructions if base_meta is not None else False)
    )
    for variant in variants:
        if template is None:
            template = metas[str(variant)] = variant_meta(spec, variant, base_meta, revision)
            continue
        meta = template.model_copy(update=_variant_fields(variant, full_dim, base_uses_instructions))
        check_path_component(f"experiment name of {meta.name}", meta.experiment_name)
        metas[str(variant)] = meta
    return metas


def variant_of_meta(meta: ModelMeta) -> VariantName | None:
    """The variant a ``ModelMeta`` (registered, loaded or read from a result folder) stands for, or
    ``None`` for a model that is not a variant. A precision in its experiment kwargs is kept."""
    kwargs = dict(meta.experiment_kwargs or {})
    if "prompt" in kwargs and meta.name:
        try:
            return VariantName.from_experiment(meta.name, kwargs)
        except ValueError:
            return None
    return None


def experiment_meta(meta: ModelMeta, variant: VariantName, precision: str | None) -> ModelMeta:
    """``meta`` as the result of ``variant`` run in ``precision``: exactly the variant's experiment
    kwargs (options that do not change the vectors, such as a cache, are left out)."""
    loader_kwargs = {key: value for key, value in (meta.loader_kwargs or {}).items() if key == "precision"}
    loader_kwargs["variant"] = str(variant)
    return meta.model_copy(
        update={
            "name": variant.base,
            "experiment_kwargs": variant.experiment_kwargs(precision),
            "loader_kwargs": loader_kwargs,
            "embed_dim": variant.dim if variant.dim is not None else meta.embed_dim,
        }
    )


class VariantEncoder(PromptedEncoder):
    """A ``PromptedEncoder`` whose ``mteb_model_meta`` is always its variant's experiment: MTEB sets
    the attribute after the loader returns (with whatever kwargs the caller passed); here it becomes
    the variant's own experiment kwargs, with the precision the encoder really runs in.

    ``changed_settings`` are the model's settings this encoder was loaded with in place of the
    registered ones (``max_seq_length``, backend options). Its vectors are its own and so is its
    cache namespace (``CacheKey.settings``), but the variant's name and experiment do not say them:
    such an encoder serves ``embed`` and refuses MTEB evaluation (reading ``mteb_model_meta`` raises
    :class:`ChangedSettingsError`), rather than file its results as the variant's."""

    def __init__(self, *args: Any, changed_settings: Mapping[str, Any] | None = None, **kwargs: Any):
        self.__dict__["_changed_settings"] = dict(changed_settings or {})
        super().__init__(*args, **kwargs)

    @property
    def changed_settings(self) -> dict[str, Any]:
        return dict(self.__dict__.get("_changed_settings", {}))

    @property
    def mteb_model_meta(self) -> ModelMeta | None:
        changed = self.__dict__.get("_changed_settings")
        if changed:
            raise ChangedSettingsError(
                f"{self.__dict__.get('variant')} was loaded with settings other than its registered ones "
                f"({', '.join(f'{k}={v!r}' for k, v in changed.items())}): MTEB would record its results as the "
                "variant's own. Use such an encoder for embed() only (its vectors have their own cache "
                "namespace); to evaluate the configuration with MTEB, register it as a model of its own "
                "(a models.toml entry or a plugin's ModelSpec with these settings)."
            )
        return self.__dict__.get("_mteb_model_meta")

    @mteb_model_meta.setter
    def mteb_model_meta(self, meta: ModelMeta | None) -> None:
        if meta is not None:
            precision = self.precision if "backend" in self.__dict__ else self.variant.precision
            meta = experiment_meta(meta, self.variant, precision)
        self.__dict__["_mteb_model_meta"] = meta


def _base_spec(base: str, registry: Registry):
    spec = registry.models.get(base)
    if spec is None:  # hub ids are case-insensitive
        same = [s for model_id, s in registry.models.items() if model_id.lower() == base.lower()]
        spec = same[0] if len(same) == 1 else None
    return spec


def resolve_variant(name: str, model_registry, registry: Registry | None = None) -> tuple[str, ModelMeta]:
    """The canonical name and ``ModelMeta`` of a variant name in any spelling (option order, spacing,
    explicit defaults, MTEB's sorted-key form); ``model_registry`` is MTEB's registry, read for the
    base model's facts and for the registered variants. Raises a clear error, with the closest
    registered names, for a name that does not resolve."""
    registry = registry or get_registry()
    try:
        variant = parse_variant_name(name)
    except ValueError as error:
        raise UnknownModelError(f"{error} {suggest_names(name)}") from None
    spec = _base_spec(variant.base, registry)
    if spec is None:
        raise UnknownModelError(
            f"No mteb-redundancy plugin registered the model {variant.base!r}. {suggest_names(name)} "
            f"Register it with `mteb-redundancy add-model {variant.base}` or a plugin's register_models hook."
        )
    style = variant.prompt if variant.prompt in spec.prompt_styles else next(
        (s for s in spec.prompt_styles if s.lower() == variant.prompt.lower()), None
    )
    if style is None:
        raise UnknownModelError(
            f"{spec.model_id} has no prompt style {variant.prompt!r}; registered styles: "
            f"{', '.join(spec.prompt_styles)}. {suggest_names(name)}"
        )
    if variant.reduction not in REDUCTIONS:
        raise UnknownModelError(f"Unknown reduction {variant.reduction!r} in {name!r}; choose from {', '.join(REDUCTIONS)}.")
    if variant.quantization is not None and variant.quantization not in QUANTIZATIONS:
        raise UnknownModelError(
            f"Unknown quantization {variant.quantization!r} in {name!r}; choose from {', '.join(QUANTIZATIONS)}."
        )
    if variant.precision is not None:
        from mteb_redundancy.models.precision import PRECISIONS

        if variant.precision not in PRECISIONS:
            raise UnknownModelError(f"Unknown precision {variant.precision!r} in {name!r}; choose from {', '.join(PRECISIONS)} or auto.")
    base_meta = model_registry.get(spec.model_id)
    full_dim = full_dimension(spec, base_meta)
    dim = variant.dim
    if dim is not None:
        check_dimension(dim, full_dim, spec.model_id)
        if dim == full_dim:
            dim = None  # an explicit full dimension is the full-dimension variant
    canonical = VariantName(
        spec.model_id, style, dim, variant.reduction if dim is not None else "first", variant.precision, variant.quantization,
        variant.normalize,
    )
    key = str(canonical)
    known = model_registry.get(key)
    if known is not None and known.loader is load_variant:
        return key, known
    source = registry.source_for(spec.model_id)
    return key, variant_meta(spec, canonical, base_meta, spec.revision or (source.revision if source else None))


def canonical_name(name: str) -> str:
    """The registered spelling of a variant name (``UnknownModelError`` if it does not resolve)."""
    from mteb_redundancy.mteb_bridge.registries import model_registry

    return resolve_variant(name, model_registry())[0]


def _normalized_for_matching(name: str) -> str:
    try:
        parts = split_variant_name(repaired_form(name))
    except ValueError:
        return name
    if parts is None:
        return name
    base, options = parts
    order = {key: i for i, key in enumerate(OPTION_KEYS)}
    defaults = {"reduction": "first", "quantization": "float32", "normalize": "true"}
    shown = [
        f"{k}={v}"
        for k, v in sorted(options.items(), key=lambda kv: order.get(kv[0], 99))
        if defaults.get(k) != v.lower()
    ]
    return f"{base} ({', '.join(shown)})"


def suggest_names(name: str) -> str:
    """A sentence naming the registered variant names closest to ``name`` (empty if none)."""
    from mteb_redundancy.mteb_bridge.registries import metas_loaded_by

    candidates = list(metas_loaded_by(load_variant))
    wanted = _normalized_for_matching(name)
    close = difflib.get_close_matches(wanted, candidates, n=3, cutoff=0.6)
    if not close:
        base = wanted.split(" (")[0]
        close = sorted({c for c in candidates if c.split(" (")[0] == base})[:3] or sorted(
            {c.split(" (")[0] for c in candidates}
        )[:3]
    return f"Closest registered names: {'; '.join(repr(c) for c in close)}." if close else ""


def _variant_of_call(model_name: str, kwargs: dict[str, Any]) -> VariantName:
    unknown = sorted(set(kwargs) - set(_LOADER_OPTIONS))
    if unknown:
        raise TypeError(
            f"{model_name}: unknown options {unknown} for an mteb-redundancy variant; it takes "
            f"{', '.join(o for o in _LOADER_OPTIONS if o != 'embed_dim')} (and device)."
        )
    base = parse_variant_name(model_name).base if looks_like_variant(model_name) else model_name
    if "prompt" in kwargs:
        dim = kwargs.get("dim")
        return VariantName(
            base,
            str(kwargs["prompt"]),
            int(dim) if dim is not None else None,
            str(kwargs.get("reduction") or "first"),
            kwargs.get("precision") or None,
            kwargs.get("quantization") or None,
            str(kwargs.get("normalize", True)).lower() != "false",
        )
    if kwargs.get("variant"):
        return parse_variant_name(str(kwargs["variant"]))
    if looks_like_variant(model_name):
        return parse_variant_name(model_name)
    raise UnknownModelError(f"{model_name}: which variant? Give a variant name, e.g. {str(VariantName(model_name, 'none'))!r}.")


def load_variant(model_name: str, revision: str | None = None, device: str | None = None, **kwargs: Any):
    """MTEB loader for every registered variant (``ModelMeta.loader``). MTEB calls it with the base
    model's name and the variant's experiment kwargs (``prompt``, ``dim``, ``reduction``,
    ``precision``); a variant name as ``model_name`` works too. ``max_seq_length`` and
    ``backend_options`` replace the spec's (:func:`with_settings`, :func:`get_encoder`)."""
    registry = get_registry()
    variant = _variant_of_call(model_name, kwargs)
    spec = _base_spec(variant.base, registry)
    if spec is None:
        raise UnknownModelError(f"No mteb-redundancy plugin registered the model {variant.base!r}. {suggest_names(str(variant))}")
    variant = dataclasses.replace(variant, base=spec.model_id)
    source = registry.source_for(spec.model_id)
    revision = revision or spec.revision or (source.revision if source else None)
    if source is not None and source.weights:
        # Files that are not the hub's (a quantized copy) must not share cached vectors with it.
        revision = f"{revision}+{source.weights}"
    spec, changed = with_settings(spec, kwargs.get("max_seq_length"), kwargs.get("backend_options"))
    precision = kwargs.get("precision") or variant.precision
    if precision and precision != "auto":
        spec = dataclasses.replace(spec, backend_options={**spec.backend_options, "precision": precision})
    return VariantEncoder(
        spec,
        variant,
        location=str(source.resolve()) if source else spec.model_id,
        revision=revision,
        device=device,
        cache=kwargs.get("cache"),
        show_progress=kwargs.get("show_progress", True),
        changed_settings=changed,
    )


def with_settings(spec, max_seq_length: int | None = None, backend_options: Mapping[str, Any] | None = None):
    """``spec`` with ``max_seq_length`` and the given ``backend_options`` (merged into the spec's own)
    in place of its own, checked as every ``ModelSpec`` field is (``ModelSpecTypeError``), and the
    settings that differ from the registered ones: every option given with another value than the
    spec's, even one the backend would default to (not every option that changes the vectors is in
    the cache key's settings; PromptEOL's demonstrations are in its prompt). ``None`` keeps a field.
    The precision has its own way in (``precision=``), which the variant's experiment records; it is
    refused here."""
    fields: dict[str, Any] = {}
    if max_seq_length is not None:
        fields["max_seq_length"] = max_seq_length
    if backend_options is not None:
        if isinstance(backend_options, Mapping) and "precision" in backend_options:
            raise ValueError(f"{spec.model_id}: give the precision as precision=..., not as a backend option here.")
        # not a table: left to ModelSpec's own check, which names the field
        fields["backend_options"] = {**spec.backend_options, **backend_options} if isinstance(backend_options, Mapping) else backend_options
    if not fields:
        return spec, {}
    changed_spec = dataclasses.replace(spec, **fields)
    changed: dict[str, Any] = {}
    if changed_spec.max_seq_length != spec.max_seq_length:
        changed["max_seq_length"] = changed_spec.max_seq_length
    missing = object()
    for key, value in changed_spec.backend_options.items():
        if spec.backend_options.get(key, missing) != value:
            changed[key] = value
    return changed_spec, changed


def get_encoder(
    name: str,
    *,
    device: str | None = None,
    cache=None,
    show_progress: bool = True,
    precision: str | None = None,
    max_seq_length: int | None = None,
    backend_options: Mapping[str, Any] | None = None,
):
    """Load a registered variant (any spelling of its name) as a ``PromptedEncoder`` with its
    ``ModelMeta`` attached.

    ``precision`` (``float32``, ``bfloat16`` or ``auto``) overrides the name's, the model's and the
    environment's choice (``mteb_redundancy.models.precision``); the precision the encoder runs in is
    part of its experiment kwargs where it is not float32. ``cache`` and ``show_progress`` do not
    change the vectors, so they are not (as with ``mteb.get_model`` on a variant either).

    ``max_seq_length`` and ``backend_options`` (merged into the model's own, e.g.
    ``{"normalize_output": False}`` for a sentence-transformers model) replace the registered
    ``ModelSpec``'s before the backend is built, checked as the spec's fields are; the backend refuses
    an option it does not know. They enter the embedding cache key (``CacheKey.settings``), so the
    vectors never mix with the variant's. An encoder whose settings so differ from the registered ones
    is for ``embed`` only: it refuses MTEB evaluation (:class:`ChangedSettingsError`), since neither
    its name nor its experiment records them.
    """
    import mteb

    meta = mteb.get_model_meta(name)
    variant = variant_of_meta(meta) if meta.loader is load_variant else None
    if variant is None:
        raise UnknownModelError(f"{name!r} is an MTEB model, not an mteb-redundancy variant. {suggest_names(name)}")
    if precision:
        variant = dataclasses.replace(variant, precision=None if precision == "auto" else precision)
    settings = {"max_seq_length": max_seq_length, "backend_options": backend_options}
    encoder = load_variant(
        meta.name, meta.revision, device=device, cache=cache, show_progress=show_progress, variant=str(variant),
        **{key: value for key, value in settings.items() if value is not None},
    )
    encoder.mteb_model_meta = meta
    return encoder


def result_variant_name(model_name: str, model_meta: ModelMeta | None) -> str:
    """The name to show for a model's results: the variant's canonical name (with a precision other
    than float32) for a variant, else the model's name."""
    if model_meta is not None:
        variant = variant_of_meta(model_meta)
        if variant is not None:
            precision = (model_meta.experiment_kwargs or {}).get("precision")
            return str(dataclasses.replace(variant, precision=precision))
    return model_name
