"""File-backed Redundancy tasks (a file of texts, or an MTEB task's corpus), and the encode command's
local path: the texts it encodes are exactly those `mteb run` asks for."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest


def _write(path, lines):
    path.write_text("\n".join(lines) + "\n", "utf-8")
    return path


def test_a_text_file_and_a_jsonl_file_become_redundancy_tasks(tmp_path, mteb_module):
    from mteb_redundancy.analyses.redundancy.task_type import AbsTaskRedundancy
    from mteb_redundancy_tasks.redundancy import redundancy_task_from_file

    texts = ["first text", "  second, with spaces ", "third", "fourth"]
    plain = redundancy_task_from_file(_write(tmp_path / "corpus.txt", texts))
    assert issubclass(plain, AbsTaskRedundancy) and plain.metadata.name.startswith("Redundancy_corpus_")
    assert plain.metadata.type == "Redundancy" and plain.metadata.dataset["revision"]
    assert plain().load_texts() == texts  # one per line, kept as written

    records = [json.dumps({"id": i, "body": t}) for i, t in enumerate(texts)]
    jsonl = redundancy_task_from_file(_write(tmp_path / "c.jsonl", records), name="MyCorpus", text_field="body")
    assert jsonl.metadata.name == "MyCorpus" and jsonl().load_texts() == texts
    with pytest.raises(ValueError, match="no field 'text'"):
        redundancy_task_from_file(tmp_path / "c.jsonl")


def test_empty_and_duplicate_texts_are_rejected_with_their_lines(tmp_path):
    from mteb_redundancy_tasks.redundancy import redundancy_task_from_file

    with pytest.raises(ValueError, match=r"entries \[3\] are empty"):
        redundancy_task_from_file(_write(tmp_path / "blank.txt", ["a", "b", "  ", "c"]))
    with pytest.raises(ValueError, match=r"1 duplicate texts, entries 1 and 4"):
        redundancy_task_from_file(_write(tmp_path / "dup.txt", ["a", "b", "c", "a"]))
    kept = redundancy_task_from_file(tmp_path / "dup.txt", allow_duplicates=True)
    assert kept().load_texts() == ["a", "b", "c"]
    with pytest.raises(ValueError, match="TwoNN needs at least 3"):
        redundancy_task_from_file(_write(tmp_path / "two.txt", ["a", "b"]))
    with pytest.raises(FileNotFoundError):
        redundancy_task_from_file(tmp_path / "missing.txt")


def test_a_file_edited_after_the_task_was_defined_fails_to_load(tmp_path):
    from mteb_redundancy_tasks.redundancy import redundancy_task_from_file

    path = _write(tmp_path / "c.txt", ["a", "b", "c"])
    task = redundancy_task_from_file(path)()
    _write(path, ["a", "b", "d"])
    with pytest.raises(ValueError, match="changed since task"):
        task.load_texts()


def test_an_mteb_tasks_corpus_becomes_a_redundancy_task(mteb_module):
    from mteb_redundancy.mteb_bridge.fitting import pca_fitting_set
    from mteb_redundancy_tasks.redundancy import redundancy_task_from_mteb

    corpus = pca_fitting_set("WikiRetrieval").texts  # a retrieval task: its documents
    whole = redundancy_task_from_mteb("WikiRetrieval")()
    assert whole.metadata.name == "Redundancy_WikiRetrieval" and whole.load_texts() == list(corpus)
    sample = redundancy_task_from_mteb("WikiRetrieval", name="WikiCorpus300", max_texts=300)().load_texts()
    assert len(sample) == 300 and set(sample) <= set(corpus)


def test_the_engines_import_without_ray_and_say_how_to_get_it(tmp_path):
    code = (
        "import sys; sys.modules['ray'] = None\n"
        "import mteb_redundancy.engines.command, mteb_redundancy.engines.plan, mteb_redundancy.engines.local\n"
        "from mteb_redundancy.engines.ray_engine import encode_ray\n"
        "try:\n    encode_ray(None, [], cache_root='.')\nexcept ImportError as e:\n    print(e)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert 'pip install "mteb-redundancy[ray]"' in out


def test_encode_command_local_path_fills_what_mteb_run_needs(tmp_path, mteb_module, load_variant):
    from mteb_redundancy import EmbeddingCache
    from mteb_redundancy_tasks.redundancy import redundancy_task_from_file

    texts = [f"Short text number {i} about topic {i % 7}." for i in range(60)]
    path = _write(tmp_path / "short.txt", texts)
    root = tmp_path / "cache"
    variant = "sentence-transformers/all-MiniLM-L6-v2 (prompt=instruction)"
    command = [sys.executable, "-m", "mteb_redundancy.cli", "encode", "-m", variant, "--texts", str(path),
               "--cache", str(root), "--no-progress", "--json", str(tmp_path / "done.json")]
    subprocess.run(command, check=True, capture_output=True, env={**__import__("os").environ, "HF_HUB_OFFLINE": "1"})
    (done,) = json.loads((tmp_path / "done.json").read_text())
    assert done["engine"] == "local" and done["texts_encoded"] == done["to_encode"] == done["embeddings"]
    assert done["jobs"] > 3  # an instruction per task of the prompt types, plus none
    task = redundancy_task_from_file(path, name="ShortCorpus", n_resamples=0)()
    model = load_variant(variant, cache=EmbeddingCache(root))
    mteb_module.evaluate(model, [task], cache=mteb_module.ResultCache(tmp_path / "results"))
    assert model.texts_encoded == 0
