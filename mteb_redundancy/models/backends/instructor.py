"""Backend for INSTRUCTOR-style embeddings from any transformers encoder (INSTRUCTOR (Su et al. 2023)).

The model reads ``instruction + text`` (the ``Prompt``'s prefix, then the text); the embedding is
the mean of the last hidden states over the text's tokens only, so the instruction shapes the
text's token states through attention but is not averaged in. Without ``pool_text_only`` (other
prompt styles) every token is averaged, as sentence-transformers' mean pooling does.

Which tokens are the instruction's: INSTRUCTOR's code tokenizes the instruction alone and counts
its tokens (the leading special tokens and the instruction, not a trailing SEP/EOS). That count is
right only when the tokenizer splits the joined string at the boundary exactly as it splits the
instruction alone; a BPE tokenizer merges the instruction's final space into the text's first
word. So a fast tokenizer's character offsets decide instead: a token belongs to the text as soon
as it covers a character of the text; slow tokenizers fall back on INSTRUCTOR's count. Trailing
special tokens (SEP, EOS) are pooled with the text, as INSTRUCTOR and sentence-transformers do.

``ModelSpec.backend_options``: ``dtype`` (``float32``/``bfloat16``/``float16``).
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Sequence

import numpy as np

from mteb_redundancy.models.backends.transformers_common import (
    TransformersBackend,
    check_options,
    length_sorted_batches,
    pretrained_kwargs,
    resolve_device,
    resolve_dtype,
)
from mteb_redundancy.models.spec import ModelSpec
from mteb_redundancy.models.styles import Prompt

OPTIONS = ("dtype",)
DEFAULT_MAX_LENGTH = 512


def text_start_from_offsets(
    offsets: Sequence[tuple[int, int]], special: Sequence[int], prefix_chars: int
) -> int:
    """Index of the first token of the text in ``prefix + text``: past the leading special tokens
    and the tokens that lie wholly inside the prefix's ``prefix_chars`` characters."""
    seen_word = False
    for index, ((_, end), is_special) in enumerate(zip(offsets, special)):
        if is_special:
            if seen_word:  # a trailing special token (SEP/EOS): an empty text starts here
                return index
            continue
        seen_word = True
        if end > prefix_chars:
            return index
    return len(offsets)


def instruction_token_count(tokenizer, prefix: str) -> int:
    """INSTRUCTOR's rule: the prefix's tokens when tokenized alone, without a trailing special."""
    ids = list(tokenizer(prefix)["input_ids"])
    if ids and ids[-1] in set(tokenizer.all_special_ids):
        ids = ids[:-1]
    return len(ids)


def _sentence_transformers_max_length(location: str) -> int | None:
    # A sentence-transformers folder states the length its model was trained and is run with.
    config = os.path.join(location, "sentence_bert_config.json")
    if not os.path.isfile(config):
        return None
    with open(config, encoding="utf-8") as handle:
        return json.load(handle).get("max_seq_length")


class InstructorBackend(TransformersBackend):
    """Mean-pooled last hidden states of a transformers encoder, leaving out the prompt's tokens
    where the prompt says so (``pool_text_only``)."""

    def __init__(self, spec: ModelSpec, location: str, device: str | None = None):
        options = check_options(spec, OPTIONS, "instructor")
        self.spec = spec
        self.location = location
        self.device = device
        self.dtype_name = options.get("dtype")
        self._model = None
        self._tokenizer = None
        self._lock = threading.Lock()

    def load(self):
        with self._lock:
            if self._model is None:
                from transformers import AutoModel, AutoTokenizer

                device = resolve_device(self.device)
                dtype = resolve_dtype(device, self.dtype_name)
                tokenizer = AutoTokenizer.from_pretrained(self.location, **pretrained_kwargs(self.spec, self.location))
                tokenizer.padding_side = "right"  # the text-start index counts from the left
                model = AutoModel.from_pretrained(self.location, **pretrained_kwargs(self.spec, self.location, dtype))
                self.max_length = int(
                    self.spec.max_seq_length
                    or _sentence_transformers_max_length(self.location)
                    or min(
                        DEFAULT_MAX_LENGTH,
                        tokenizer.model_max_length,
                        getattr(model.config, "max_position_embeddings", DEFAULT_MAX_LENGTH),
                    )
                )
                self._device = device
                self._tokenizer = tokenizer
                self._model = model.to(device).eval()
        return self._model

    def text_starts(self, encoded, prefix: str) -> list[int]:
        """Per row of a tokenized batch of ``prefix + text``, where the text's tokens begin."""
        if not prefix:
            return [0] * len(encoded["input_ids"])
        if "offset_mapping" in encoded:
            return [
                text_start_from_offsets(offsets, special, len(prefix))
                for offsets, special in zip(encoded["offset_mapping"].tolist(), encoded["special_tokens_mask"].tolist())
            ]
        return [instruction_token_count(self._tokenizer, prefix)] * len(encoded["input_ids"])

    def encode(self, texts: list[str], prompt: Prompt, batch_size: int) -> np.ndarray:
        import torch

        model = self.load()
        tokenizer = self._tokenizer
        inputs = [prompt.apply(text) for text in texts]
        lengths = [len(ids) for ids in tokenizer(inputs, truncation=True, max_length=self.max_length)["input_ids"]]
        excluded_prefix = prompt.prefix if prompt.pool_text_only else ""
        vectors = np.zeros((len(texts), model.config.hidden_size), dtype=np.float32)
        for batch in length_sorted_batches(lengths, batch_size):
            encoded = tokenizer(
                [inputs[i] for i in batch],
                padding=True,
                truncation=True,
                max_length=self.max_length,
                return_tensors="pt",
                return_offsets_mapping=bool(excluded_prefix) and tokenizer.is_fast,
                return_special_tokens_mask=bool(excluded_prefix) and tokenizer.is_fast,
            )
            pool_mask = encoded["attention_mask"].clone()
            for row, start in enumerate(self.text_starts(encoded, excluded_prefix)):
                if start >= int(pool_mask[row].sum()):
                    raise ValueError(
                        f"No token of the text is left to pool for {texts[batch[row]][:60]!r}: the instruction "
                        f"fills the model's {self.max_length} tokens. Shorten the instruction."
                    )
                pool_mask[row, :start] = 0
            features = {
                name: encoded[name].to(self._device)
                for name in ("input_ids", "attention_mask", "token_type_ids")
                if name in encoded
            }
            with torch.inference_mode():
                hidden = model(**features).last_hidden_state.float()
            weights = pool_mask.to(self._device).unsqueeze(-1).float()
            pooled = (hidden * weights).sum(dim=1) / weights.sum(dim=1)
            vectors[batch] = pooled.cpu().numpy()
        return vectors
