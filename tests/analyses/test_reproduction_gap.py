"""The pieces of benchmarks/reproduce_gap.py: a configured encoder (shorter maximum length, raw vectors)
that keeps its vectors apart in the cache, and the effect of a factor with paired or independent intervals."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import MINILM


def test_factor_effects_paired_and_independent():
    from mteb_redundancy.analyses.robustness.gap import factor_effects

    rng = np.random.default_rng(0)
    A = rng.normal(size=(200, 6))
    B = np.hstack([A[:, :3], 0.1 * A[:, 3:]])  # the same texts, three directions shrunk
    same = factor_effects({"q": A}, {"q": A}, paired=True, n_resamples=40)["q"]
    assert (same["twonn"]["difference"]["low"], same["twonn"]["difference"]["high"]) == (0.0, 0.0)
    paired = factor_effects({"q": A}, {"q": B}, paired=True, n_resamples=40)["q"]
    assert paired["isoscore"]["difference"]["high"] < 0  # shrinking directions lowers IsoScore, surely
    alone = factor_effects({"q": A}, {"q": B}, paired=False, n_resamples=40)["q"]
    for s in ("twonn", "isoscore"):
        base, other, diff = (alone[s][k] for k in ("baseline", "other", "difference"))
        assert diff["estimate"] == pytest.approx(other["estimate"] - base["estimate"])
        assert diff["high"] - diff["estimate"] == pytest.approx(np.hypot(other["high"] - other["estimate"], base["estimate"] - base["low"]))
    with pytest.raises(ValueError, match="same prompt types"):
        factor_effects({"q": A}, {"c": A}, paired=True)
    with pytest.raises(ValueError, match="share their rows"):
        factor_effects({"q": A}, {"q": A[:100]}, paired=True)


def test_configured_encoders_change_the_vectors_and_keep_them_apart_in_the_cache(mteb_module, tmp_path):
    from mteb_redundancy import EmbeddingCache
    from mteb_redundancy.analyses.robustness.gap import configured_encoder
    from mteb_redundancy_tasks.redundancy import wiki_sample

    cache = EmbeddingCache(tmp_path / "embeddings")
    variant = f"{MINILM} (prompt=prefix)"
    texts = sorted(wiki_sample(40), key=len)[-4:]  # long leads: truncation at 16 tokens must change them
    base = configured_encoder(variant, cache=cache, show_progress=False)
    prompt = base.prompt_for("MSMARCOHardNegatives", "Retrieval", "query")
    X = base.embed(texts, prompt)
    short = configured_encoder(variant, cache=cache, max_length=16, show_progress=False)
    raw = configured_encoder(variant, cache=cache, raw=True, show_progress=False)
    keys = {e.cache_key(prompt) for e in (base, short, raw)}
    assert len(keys) == 3
    # the settings have a field of their own in the key: the revision is the model's, untagged
    assert {k.revision for k in keys} == {base.revision} and {k.settings for k in keys} == {
        (), (("max_seq_length", 16),), (("normalize_output", False),)
    }
    S, R = short.embed(texts, prompt), raw.embed(texts, prompt)
    assert short.texts_encoded == raw.texts_encoded == 4  # nothing served from the baseline's vectors
    assert np.all(np.sum(S * X, axis=1) < 0.999)
    norms = np.linalg.norm(R, axis=1)
    assert np.allclose(np.linalg.norm(X, axis=1), 1, atol=1e-4) and np.all(norms > 1.2)
    assert np.allclose(R / norms[:, None], X, atol=2e-3)  # the same direction, before normalisation
    with pytest.raises(ValueError, match="max_length"):
        configured_encoder(variant, cache=cache, max_length=0)
    # vectors of other settings than the variant's are never filed as its MTEB results
    from mteb_redundancy.models.variants import ChangedSettingsError

    for encoder in (short, raw):
        with pytest.raises(ChangedSettingsError):
            encoder.mteb_model_meta
    assert base.mteb_model_meta.name == MINILM
