"""mteb-redundancy: how much of a text embedding a task needs, and how prompts shape it.

Importing this package is cheap (no MTEB, no torch). It makes sure that MTEB, whenever it is
imported, sees the models and tasks that mteb-redundancy and its plugins register, so that
``import mteb_redundancy; mteb.get_model("... (prompt=none, dim=64)")`` works even where the
``.pth`` start-up hook has been disabled.
"""

__version__ = "0.1.0"


def _install_mteb_hook() -> None:
    try:
        import _mteb_redundancy_autoload
    except ImportError:  # running from a source tree that was never installed
        return
    _mteb_redundancy_autoload.install(force=True)


# Public names, imported on first use so that ``import mteb_redundancy.estimators`` stays light.
_LAZY = {
    "ModelSpec": "mteb_redundancy.models.spec",
    "hookimpl": "mteb_redundancy.hookspecs",
    "get_encoder": "mteb_redundancy.models.variants",
    "EmbeddingCache": "mteb_redundancy.models.cache",
    "Prompt": "mteb_redundancy.models.styles",
    "PromptStyle": "mteb_redundancy.models.styles",
    "PromptTables": "mteb_redundancy.models.styles",
    "resolve_prompt": "mteb_redundancy.models.prompts",
    "AbsTaskRedundancy": "mteb_redundancy.analyses.redundancy.task_type",
    "RedundancyMetadata": "mteb_redundancy.analyses.redundancy.task_type",
    "AbsTaskInstructionDisplacement": "mteb_redundancy.analyses.displacement.task_type",
    "InstructionDisplacementMetadata": "mteb_redundancy.analyses.displacement.task_type",
}
__all__ = sorted(_LAZY)


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'mteb_redundancy' has no attribute {name!r}")


# Last, because registering may import plugins that import the public names above.
_install_mteb_hook()
