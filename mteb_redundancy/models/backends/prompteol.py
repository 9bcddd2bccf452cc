"""Backend for decoder-only language models embedded the PromptEOL way (PromptEOL (Jiang et al. 2023)).

Any Hugging Face causal LM (a hub id or a local folder) reads
``This sentence : "<text>" means in one word:"`` (optionally after in-context demonstrations, see
``models.styles.prompteol_prompt``); the embedding is the last layer's hidden state at the last token,
the template's closing quote, where the model is about to say its one word.

Three details decide which token that is, and are checked by the tests:

- no trailing special token: some tokenizers append an EOS (and transformers 5 changed which
  tokenizer setting wins, see MTEB's E5-Mistral notes), which would move the pooled position onto
  the EOS. The text is tokenized without special tokens, and only the tokenizer's *leading*
  special tokens (a BOS, where it adds one) are put back;
- left padding, with position ids counted from each sequence's first real token, so that a
  text's vector does not depend on the batch it is in;
- truncation cuts the text, never the template's end.

``ModelSpec.backend_options``: ``demonstrations`` (a list of ``[sentence, word]`` pairs) and
``dtype`` (``float32``/``bfloat16``/``float16``; default bfloat16 on a GPU, float32 on CPU).
"""

from __future__ import annotations

import inspect
import threading

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
from mteb_redundancy.models.styles import Prompt, prompteol_prompt

OPTIONS = ("demonstrations", "dtype")
# Tokens per input, template included, unless ModelSpec.max_seq_length says otherwise. Every
# Wikipedia lead of the project's corpus fits (the longest is 474 SmolLM2 tokens).
DEFAULT_MAX_LENGTH = 512


def special_affixes(tokenizer) -> tuple[list[int], list[int]]:
    """The special token ids the tokenizer puts before and after a text by default."""
    probe = "This sentence"
    full = list(tokenizer(probe)["input_ids"])
    plain = list(tokenizer(probe, add_special_tokens=False)["input_ids"])
    for start in range(len(full) - len(plain) + 1):
        if full[start : start + len(plain)] == plain:
            return full[:start], full[start + len(plain) :]
    raise ValueError(
        f"Cannot tell the special tokens of {type(tokenizer).__name__}: {probe!r} is {full} with them "
        f"and {plain} without."
    )


def prompteol_input_ids(tokenizer, text: str, prompt: Prompt, leading: list[int], max_length: int) -> list[int]:
    """The token ids the model reads for ``text``: ``leading`` (the tokenizer's leading special
    tokens) and the prompted text, with no trailing special token. A text too long for
    ``max_length`` is cut to its first tokens (decoded back to text, as PromptEOL's code cuts)
    before it is put in the template, so that the template's end survives."""
    ids = leading + tokenizer(prompt.apply(text), add_special_tokens=False)["input_ids"]
    if len(ids) <= max_length:
        return ids
    text_ids = tokenizer(text.strip(), add_special_tokens=False)["input_ids"]
    excess = len(ids) - max_length
    while True:
        keep = max(0, len(text_ids) - excess)
        shortened = tokenizer.decode(text_ids[:keep], skip_special_tokens=True)
        ids = leading + tokenizer(prompt.apply(shortened), add_special_tokens=False)["input_ids"]
        if len(ids) <= max_length or keep == 0:
            break
        excess += len(ids) - max_length  # re-tokenizing at the cut can merge tokens differently
    if len(ids) > max_length:
        raise ValueError(
            f"The prompt alone (template and demonstrations) is {len(ids)} tokens, more than the "
            f"{max_length} allowed; use fewer demonstrations or raise ModelSpec.max_seq_length."
        )
    return ids


class PromptEOLBackend(TransformersBackend):
    """Last-token embeddings of a causal LM under a ``Prompt`` (normally the ``prompteol`` style)."""

    def __init__(self, spec: ModelSpec, location: str, device: str | None = None):
        options = check_options(spec, OPTIONS, "prompteol")
        prompteol_prompt(options.get("demonstrations"))  # a malformed demonstration fails now, not mid-run
        self.spec = spec
        self.location = location
        self.device = device
        self.dtype_name = options.get("dtype")
        self.max_length = spec.max_seq_length or DEFAULT_MAX_LENGTH
        self._model = None
        self._tokenizer = None
        self._leading: list[int] = []
        self._forward_options: dict = {}
        self._lock = threading.Lock()

    def load(self):
        with self._lock:
            if self._model is None:
                from transformers import AutoModel, AutoTokenizer

                device = resolve_device(self.device)
                dtype = resolve_dtype(device, self.dtype_name)
                tokenizer = AutoTokenizer.from_pretrained(self.location, **pretrained_kwargs(self.spec, self.location))
                # The base model: its last_hidden_state is the causal LM's last hidden state
                # (after the final norm), without computing logits over the vocabulary.
                model = AutoModel.from_pretrained(self.location, **pretrained_kwargs(self.spec, self.location, dtype))
                model = model.to(device).eval()
                self._leading, _trailing = special_affixes(tokenizer)
                accepted = inspect.signature(model.forward).parameters
                self._forward_options = {"use_cache": False} if "use_cache" in accepted else {}
                self._pass_positions = "position_ids" in accepted
                self._pad_id = next(
                    (i for i in (tokenizer.pad_token_id, tokenizer.eos_token_id) if i is not None), 0
                )
                self._device = device
                self._tokenizer = tokenizer
                self._model = model
        return self._model

    def input_ids(self, text: str, prompt: Prompt) -> list[int]:
        self.load()
        return prompteol_input_ids(self._tokenizer, text, prompt, self._leading, self.max_length)

    def encode(self, texts: list[str], prompt: Prompt, batch_size: int) -> np.ndarray:
        import torch

        model = self.load()
        inputs = [self.input_ids(text, prompt) for text in texts]
        vectors = np.zeros((len(texts), model.config.hidden_size), dtype=np.float32)
        for batch in length_sorted_batches([len(ids) for ids in inputs], batch_size):
            width = max(len(inputs[i]) for i in batch)
            input_ids = torch.full((len(batch), width), self._pad_id, dtype=torch.long)
            attention_mask = torch.zeros((len(batch), width), dtype=torch.long)
            for row, i in enumerate(batch):  # left padding: every text ends at the last column
                input_ids[row, width - len(inputs[i]) :] = torch.tensor(inputs[i])
                attention_mask[row, width - len(inputs[i]) :] = 1
            features = {"input_ids": input_ids, "attention_mask": attention_mask}
            if self._pass_positions:
                features["position_ids"] = (attention_mask.cumsum(dim=1) - 1).clamp(min=0)
            features = {name: value.to(self._device) for name, value in features.items()}
            with torch.inference_mode():
                hidden = model(**features, **self._forward_options).last_hidden_state
            vectors[batch] = hidden[:, -1].float().cpu().numpy()
        return vectors
