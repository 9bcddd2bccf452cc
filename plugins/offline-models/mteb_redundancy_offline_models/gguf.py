"""GGUF weights turned into an ordinary transformers folder, once per machine.

Loading a GGUF file dequantizes every tensor, which takes tens of seconds; an embedding run loads
the model often. So the first load converts the file into
``<models dir>/<org>__<name>--<gguf stem>-<size>/`` (``model.safetensors``, config, tokenizer) and
every later load reads that folder, which ``AutoModel.from_pretrained`` loads in about a second.

The conversion is written into a temporary folder next to the target and renamed into place, so a
folder that exists is complete; a lock file keeps two processes from converting at once.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path

logger = logging.getLogger(__name__)

MODELS_DIR_VARIABLE = "MTEB_REDUNDANCY_MODEL_DIR"
MARKER = "mteb-redundancy-conversion.json"


def models_dir() -> Path:
    """``$MTEB_REDUNDANCY_MODEL_DIR``, else ``models/`` beside the embedding cache folder."""
    configured = os.environ.get(MODELS_DIR_VARIABLE)
    if configured:
        return Path(configured).expanduser()
    try:
        from mteb_redundancy.models.cache import default_cache_dir
    except ImportError:  # mteb-redundancy before its package restructuring
        from mteb_redundancy.cache import default_cache_dir

    return default_cache_dir().parent / "models"


def converted_dir(model_id: str, gguf_file: Path, size: int | None = None) -> Path:
    """Where ``gguf_file`` is converted to. ``size`` (the file's size in bytes) names the folder
    without reading the file, for a GGUF file that is itself produced on first load."""
    # The file's name and size in the folder name: another quantization, or a new release of the
    # package, gets a folder of its own instead of a stale one.
    size = gguf_file.stat().st_size if size is None else size
    return models_dir() / f"{model_id.replace('/', '__')}--{gguf_file.stem}-{size}"


@contextmanager
def _exclusive(lock_path: Path):
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_path, "w") as handle:
        try:
            import fcntl
        except ImportError:  # Windows: no lock; the atomic rename still keeps the folder whole
            yield
            return
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _no_init_weights():
    # Random initialization of weights about to be overwritten costs seconds; skip it where
    # transformers offers the switch (its location moved between major versions).
    try:
        from transformers.initialization import no_init_weights
    except ImportError:
        try:
            from transformers.modeling_utils import no_init_weights
        except ImportError:
            from contextlib import nullcontext as no_init_weights
    return no_init_weights()


def convert(gguf_file: Path, target: Path) -> None:
    """Dequantize ``gguf_file`` into a transformers folder at ``target`` (which must not exist).

    Uses transformers' own GGUF reader (``load_gguf_checkpoint``: tensor names, the llama.cpp
    query/key permutation undone, dequantization by the ``gguf`` package) without going through
    ``from_pretrained(gguf_file=...)``, which in transformers 5 also requires ``accelerate``.
    The weights are saved in float32: dequantized values are not exact in 16 bits.
    """
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer
    from transformers.modeling_gguf_pytorch_utils import load_gguf_checkpoint

    header = load_gguf_checkpoint(str(gguf_file), return_tensors=False)
    fields = dict(header["config"])
    model_type = fields.pop("model_type")
    fields.pop("_model_name_or_path", None)
    config = AutoConfig.for_model(model_type, **fields)
    with _no_init_weights():
        model = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
    tensors = load_gguf_checkpoint(str(gguf_file), return_tensors=True, model_to_load=model)["tensors"]
    missing, unexpected = model.load_state_dict(tensors, strict=False)
    tied = {"lm_head.weight"} if getattr(config, "tie_word_embeddings", False) else set()
    if set(missing) - tied or unexpected:
        raise RuntimeError(
            f"{gguf_file.name}: the GGUF tensors do not match {type(model).__name__} "
            f"(missing {sorted(set(missing) - tied)[:5]}, unexpected {sorted(unexpected)[:5]})."
        )
    model.tie_weights()
    tokenizer = AutoTokenizer.from_pretrained(str(gguf_file.parent), gguf_file=gguf_file.name)

    def write(staging: Path) -> None:
        model.save_pretrained(staging, safe_serialization=True)
        tokenizer.save_pretrained(staging)

    write_folder(target, write, {"source": gguf_file.name, "source_bytes": gguf_file.stat().st_size, "model_type": model_type})


def write_folder(target: Path, write: Callable[[Path], None], marker: dict) -> None:
    """Fill a new folder with ``write(staging)`` and rename it to ``target`` (which must not exist)
    with the conversion marker in it: a folder at ``target`` is always complete."""
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}."))
    try:
        write(staging)
        (staging / MARKER).write_text(json.dumps(marker, indent=1), "utf-8")
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(staging, 0o777 & ~umask)  # mkdtemp's 0700 would hide a shared cache from other users
        for path in staging.rglob("*"):  # and so would files some writers create 0600
            os.chmod(path, (0o777 if path.is_dir() else 0o666) & ~umask)
        os.replace(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def ensure_converted(
    model_id: str,
    gguf_file: Path,
    converter: Callable[[Path, Path], None] | None = None,
    produce: Callable[[Path], None] | None = None,
    size: int | None = None,
) -> Path:
    """The converted folder for ``gguf_file``, converting it first if no process has yet.

    ``converter(gguf_file, target)`` writes the folder (default: ``convert``, transformers' GGUF
    reader). ``produce(gguf_file)``, if given, first writes a GGUF file that does not exist yet
    (extracts it from somewhere), under the same lock; ``size`` is then its expected size in bytes,
    which names the folder before the file exists.
    """
    target = converted_dir(model_id, gguf_file, size)
    if (target / MARKER).exists():
        return target
    with _exclusive(target.with_name(f".{target.name}.lock")):
        if not (target / MARKER).exists():  # another process may have finished while we waited
            if target.exists():  # not made by us (every folder we rename into place has the marker)
                shutil.rmtree(target)
            logger.warning(
                "Converting %s (%s) to a transformers folder at %s, once; later loads read that folder.",
                model_id, gguf_file.name, target,
            )
            if produce is not None and not gguf_file.is_file():
                produce(gguf_file)
            (converter or convert)(gguf_file, target)
    return target


class GGUFSource:
    """A lazy weights folder for ``register_model_sources``: calling it converts on first use."""

    def __init__(self, model_id: str, gguf_file: Path):
        self.model_id = model_id
        self.gguf_file = gguf_file

    def __call__(self) -> Path:
        return ensure_converted(self.model_id, self.gguf_file)

    def __str__(self) -> str:
        return f"{self.gguf_file} (converted on first load into {models_dir()})"

    __repr__ = __str__
