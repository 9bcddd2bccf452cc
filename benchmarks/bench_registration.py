"""What the extension adds to `import mteb; mteb.get_model_metas(); mteb.get_tasks()`.

    python benchmarks/bench_registration.py [--repeats 3]

Runs the three statements in fresh interpreters, with the extension (the `.pth` start-up hook
registers everything when `mteb` is imported) and without it (`MTEB_REDUNDANCY_AUTOLOAD=0`),
alternating the two, and reports the median wall time of each, the difference (the budget is
0.2 s), and how many model names and tasks MTEB lists either way. Writes
benchmarks/results/registration.md.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

CODE = """
import json, time
start = time.perf_counter()
import mteb
metas = mteb.get_model_metas()
tasks = mteb.get_tasks()
elapsed = time.perf_counter() - start
from mteb.models.model_implementations import MODEL_REGISTRY
ours = sum(1 for meta in MODEL_REGISTRY.values() if getattr(meta.loader, "__name__", "") == "load_variant")
print(json.dumps({"seconds": elapsed, "models": len(metas), "tasks": len(tasks), "variants": ours}))
"""
# The extension's own share, timed inside one interpreter (the whole-process times above vary by a few
# tenths of a second from run to run on a shared machine): mteb is imported first without the hook,
# then the same two calls run with registration (through ``import mteb_redundancy``) or without.
IN_PROCESS = """
import json, time
import mteb
extension = {extension}
start = time.perf_counter()
if extension:
    import mteb_redundancy
metas = mteb.get_model_metas()
tasks = mteb.get_tasks()
print(json.dumps({{"seconds": time.perf_counter() - start, "models": len(metas)}}))
"""
BUDGET_SECONDS = 0.2


def measure(extension: bool, cache: str) -> dict:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "MTEB_CACHE": cache}
    env.pop("MTEB_REDUNDANCY_AUTOLOAD", None)
    if not extension:
        env["MTEB_REDUNDANCY_AUTOLOAD"] = "0"
    result = subprocess.run([sys.executable, "-c", CODE], env=env, capture_output=True, text=True, check=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


def measure_in_process(extension: bool, cache: str) -> dict:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "MTEB_CACHE": cache, "MTEB_REDUNDANCY_AUTOLOAD": "0"}
    code = IN_PROCESS.format(extension=extension)
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    cache = tempfile.mkdtemp(prefix="bench-registration-")
    measure(True, cache), measure(False, cache)  # warm the file system cache for both
    runs: dict[bool, list[dict]] = {True: [], False: []}
    for _ in range(args.repeats):
        for extension in (False, True):
            runs[extension].append(measure(extension, cache))
    median = {ext: statistics.median(r["seconds"] for r in rs) for ext, rs in runs.items()}
    added = median[True] - median[False]
    inside: dict[bool, list[float]] = {True: [], False: []}
    for _ in range(args.repeats):
        for extension in (False, True):
            inside[extension].append(measure_in_process(extension, cache)["seconds"])
    inside_added = statistics.median(inside[True]) - statistics.median(inside[False])
    off, on = runs[False][0], runs[True][0]

    def times(extension: bool) -> str:
        return ", ".join(f"{run['seconds']:.3f}" for run in runs[extension])

    lines = [
        "# Registration cost: `import mteb; mteb.get_model_metas(); mteb.get_tasks()`",
        "",
        f"Fresh interpreter per run, {args.repeats} runs each, alternating; median wall time of the three statements.",
        "",
        "| | median (s) | runs (s) | model names | of them the project's variants | tasks |",
        "| --- | ---: | --- | ---: | ---: | ---: |",
        f"| without the extension (`MTEB_REDUNDANCY_AUTOLOAD=0`) | {median[False]:.3f} | "
        f"{times(False)} | {off['models']} | {off['variants']} | {off['tasks']} |",
        f"| with the extension | {median[True]:.3f} | {times(True)} | "
        f"{on['models']} | {on['variants']} | {on['tasks']} |",
        "",
        f"Added by the extension: {added:+.3f} s (budget {BUDGET_SECONDS} s: {'within' if added <= BUDGET_SECONDS else 'OVER'}); "
        f"it registers {on['models'] - off['models']} model names and {on['tasks'] - off['tasks']} tasks.",
        "",
        "The extension's own share, timed inside one interpreter after `import mteb` (median of "
        f"{args.repeats}): `get_model_metas()` + `get_tasks()` take {statistics.median(inside[False]):.3f} s without "
        f"and {statistics.median(inside[True]):.3f} s with registration (runs: "
        f"{', '.join(f'{t:.3f}' for t in inside[False])} / {', '.join(f'{t:.3f}' for t in inside[True])}), "
        f"so registering adds {inside_added:+.3f} s.",
        "",
    ]
    text = "\n".join(lines)
    print(text)
    out = Path(__file__).parent / "results" / "registration.md"
    out.write_text(text)


if __name__ == "__main__":
    main()
