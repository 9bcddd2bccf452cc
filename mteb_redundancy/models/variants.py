"""From registered ``ModelSpec``s to MTEB ``ModelMeta``s and loaded encoders, by variant name."""

from __future__ import annotations

import dataclasses
import difflib
from typing import Any

from mteb.models import ModelMeta

from mteb_redundancy.models.names import VariantName, parse_variant_name
from mteb_redundancy.models.reduction import REDUCTIONS, check_dimension
from mteb_redundancy.plugins import Registry, get_registry


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


def variant_meta(spec, variant: VariantName, base_meta: ModelMeta | None, revision: str | None) -> ModelMeta:
    """The variant's ``ModelMeta``: its base model's facts, with the variant's name and ``embed_dim``."""
    full_dim = full_dimension(spec, base_meta)
    fields = base_meta.model_dump(exclude={"loader"}) if base_meta is not None else _fallback_meta(spec)
    fields.update(spec.meta)
    fields.update(
        name=str(variant),
        revision=revision or fields.get("revision"),
        embed_dim=variant.dim if variant.dim is not None else full_dim,
        adapted_from=spec.model_id,
        loader=load_variant,
        loader_kwargs={},
        similarity_fn_name=spec.similarity,
        use_instructions=variant.prompt in ("instruction", "instructor", "prompteol") or bool(fields.get("use_instructions")),
        experiment_kwargs=None,
        extra_requirements_groups=None,
    )
    return ModelMeta(**fields)


def resolve_variant(name: str, model_registry, registry: Registry | None = None) -> ModelMeta:
    """The ``ModelMeta`` for a variant name that follows the naming scheme but was not pre-registered
    (e.g. an unusual dimension); ``model_registry`` is MTEB's registry, read for the base model's facts.
    Raises a clear error, with the closest registered names, for a name that does not resolve."""
    registry = registry or get_registry()
    try:
        variant = parse_variant_name(name)
    except ValueError as error:
        raise UnknownModelError(f"{error} {suggest_names(name)}") from None
    spec = registry.models.get(variant.base)
    if spec is None:
        raise UnknownModelError(
            f"No mteb-redundancy plugin registered the model {variant.base!r}. {suggest_names(name)} "
            f"Register it with `mteb-redundancy add-model {variant.base}` or a plugin's register_models hook."
        )
    if variant.prompt not in spec.prompt_styles:
        raise UnknownModelError(
            f"{spec.model_id} has no prompt style {variant.prompt!r}; registered styles: "
            f"{', '.join(spec.prompt_styles)}. {suggest_names(name)}"
        )
    if variant.reduction not in REDUCTIONS:
        raise UnknownModelError(f"Unknown reduction {variant.reduction!r} in {name!r}; choose from {', '.join(REDUCTIONS)}.")
    base_meta = model_registry.get(spec.model_id)
    full_dim = full_dimension(spec, base_meta)
    if variant.dim is not None:
        check_dimension(variant.dim, full_dim, spec.model_id)
        if variant.dim == full_dim:
            raise UnknownModelError(
                f"{name!r} asks for the full dimension; its name is {str(VariantName(spec.model_id, variant.prompt))!r}."
            )
    source = registry.source_for(spec.model_id)
    return variant_meta(spec, variant, base_meta, spec.revision or (source.revision if source else None))


def suggest_names(name: str) -> str:
    """A sentence naming the registered variant names closest to ``name`` (empty if none)."""
    from mteb_redundancy.mteb_bridge.registries import metas_loaded_by

    candidates = list(metas_loaded_by(load_variant))
    close = difflib.get_close_matches(name, candidates, n=3, cutoff=0.6)
    if not close:
        base = name.split(" (")[0]
        close = sorted({c for c in candidates if c.split(" (")[0] == base})[:3] or sorted(
            {c.split(" (")[0] for c in candidates}
        )[:3]
    return f"Closest registered names: {'; '.join(repr(c) for c in close)}." if close else ""


def load_variant(model_name: str, revision: str | None = None, device: str | None = None, **kwargs: Any):
    """MTEB loader for every registered variant (``ModelMeta.loader``)."""
    from mteb_redundancy.models.encoder import PromptedEncoder

    registry = get_registry()
    variant = parse_variant_name(model_name)
    spec = registry.models[variant.base]
    source = registry.source_for(spec.model_id)
    revision = revision or spec.revision or (source.revision if source else None)
    if source is not None and source.weights:
        # Files that are not the hub's (a quantized copy) must not share cached vectors with it.
        revision = f"{revision}+{source.weights}"
    if kwargs.get("precision"):
        spec = dataclasses.replace(spec, encoder_options={**spec.encoder_options, "precision": kwargs["precision"]})
    return PromptedEncoder(
        spec,
        variant,
        location=str(source.resolve()) if source else spec.model_id,
        revision=revision,
        device=device,
        cache=kwargs.get("cache"),
        show_progress=kwargs.get("show_progress", True),
    )


def get_encoder(
    name: str, *, device: str | None = None, cache=None, show_progress: bool = True, precision: str | None = None
):
    """Load a registered variant as a ``PromptedEncoder`` with its ``ModelMeta`` attached.

    ``precision`` (``float32``, ``bfloat16`` or ``auto``) overrides the model's and the environment's
    choice (``mteb_redundancy.models.precision``).

    Unlike ``mteb.get_model(name, cache=...)``, options given here do not become MTEB
    "experiment" kwargs, so results land under the variant's plain name.
    """
    import mteb

    meta = mteb.get_model_meta(name)
    if meta.loader is not load_variant:
        raise UnknownModelError(f"{name!r} is an MTEB model, not an mteb-redundancy variant. {suggest_names(name)}")
    encoder = load_variant(name, meta.revision, device=device, cache=cache, show_progress=show_progress, precision=precision)
    encoder.mteb_model_meta = meta
    return encoder
