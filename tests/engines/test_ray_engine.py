"""`mteb-redundancy encode --engine ray` on a real local Ray cluster (2 CPUs) with a real model
(all-MiniLM-L6-v2) and a real file-backed Redundancy task: the Ray-encoded cache entries have the
local path's keys and values, `mteb run` afterwards encodes nothing, and a job killed midway resumes
with only what is missing."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

ray = pytest.importorskip("ray")

VARIANT = "sentence-transformers/all-MiniLM-L6-v2 (prompt=prefix)"
N_TEXTS = 100


@pytest.fixture(scope="module")
def texts_file(tmp_path_factory, mteb_module) -> Path:
    from mteb_redundancy_tasks.redundancy import wiki_sample

    texts = list(dict.fromkeys(t.replace("\n", " ")[:100].strip() for t in wiki_sample(N_TEXTS + 20)))[:N_TEXTS]
    path = tmp_path_factory.mktemp("corpus") / "leads.txt"
    path.write_text("\n".join(texts) + "\n", "utf-8")
    return path


@pytest.fixture(scope="module")
def task(texts_file):
    from mteb_redundancy_tasks.redundancy import redundancy_task_from_file

    return redundancy_task_from_file(texts_file, name="RedundancyRayTest", n_resamples=0)()


@pytest.fixture(scope="module")
def ray_cluster():
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


def _manifests(root: Path) -> list[Path]:
    return [p for p in root.rglob("*.json") if p.name != "namespace.json"]


def test_a_killed_ray_job_resumes_with_only_the_missing_texts(tmp_path, texts_file, task, load_variant, ray_cluster):
    from mteb_redundancy import EmbeddingCache
    from mteb_redundancy.engines.plan import plan_jobs
    from mteb_redundancy.engines.ray_engine import encode_ray

    root = tmp_path / "cache"
    command = [
        sys.executable, "-m", "mteb_redundancy.cli", "encode", "-m", VARIANT, "--texts", str(texts_file),
        "--engine", "ray", "--num-cpus", "2", "--shard-size", "8", "--cache", str(root), "--no-progress",
    ]
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    job = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + 300
        while len(_manifests(root)) < 3 and job.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        os.killpg(job.pid, signal.SIGKILL)  # the encode command and the local cluster it started
        job.wait()
    committed = len(_manifests(root))
    assert committed >= 3, "no shard was committed before the deadline"

    cache = EmbeddingCache(root)
    encoder = load_variant(VARIANT, cache=cache)
    jobs = plan_jobs(encoder, [task], cache)
    total = sum(j.n_texts for j in jobs)
    kept = sum(len(cache.cached_keys(j.key)) for j in jobs)
    assert 0 < kept < total == 3 * N_TEXTS  # killed midway: some shards kept, some texts missing
    assert sum(len(j.missing) for j in jobs) == total - kept

    stats = encode_ray(encoder, jobs, cache_root=root, batch_size=64, progress=False)
    assert stats.texts_encoded == total - kept  # only what was missing
    assert stats.actors == 2
    assert all(not j.missing for j in plan_jobs(encoder, [task], cache))


def test_ray_cache_entries_equal_the_local_paths_and_mteb_run_then_encodes_nothing(
    tmp_path, task, load_variant, mteb_module, ray_cluster
):
    from mteb_redundancy import EmbeddingCache
    from mteb_redundancy.engines.local import encode_local
    from mteb_redundancy.engines.plan import plan_jobs
    from mteb_redundancy.engines.ray_engine import encode_ray

    ray_cache, local_cache = EmbeddingCache(tmp_path / "ray"), EmbeddingCache(tmp_path / "local")
    on_ray = load_variant(VARIANT, cache=ray_cache)
    jobs = plan_jobs(on_ray, [task], ray_cache)
    assert len(jobs) == 3  # E5-style prefixes: "query: ", "passage: " and none
    stats = encode_ray(on_ray, jobs, cache_root=ray_cache.root, batch_size=64, progress=False)
    assert stats.texts_encoded == 3 * N_TEXTS and stats.batches >= 3 * N_TEXTS // 64
    assert on_ray.texts_encoded == 0  # the driver never encoded

    local = load_variant(VARIANT, cache=local_cache)
    assert encode_local(local, plan_jobs(local, [task], local_cache)) == 3 * N_TEXTS

    ray_namespaces = sorted(p.name for p in ray_cache.root.iterdir() if p.is_dir())
    assert ray_namespaces == sorted(p.name for p in local_cache.root.iterdir() if p.is_dir())
    assert len(ray_namespaces) == 3
    texts = task.load_texts()
    for job in jobs:
        assert ray_cache.cached_keys(job.key) == local_cache.cached_keys(job.key) and len(ray_cache.cached_keys(job.key)) == N_TEXTS
        from_ray, missing_ray = ray_cache.lookup(job.key, texts)
        from_local, missing_local = local_cache.lookup(job.key, texts)
        assert missing_ray == missing_local == []
        np.testing.assert_allclose(from_ray, from_local, rtol=0, atol=2e-6)

    # `mteb run` of the variant and the task afterwards: everything comes from the Ray-filled cache
    model = load_variant(VARIANT, cache=EmbeddingCache(ray_cache.root))
    result = mteb_module.evaluate(model, [task], cache=mteb_module.ResultCache(tmp_path / "results"))
    assert model.texts_encoded == 0
    scores = result.task_results[0].scores["test"][0]
    assert scores["prompt_types"]["retrieval_query"]["n_points"] == N_TEXTS
