"""Nothing silently stale, nothing one bad file can stop: each fault of issue 22 on real files and real
processes (an edited corpus, a truncated result file, a read-only bind mount, a full tmpfs, a killed
subprocess), with real MiniLM and real MTEB evaluations."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import numpy as np
import pytest

from conftest import MINILM

MINILM_NONE = f"{MINILM} (prompt=none)"


def write_lines(path: Path, texts: list[str]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(texts) + "\n", "utf-8")
    return path


@contextlib.contextmanager
def mounted(*commands: list[str], target: Path):
    """Run mount commands (root only); skip the test where the system refuses them, and unmount after."""
    if os.geteuid() != 0:
        pytest.skip("mounting a file system needs root")
    for command in commands:
        done = subprocess.run(command, capture_output=True, text=True)
        if done.returncode != 0:
            subprocess.run(["umount", str(target)], capture_output=True)
            pytest.skip(f"{' '.join(command)} was refused: {done.stderr.strip()}")
    try:
        yield target
    finally:
        subprocess.run(["umount", str(target)], capture_output=True)


def warnings_of(caplog, words: str) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING and words in r.getMessage()]


# --------------------------------------------------------------------------------------------
# 1. a file-backed task outlives an edit to its file
# --------------------------------------------------------------------------------------------
def _evaluate_file_task(mteb_module, path: Path, out: Path, **options):
    from mteb_redundancy import get_encoder
    from mteb_redundancy_tasks.redundancy import redundancy_task_from_file

    task = redundancy_task_from_file(path, n_resamples=0, **options)()
    model = get_encoder(MINILM_NONE, device="cpu", show_progress=False)
    result = mteb_module.evaluate(model, task, cache=mteb_module.ResultCache(out), co2_tracker=False, show_progress_bar=False)
    return task, result.task_results[0].get_score()


def test_an_edited_corpus_file_is_measured_again_not_served_its_old_result(mteb_module, tmp_path, wiki_texts):
    corpus = write_lines(tmp_path / "corpus.txt", wiki_texts[:60])
    out = tmp_path / "results"
    first_task, first = _evaluate_file_task(mteb_module, corpus, out)
    write_lines(corpus, wiki_texts[500:600])  # edited between two runs
    second_task, second = _evaluate_file_task(mteb_module, corpus, out)
    _, fresh = _evaluate_file_task(mteb_module, corpus, tmp_path / "fresh")
    assert second == fresh and second != first
    assert first_task.metadata.name != second_task.metadata.name
    assert second_task.metadata.revision == __import__("hashlib").sha256(corpus.read_bytes()).hexdigest()


def test_two_files_with_one_stem_never_share_a_result(mteb_module, tmp_path, wiki_texts):
    a = write_lines(tmp_path / "a" / "corpus.txt", wiki_texts[:60])
    b = write_lines(tmp_path / "b" / "corpus.txt", wiki_texts[700:760])
    out = tmp_path / "results"
    task_a, score_a = _evaluate_file_task(mteb_module, a, out)
    task_b, score_b = _evaluate_file_task(mteb_module, b, out)
    assert task_a.metadata.name != task_b.metadata.name
    assert score_a != score_b
    assert len(list(out.rglob("Redundancy_corpus_*.json"))) == 2


def test_a_result_of_another_dataset_revision_counts_as_missing(mteb_module, tmp_path, wiki_texts, caplog):
    from mteb_redundancy.analyses.study.engine import run_study
    from mteb_redundancy_tasks.redundancy import redundancy_task_from_file

    corpus = write_lines(tmp_path / "corpus.txt", wiki_texts[:60])

    def study():  # a name of the user's own: the same result file before and after the edit
        task = redundancy_task_from_file(corpus, name="MyCorpus", n_resamples=0)()
        return run_study(MINILM, "none", tmp_path / "study", tasks=(), redundancy_task=task, displacement_task=None,
                         device="cpu", show_progress=False).redundancy["main_score"]

    before = study()
    write_lines(corpus, wiki_texts[500:600])
    with caplog.at_level(logging.WARNING):
        after = study()
    assert after != before
    assert warnings_of(caplog, "dataset revision")
    (result,) = (tmp_path / "study").rglob("MyCorpus.json")
    assert json.loads(result.read_text())["dataset_revision"] == __import__("hashlib").sha256(corpus.read_bytes()).hexdigest()


# --------------------------------------------------------------------------------------------
# 2. precision is a field of the cache key, not a suffix of the revision
# --------------------------------------------------------------------------------------------
def test_precision_is_its_own_field_of_the_cache_key(mteb_module, tmp_path):
    from mteb_redundancy import EmbeddingCache, get_encoder
    from mteb_redundancy.models.cache import CacheKey
    from mteb_redundancy.models.styles import NO_PROMPT

    cache = EmbeddingCache(tmp_path / "emb")
    bfloat16 = CacheKey("org/m", "abc", "none", "text", precision="bfloat16")
    lookalike = CacheKey("org/m", "abc|precision=bfloat16", "none", "text")  # a revision that ends this way
    cache.store(bfloat16, ["a", "b"], np.ones((2, 4), np.float32))
    assert cache.lookup(lookalike, ["a", "b"])[1] == [0, 1]  # nothing of the other precision
    (description,) = (tmp_path / "emb").rglob("namespace.json")
    assert json.loads(description.read_text())["precision"] == "bfloat16"

    key = get_encoder(MINILM_NONE, device="cpu", precision="bfloat16").cache_key(NO_PROMPT)
    assert key.precision == "bfloat16" and "precision" not in (key.revision or "")


# --------------------------------------------------------------------------------------------
# 3. one unreadable result file stops nothing
# --------------------------------------------------------------------------------------------
def test_a_truncated_result_is_skipped_with_its_name_and_run_again(mteb_module, tmp_path, wiki_texts, caplog):
    from mteb_redundancy import get_encoder
    from mteb_redundancy.analyses.study.engine import run_study
    from mteb_redundancy.mteb_bridge.results_layout import load_model_results
    from mteb_redundancy_tasks.redundancy import redundancy_task_from_file

    out = tmp_path / "study"
    task = redundancy_task_from_file(write_lines(tmp_path / "corpus.txt", wiki_texts[:50]), name="CorpusA", n_resamples=0)()

    def study():
        return run_study(MINILM, "none", out, tasks=(), redundancy_task=task, displacement_task=None, device="cpu",
                         show_progress=False).redundancy["main_score"]

    score = study()
    reduced = get_encoder(f"{MINILM} (prompt=none, dim=64)", device="cpu", show_progress=False)
    mteb_module.evaluate(reduced, task, cache=mteb_module.ResultCache(out), co2_tracker=False, show_progress_bar=False)
    (broken,) = out.rglob("prompt_none/CorpusA.json")
    data = broken.read_bytes()
    broken.write_bytes(data[: len(data) // 2])  # as a run killed while MTEB wrote it leaves it

    with caplog.at_level(logging.WARNING):
        read = load_model_results(out, tasks=["CorpusA"])
    assert [m.experiment_name for m in read] == ["dim_64__prompt_none"]
    assert warnings_of(caplog, str(broken))

    table = subprocess.run(
        [sys.executable, "-m", "mteb_redundancy.cli", "redundancy-table", "--output-folder", str(out), "--task", "CorpusA"],
        capture_output=True, text=True, env=os.environ, timeout=600,
    )
    assert table.returncode == 0, table.stderr[-2000:]
    assert str(broken) in table.stderr and "dim=64" in table.stdout

    assert study() == score  # run again (the file was named once in this process already), the same answer
    json.loads(broken.read_text())  # whole again

    meta = broken.parent / "model_meta.json"  # MTEB writes it in place too
    meta.write_text(meta.read_text()[:100])
    with caplog.at_level(logging.WARNING):
        read = load_model_results(out, tasks=["CorpusA"])
    assert [m.experiment_name for m in read] == ["dim_64__prompt_none"] and warnings_of(caplog, str(meta))


# --------------------------------------------------------------------------------------------
# 4. weights that change under one revision
# --------------------------------------------------------------------------------------------
def test_two_widths_under_one_key_are_a_clear_error_not_a_crash(tmp_path, caplog):
    from mteb_redundancy import EmbeddingCache
    from mteb_redundancy.models.cache import CacheKey, CacheWidthError

    key = CacheKey("org/m", "r1", "none", "text")
    EmbeddingCache(tmp_path / "emb").store(key, ["a", "b"], np.ones((2, 8), np.float32))
    with pytest.raises(CacheWidthError, match=r"width 8 .* width 16.*new revision.*delete the namespace"):
        EmbeddingCache(tmp_path / "emb").store(key, ["c"], np.ones((1, 16), np.float32))

    # A namespace written before widths were recorded, holding shards of two widths.
    folder = next((tmp_path / "emb").iterdir())
    description = folder / "namespace.json"
    description.write_text(json.dumps({k: v for k, v in json.loads(description.read_text()).items() if k != "width"}))
    with pytest.raises(CacheWidthError):  # its width is its oldest shard's
        EmbeddingCache(tmp_path / "emb").store(key, ["c"], np.ones((1, 16), np.float32))
    elsewhere = CacheKey("org/m", "r2", "none", "text")
    EmbeddingCache(tmp_path / "emb").store(elsewhere, ["c"], np.ones((1, 16), np.float32))
    for path in (tmp_path / "emb" / elsewhere.namespace).glob("[0-9a-f]*.*"):
        os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 10**9))  # written later
        path.rename(folder / path.name)
    with caplog.at_level(logging.WARNING):
        found, missing = EmbeddingCache(tmp_path / "emb").lookup(key, ["a", "c"])
    assert found.shape == (2, 8) and missing == [1]
    assert warnings_of(caplog, "width 16")


@pytest.fixture(scope="module")
def minilm_16(minilm_path, tmp_path_factory):
    """MiniLM with a Dense layer to 16 dimensions: weights of another width in a folder of their own."""
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import Dense

    model = SentenceTransformer(str(minilm_path), device="cpu", local_files_only=True)
    model.append(Dense(384, 16))
    folder = tmp_path_factory.mktemp("minilm16") / "weights"
    model.save(str(folder))
    return folder


def test_weights_replaced_under_one_revision_are_warned_and_another_width_fails_clearly(
    mteb_module, tmp_path, minilm_path, minilm_16, wiki_texts, caplog
):
    from mteb_redundancy import EmbeddingCache, ModelSpec
    from mteb_redundancy.models.cache import CacheWidthError
    from mteb_redundancy.models.encoder import PromptedEncoder
    from mteb_redundancy.models.names import VariantName
    from mteb_redundancy.models.styles import NO_PROMPT

    folder = tmp_path / "weights"
    shutil.copytree(minilm_path, folder)
    spec = ModelSpec("my-lab/local")
    cache = EmbeddingCache(tmp_path / "emb")

    def encoder():
        return PromptedEncoder(spec, VariantName(spec.model_id, "none"), location=str(folder), revision="r1", device="cpu", cache=cache)

    first = encoder()
    first.embed(wiki_texts[:4], NO_PROMPT)
    (description,) = (tmp_path / "emb").rglob("namespace.json")
    recorded = json.loads(description.read_text())
    assert recorded["width"] == 384 and recorded["weights"] == first.weights_fingerprint

    shutil.rmtree(folder)
    shutil.copytree(minilm_16, folder)  # new weights, another width, the same revision
    replaced = encoder()
    with caplog.at_level(logging.WARNING):
        served = replaced.embed(wiki_texts[:4], NO_PROMPT)  # the revision's promise: served, but said
    assert served.shape == (4, 384) and replaced.texts_encoded == 0
    assert warnings_of(caplog, "changed since its cache namespace")
    with pytest.raises(CacheWidthError, match=r"width 384.*width 16.*new revision"):
        replaced.embed(wiki_texts[:6], NO_PROMPT)  # two new texts: 16 wide


# --------------------------------------------------------------------------------------------
# 5. a read-only cache with a damaged shard
# --------------------------------------------------------------------------------------------
def test_a_read_only_cache_with_a_damaged_shard_is_read_and_the_run_goes_on(load_variant, tmp_path, wiki_texts, caplog):
    from mteb_redundancy import EmbeddingCache
    from mteb_redundancy.models.cache import text_key
    from mteb_redundancy.models.styles import NO_PROMPT

    source = tmp_path / "emb"
    texts = wiki_texts[60:80]
    reference = load_variant(MINILM_NONE, cache=EmbeddingCache(source)).embed(texts[:10], NO_PROMPT)
    load_variant(MINILM_NONE, cache=EmbeddingCache(source)).embed(texts, NO_PROMPT)  # a second shard
    (manifest,) = [p for p in source.rglob("*.json") if text_key(texts[15]) in p.read_text()]
    damaged = manifest.with_suffix(".npy")  # the shard of texts[10:20]
    data = damaged.read_bytes()
    damaged.write_bytes(data[:-40] + bytes(b ^ 0xFF for b in data[-40:]))
    read_only = tmp_path / "read-only"
    read_only.mkdir()
    # A read-only bind mount: chmod does not stop root, a read-only file system does.
    with mounted(["mount", "--bind", str(source), str(read_only)], ["mount", "-o", "remount,ro,bind", str(read_only)], target=read_only):
        with pytest.raises(OSError):
            (read_only / "probe").write_text("x")
        model = load_variant(MINILM_NONE, cache=EmbeddingCache(read_only))
        with caplog.at_level(logging.WARNING):
            vectors = model.embed(texts, NO_PROMPT)
        assert model.texts_encoded == 10  # the damaged shard's texts, encoded again
        np.testing.assert_allclose(vectors[:10], reference, atol=1e-6)
        assert warnings_of(caplog, "is damaged") and warnings_of(caplog, "cannot be written")
        assert damaged.exists()  # not deleted: ignored in memory


# --------------------------------------------------------------------------------------------
# 6. a variant name with trailing text or a missing ")"
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "name, words",
    [
        (f"{MINILM} (prompt=none) xyz", "text after the closing ')': 'xyz'"),
        (f"{MINILM} (prompt=none, dim=64", "unclosed '('"),
    ],
)
def test_a_malformed_variant_name_says_what_is_wrong_and_never_asks_the_hub(mteb_module, name, words):
    from mteb_redundancy.models.variants import UnknownModelError

    with pytest.raises(UnknownModelError) as error:
        mteb_module.get_model_meta(name)
    closest = str(error.value).split("Closest registered names: ")[1]
    assert words in str(error.value) and closest.startswith(repr(name.split(")")[0].strip() + ")"))


# --------------------------------------------------------------------------------------------
# 7. output paths are checked before the work
# --------------------------------------------------------------------------------------------
def test_output_paths_are_checked_before_any_encoding(mteb_module, tmp_path, wiki_texts, capsys):
    from mteb_redundancy.cli import main

    a_file = tmp_path / "a-file"
    a_file.write_text("x")
    for command in ("recommend", "sweep"):
        assert main([command, "-m", MINILM, "-t", "STSBenchmarkOffline", "--output-folder", str(a_file)]) == 2
        assert f"{a_file} is a file" in capsys.readouterr().err
    assert main(["sweep", "-m", MINILM, "-t", "STSBenchmarkOffline", "--output-folder", str(tmp_path / "out"),
                 "--plot", str(a_file / "sweep.png")]) == 2
    assert "--plot file" in capsys.readouterr().err

    cache = tmp_path / "emb"
    corpus = write_lines(tmp_path / "corpus.txt", wiki_texts[900:960])
    code = main(["encode", "-m", MINILM_NONE, "--texts", str(corpus), "--cache", str(cache), "--json", str(a_file / "x.json"), "--no-progress"])
    assert code == 2
    assert "--json file" in capsys.readouterr().err
    assert not list(cache.rglob("*.npy"))  # nothing was encoded


# --------------------------------------------------------------------------------------------
# 8. a full disk during a cache commit
# --------------------------------------------------------------------------------------------
def test_a_full_disk_warns_once_and_the_run_finishes_without_the_cache(load_variant, tmp_path, wiki_texts, monkeypatch, caplog):
    import mteb_redundancy.models.encoder as encoder_module
    from mteb_redundancy import EmbeddingCache
    from mteb_redundancy.models.styles import NO_PROMPT

    monkeypatch.setattr(encoder_module, "CHUNK_SIZE", 40)  # several commits: the disk fills in the middle
    texts = wiki_texts[1000:1240]
    small = tmp_path / "small"
    small.mkdir()
    with mounted(["mount", "-t", "tmpfs", "-o", "size=160k", "tmpfs", str(small)], target=small):
        model = load_variant(MINILM_NONE, cache=EmbeddingCache(small))
        with caplog.at_level(logging.WARNING):
            vectors = model.embed(texts, NO_PROMPT, batch_size=40)
        assert model.texts_encoded == len(texts)
        assert len(warnings_of(caplog, "cannot be written")) == 1
        stored, missing = EmbeddingCache(small).lookup(model.cache_key(NO_PROMPT), texts)
        assert 0 < len(texts) - len(missing) < len(texts)  # what fitted is kept and readable
        assert not list(small.rglob("*.tmp"))
    np.testing.assert_allclose(vectors, load_variant(MINILM_NONE).embed(texts, NO_PROMPT), atol=1e-5)


def test_encode_into_a_full_disk_says_the_vectors_were_not_stored(mteb_module, tmp_path, wiki_texts, capsys):
    from mteb_redundancy.cli import main

    corpus = write_lines(tmp_path / "corpus.txt", wiki_texts[1000:1240])
    small = tmp_path / "small"
    small.mkdir()
    with mounted(["mount", "-t", "tmpfs", "-o", "size=160k", "tmpfs", str(small)], target=small):
        assert main(["encode", "-m", MINILM_NONE, "--texts", str(corpus), "--cache", str(small), "--no-progress"]) == 1
    assert f"the cache {small} cannot be written (No space left on device)" in capsys.readouterr().err


# --------------------------------------------------------------------------------------------
# 9-11. a missing weights folder, a file that is not UTF-8, a Redundancy task as a sweep task
# --------------------------------------------------------------------------------------------
def test_a_models_toml_entry_whose_path_is_missing_is_not_registered(mteb_module, tmp_path, monkeypatch):
    from mteb_redundancy.plugins import get_registry

    path = tmp_path / "models.toml"
    path.write_text(f'[[models]]\nid = "my-lab/missing"\npath = "{tmp_path / "nowhere"}"\n')
    monkeypatch.setenv("MTEB_REDUNDANCY_MODELS", str(path))
    try:
        registry = get_registry(reload=True)
        assert "my-lab/missing" not in registry.models and "my-lab/missing" not in registry.sources
        (error,) = [str(e) for e in registry.errors if "my-lab/missing" in str(e)]
        assert "does not exist" in error and "not registered" in error
    finally:
        monkeypatch.undo()
        get_registry(reload=True)


def test_a_texts_file_that_is_not_utf8_names_the_file_and_the_byte(mteb_module, tmp_path, capsys):
    from mteb_redundancy.cli import main

    corpus = tmp_path / "latin1.txt"
    corpus.write_bytes("first text\nsecond text\ncaf\u00e9 au lait\n".encode("latin-1"))
    assert main(["encode", "-m", MINILM_NONE, "--texts", str(corpus), "--cache", str(tmp_path / "emb"), "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert str(corpus) in err and "byte 26 (line 3)" in err and "UTF-8" in err


def test_study_refuses_a_redundancy_task_as_a_sweep_task(mteb_module, tmp_path):
    from mteb_redundancy.analyses.study.engine import StudyError, check_study

    with pytest.raises(StudyError, match="RedundancyWikiSmall.*measurements, not scores"):
        check_study(MINILM, "none", tmp_path / "study", ["RedundancyWikiSmall"], None, None)


# --------------------------------------------------------------------------------------------
# 12. smaller
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("umask, mode", [(0o022, 0o644), (0o002, 0o664), (0o077, 0o600)])
def test_written_files_respect_the_umask(tmp_path, umask, mode):
    from mteb_redundancy import EmbeddingCache
    from mteb_redundancy._io import atomic_write_text
    from mteb_redundancy.models.cache import CacheKey

    previous = os.umask(umask)
    try:
        atomic_write_text(tmp_path / "table.md", "x")
        EmbeddingCache(tmp_path / "emb").store(CacheKey("org/m", None, "none", "text"), ["a"], np.ones((1, 4), np.float32))
    finally:
        os.umask(previous)
    files = [tmp_path / "table.md", *[p for p in (tmp_path / "emb").rglob("*") if p.is_file()]]
    assert len(files) == 4 and {p.stat().st_mode & 0o777 for p in files} == {mode}


def test_the_precision_variable_is_case_insensitive(monkeypatch):
    from mteb_redundancy.models.precision import resolve_precision

    monkeypatch.setenv("MTEB_REDUNDANCY_PRECISION", " Float32 ")
    assert resolve_precision(None, "cpu") == "float32"
    monkeypatch.setenv("MTEB_REDUNDANCY_PRECISION", "BFLOAT16")
    assert resolve_precision(None, "cpu") == "bfloat16"


@pytest.mark.parametrize("dim", ["\u00b2", "1" * 5000])
def test_a_dim_that_is_no_whole_number_names_dim(dim):
    from mteb_redundancy.models.names import parse_variant_name

    with pytest.raises(ValueError, match="dim must be a whole number") as error:
        parse_variant_name(f"a/b (prompt=none, dim={dim})")
    assert len(str(error.value)) < 6000


@pytest.mark.parametrize("options", ["dim=64, dim=64", "dim=64, dim=0064", "dim=64, embed_dim=64"])
def test_an_option_given_twice_is_refused_whatever_its_values(options):
    from mteb_redundancy.models.names import parse_variant_name

    with pytest.raises(ValueError, match="'dim' is given twice"):
        parse_variant_name(f"a/b (prompt=none, {options})")


def test_metric_warnings_are_counted_once_per_task_with_details_in_the_log(tmp_path):
    code = (
        "from mteb_redundancy.analyses.sweep.engine import run_sweep\n"
        f"run_sweep({MINILM!r}, 'none', dims=[2], reductions=['first'], tasks=['WikiTopicClassification'], "
        f"output_folder={str(tmp_path / 'out')!r}, show_progress=False, quantizations=['binary'])\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=os.environ, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    lines = [line for line in done.stderr.splitlines() if "UndefinedMetricWarning" in line]
    assert len(lines) == 1, done.stderr[-3000:]
    assert "WikiTopicClassification" in lines[0] and "dim=2, quantization=binary" in lines[0] and "site-packages" not in done.stderr
    log = (tmp_path / "out" / "warnings.log").read_text()
    assert "## WikiTopicClassification" in log and " x UndefinedMetricWarning: " in log


def test_a_killed_ray_encoding_leaves_no_dashboard_behind(mteb_module, tmp_path, wiki_texts):
    pytest.importorskip("ray")
    import signal
    import time

    corpus = write_lines(tmp_path / "corpus.txt", wiki_texts[1300:1700])
    marker = uuid.uuid4().hex
    env = {**os.environ, "MTEB_REDUNDANCY_KILL_MARKER": marker}
    process = subprocess.Popen(
        [sys.executable, "-m", "mteb_redundancy.cli", "encode", "-m", MINILM_NONE, "--texts", str(corpus),
         "--cache", str(tmp_path / "emb"), "--engine", "ray", "--num-cpus", "1", "--batch-size", "8"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, start_new_session=True,
    )

    def marked() -> dict[int, str]:
        found = {}
        for proc in Path("/proc").iterdir():
            if not proc.name.isdigit() or int(proc.name) == os.getpid():
                continue
            try:
                if marker.encode() in (proc / "environ").read_bytes():
                    found[int(proc.name)] = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
        return found

    def of_session(session: str) -> dict[int, str]:
        """Processes with a file open in the Ray session's folder (the agents rename themselves and
        do not keep the marker in their environment)."""
        found = {}
        for proc in Path("/proc").iterdir():
            try:
                if proc.name.isdigit() and any(os.readlink(fd).startswith(session) for fd in (proc / "fd").iterdir()):
                    found[int(proc.name)] = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
        return found

    session = None
    try:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline and not any("raylet" in c for c in marked().values()):
            assert process.poll() is None, process.stdout.read().decode()[-3000:]
            time.sleep(1)
        assert any("raylet" in c for c in marked().values()), "the local Ray cluster never started"
        (session,) = {c.split("--log_dir=")[1].split("/logs")[0] for c in marked().values() if "gcs_server" in c}
        time.sleep(5)  # the raylet starts its agents
        assert any("Agent" in c for c in of_session(session).values())
        process.kill()  # kill -9 of the command, as the OOM killer would
        process.wait(timeout=60)
        time.sleep(15)
        left = of_session(session)
        assert not left, left
    finally:
        for pid in {**marked(), **(of_session(session) if session else {})}:  # only this test's processes
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
