"""Encode on a Ray cluster with Ray Data: an actor pool (one model per actor, loaded once), batches of
texts sorted by length, each batch's vectors written by the actor that encoded it into the shared
prompt-aware cache as one atomic shard (``EmbeddingCache.store``); the driver only counts. An
interrupted job resumes: the next run plans only the texts whose shards were committed.

Ray is imported inside the functions only (``pip install "mteb-redundancy[ray]"``). The actors need
the cache folder on a file system they all see (one machine, or a shared mount on a cluster).
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from mteb_redundancy.engines.plan import EncodingJob

logger = logging.getLogger(__name__)

DEFAULT_BATCH = 256  # texts per Ray Data batch = per cache shard
# Environment the actors must share with the driver (offline hub, cache, plugins, precision).
_FORWARDED_PREFIXES = ("MTEB_REDUNDANCY", "HF_", "TRANSFORMERS_", "SENTENCE_TRANSFORMERS", "XDG_CACHE_HOME", "TORCH_HOME")


def _ray():
    try:
        import ray
        import ray.data  # noqa: F401
    except ImportError as error:
        raise ImportError(
            f"--engine ray needs Ray Data: pip install \"mteb-redundancy[ray]\" ({error})."
        ) from None
    return ray


@dataclass
class RayStats:
    """What a Ray encoding did and where its time went (seconds; actor figures summed over actors)."""

    texts_encoded: int = 0
    batches: int = 0
    actors: int = 0
    cpus_per_actor: float = 0
    gpus_per_actor: float = 0
    init_seconds: float = 0.0  # ray.init (starting a local cluster) or connecting
    run_seconds: float = 0.0  # from submitting the dataset to the last batch
    model_load_seconds: float = 0.0  # actors' constructors (summed)
    encode_seconds: float = 0.0  # model forward passes (summed over actors)
    store_seconds: float = 0.0  # cache writes (summed over actors)
    per_job: dict[str, int] = field(default_factory=dict)


class _EncodeActor:
    """One model per actor: the variant's backend, built and loaded once, then called on batches of
    (job, text) rows. Only the backend is built here (no MTEB import, no plugin loading): the
    driver resolved the variant to its backend factory, model spec and weights location."""

    def __init__(self, factory, spec, location: str, device: str | None, jobs: list[tuple[Any, Any]],
                 cache_root: str, model_batch_size: int, threads: int | None):
        started = time.perf_counter()
        if threads:
            import torch

            torch.set_num_threads(int(threads))
        from mteb_redundancy.models.cache import EmbeddingCache

        self.backend = factory(spec, location, device=device)
        self.backend.load()
        self.model_id = spec.model_id
        self.jobs = jobs
        self.cache = EmbeddingCache(cache_root)
        self.model_batch_size = model_batch_size
        self.load_seconds = time.perf_counter() - started
        self.reported_load = False

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        job_ids, texts = batch["job"], batch["text"]
        out: dict[str, list] = {"job": [], "encoded": [], "encode_s": [], "store_s": [], "load_s": []}
        for job in np.unique(job_ids):
            chosen = [str(t) for t in texts[job_ids == job]]
            prompt, key = self.jobs[int(job)]
            started = time.perf_counter()
            vectors = self.backend.encode(chosen, prompt, self.model_batch_size)
            if not np.isfinite(vectors).all():  # as PromptedEncoder: never cache NaN or inf
                raise ValueError(f"{self.model_id} returned NaN or infinite embeddings; nothing of this batch was cached.")
            encoded = time.perf_counter()
            self.cache.store(key, chosen, vectors)
            if self.cache.writes_off is not None:  # filling the cache is this job's whole point: stop
                raise OSError(f"The embedding cache {self.cache.root} cannot be written ({self.cache.writes_off}).")
            out["job"].append(int(job))
            out["encoded"].append(len(chosen))
            out["encode_s"].append(encoded - started)
            out["store_s"].append(time.perf_counter() - encoded)
            out["load_s"].append(0.0 if self.reported_load else self.load_seconds)
            self.reported_load = True
        return {name: np.asarray(values) for name, values in out.items()}


# Kills what is left of a local Ray session once the driver is gone, however it went: Ray fate-shares
# its core processes with the driver, but not the raylet's dashboard and runtime-env agents, which a
# driver killed with SIGKILL leaves running. The session's processes are those with a file open in
# the session folder (their logs).
_WATCHDOG = """
import os, signal, sys
session = sys.argv[1]
sys.stdin.buffer.read()  # end of file: the driver exited
for pid in filter(str.isdigit, os.listdir("/proc")):
    if int(pid) == os.getpid():
        continue
    try:
        if any(os.readlink(f"/proc/{pid}/fd/{fd}").startswith(session) for fd in os.listdir(f"/proc/{pid}/fd")):
            os.kill(int(pid), signal.SIGKILL)
    except OSError:
        pass
"""


def _watch_local_cluster(ray):
    """A watchdog process for the local cluster this driver started (Linux only; ``None`` elsewhere)."""
    import subprocess
    import sys

    node = ray._private.worker._global_node  # Ray has no public way to name the session folder
    session = node.get_session_dir_path() if node is not None else None
    if not sys.platform.startswith("linux") or not session:
        return None
    return subprocess.Popen([sys.executable, "-c", _WATCHDOG, session], stdin=subprocess.PIPE, start_new_session=True)


def _forwarded_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k.startswith(_FORWARDED_PREFIXES)}


def _join_or_start_cluster(ray, address: str | None, num_cpus: int | None):
    """Join the cluster at ``address`` or start a local one, unless Ray is already up: whether this
    call started Ray (then the caller shuts it down), and the local cluster's watchdog, if any."""
    if ray.is_initialized():
        return False, None
    init: dict[str, Any] = {"runtime_env": {"env_vars": _forwarded_env()}, "log_to_driver": False}
    if address:
        init["address"] = address
    else:
        # A local cluster of our own, without the dashboard: its processes outlived a killed run.
        init["include_dashboard"] = False
        if num_cpus:
            init["num_cpus"] = int(num_cpus)
    ray.init(**init)
    return True, (None if address else _watch_local_cluster(ray))


