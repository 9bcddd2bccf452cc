"""Make plain ``mteb`` see mteb-redundancy's models and tasks.

Installed as a top-level module and imported by ``mteb_redundancy.pth`` at every interpreter
start-up, so it must cost next to nothing: it imports only ``sys`` and puts a finder on
``sys.meta_path`` that reacts to exactly one module name, ``mteb``. When ``mteb`` finishes
importing, the finder's loader calls ``mteb_redundancy.registration.register_all()``.

It never lets an error escape into the program that imported ``mteb``: a failure is reported as a
warning and ``mteb`` keeps working without the extension.
"""

import sys

_TARGET = "mteb"
_DISABLE_VARIABLE = "MTEB_REDUNDANCY_AUTOLOAD"


def _register_into_mteb() -> None:
    try:
        from mteb_redundancy.registration import register_all

        register_all()
    except Exception as error:  # a broken extension must not break mteb itself
        import warnings

        warnings.warn(
            f"mteb-redundancy could not register its models and tasks into mteb: "
            f"{type(error).__name__}: {error}. mteb works without them; run "
            f"`mteb-redundancy plugins` to see which plugin failed.",
            RuntimeWarning,
            stacklevel=2,
        )


class _LoaderThatRegisters:
    def __init__(self, loader):
        self._loader = loader

    def create_module(self, spec):
        return self._loader.create_module(spec)

    def exec_module(self, module):
        self._loader.exec_module(module)
        _register_into_mteb()

    def __getattr__(self, name):
        return getattr(self._loader, name)


class MtebImportHook:
    """A meta-path finder that wraps the loader of ``mteb`` and does nothing for any other name."""

    _mteb_redundancy_hook = True

    def find_spec(self, fullname, path=None, target=None):
        if fullname != _TARGET:
            return None
        from importlib.machinery import PathFinder

        spec = PathFinder.find_spec(fullname, path)
        if spec is None or spec.loader is None:
            return None
        spec.loader = _LoaderThatRegisters(spec.loader)
        return spec


def install(force: bool = False) -> None:
    """Idempotent: a ``.pth`` can be processed twice, and ``import mteb_redundancy`` calls it too.
    ``MTEB_REDUNDANCY_AUTOLOAD=0`` turns off the start-up hook only: ``import mteb_redundancy``
    (``force=True``) still registers."""
    import os

    if not force and os.environ.get(_DISABLE_VARIABLE, "").strip().lower() in {"0", "false", "no", "off"}:
        return
    if _TARGET in sys.modules:
        _register_into_mteb()
        return
    if not any(getattr(finder, "_mteb_redundancy_hook", False) for finder in sys.meta_path):
        sys.meta_path.insert(0, MtebImportHook())