def _pool_size(ray, actors: int | None, cpus_per_actor: float, gpus_per_actor: float | None) -> tuple[int, float]:
    """The number of actors and the GPUs of each: by default one actor per GPU where the cluster has
    GPUs, else one per ``cpus_per_actor`` CPUs."""
    resources = ray.cluster_resources()
    gpus = float(resources.get("GPU", 0))
    if gpus_per_actor is None:
        gpus_per_actor = 1.0 if gpus >= 1 else 0.0
    if actors is None:
        actors = int(gpus // gpus_per_actor) if gpus_per_actor else int(resources.get("CPU", 1) // cpus_per_actor)
    return max(1, int(actors)), gpus_per_actor


def _text_rows(ray, todo: Sequence[tuple[int, EncodingJob]], batch_size: int):
    """Rows (job, text), longest texts first within each job, cut into blocks of a few batches:
    every batch holds texts of similar length (little padding), and the first batches are the
    heaviest, so the pool is not left waiting on a long tail."""
    import pyarrow as pa

    tables = []
    block = batch_size * 4
    for i, job in todo:
        for start in range(0, len(job.missing), block):
            chunk = job.missing[start : start + block]
            tables.append(pa.table({"job": pa.array([i] * len(chunk), pa.int32()), "text": pa.array(chunk, pa.string())}))
    return ray.data.from_arrow(tables)


def _count_batches(encoded, jobs: Sequence[EncodingJob], stats: RayStats, bar) -> None:
    """Add what each finished batch reports (its actor wrote the shard) to ``stats``."""
    for out in encoded.iter_batches(batch_size=None, batch_format="numpy"):
        for job, count, enc, sto, load in zip(out["job"], out["encoded"], out["encode_s"], out["store_s"], out["load_s"]):
            label = jobs[int(job)].label
            stats.per_job[label] = stats.per_job.get(label, 0) + int(count)
            stats.texts_encoded += int(count)
            stats.batches += 1
            stats.encode_seconds += float(enc)
            stats.store_seconds += float(sto)
            stats.model_load_seconds += float(load)
            bar.update(int(count))


def encode_ray(
    encoder,
    jobs: Sequence[EncodingJob],
    *,
    cache_root: str | os.PathLike,
    device: str | None = None,
    address: str | None = None,
    actors: int | None = None,
    cpus_per_actor: float = 1,
    gpus_per_actor: float | None = None,
    batch_size: int = DEFAULT_BATCH,
    model_batch_size: int = 32,
    num_cpus: int | None = None,
    progress: bool = True,
) -> RayStats:
    """Encode every job's missing texts on Ray; each batch becomes one cache shard, written by its actor.

    ``encoder`` is the variant's ``PromptedEncoder`` on the driver (its model is never loaded there):
    it gives the backend factory, model spec and weights the actors build, and the jobs' cache keys.

    ``address``: None starts a local cluster (``num_cpus`` CPUs, default all); ``"auto"`` or
    ``ray://...`` joins a running one. The actor pool has ``actors`` actors (default: one per GPU where
    the cluster has GPUs, else one per ``cpus_per_actor`` CPUs).
    """
    ray = _ray()
    from tqdm.auto import tqdm

    stats = RayStats()
    todo = [(i, job) for i, job in enumerate(jobs) if job.missing]
    if not todo:
        return stats
    started = time.perf_counter()
    own_cluster, watchdog = _join_or_start_cluster(ray, address, num_cpus)
    stats.init_seconds = time.perf_counter() - started
    try:
        actors, gpus_per_actor = _pool_size(ray, actors, cpus_per_actor, gpus_per_actor)
        stats.actors, stats.cpus_per_actor, stats.gpus_per_actor = actors, cpus_per_actor, gpus_per_actor

        from ray.data import DataContext

        context = DataContext.get_current()
        context.enable_progress_bars = False
        context.execution_options.preserve_order = False
        dataset = _text_rows(ray, todo, batch_size)
        from mteb_redundancy.plugins import get_registry

        table = [(job.prompt, job.key) for job in jobs]
        threads = max(1, int(cpus_per_actor)) if not gpus_per_actor else None
        encoded = dataset.map_batches(
            _EncodeActor,
            fn_constructor_kwargs={
                "factory": get_registry().backends[encoder.spec.backend], "spec": encoder.spec,
                "location": encoder.location, "device": device, "jobs": table, "cache_root": str(cache_root),
                "model_batch_size": model_batch_size, "threads": threads,
            },
            batch_size=batch_size,
            batch_format="numpy",
            compute=ray.data.ActorPoolStrategy(size=actors),
            num_cpus=cpus_per_actor,
            num_gpus=gpus_per_actor or None,
        )
        total = sum(len(job.missing) for _, job in todo)
        run_started = time.perf_counter()
        with tqdm(total=total, desc=f"Encoding on Ray ({actors} actors)", unit="text", disable=not progress) as bar:
            _count_batches(encoded, jobs, stats, bar)
        stats.run_seconds = time.perf_counter() - run_started
    finally:
        if own_cluster:
            ray.shutdown()
            if watchdog is not None:
                watchdog.stdin.close()
                watchdog.wait()
    return stats
