"""A tiny vision-language model for tests: a real small LLM plus a random-weight mmproj.

No vision-language weights can be installed here, so the tests build the vision half
themselves: an mmproj GGUF for LLaVA's "mlp" projector (a small ViT followed by two linear
layers) whose weights are random and whose output width equals the language model's
embedding width. Paired with the real SmolLM2-135M GGUF, it runs everything llama.cpp
does for a real VLM -- reading the mmproj keys, preprocessing the image, the encoder, the
projector, evaluating the image embeddings in the LLM and generating -- only the words that
come out are meaningless.

Keys and tensor names follow llama.cpp's ``tools/mtmd/clip-impl.h`` and ``clip.cpp``
(``clip_model_loader::load_hparams`` and ``load_tensors``, the llava graph in
``models/llava.cpp``). Shapes are given numpy-style (the reverse of ggml's ``ne``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import gguf
import numpy as np


@dataclass(frozen=True)
class TinyViT:
    text_width: int = 576  # the language model's embedding width (SmolLM2-135M)
    image_size: int = 32
    patch_size: int = 8
    width: int = 32  # ViT hidden size
    heads: int = 2
    ffn: int = 64  # differs from ``width`` so llama.cpp's legacy up/down swap never fires
    layers: int = 2  # the llava graph runs n_layer - 1 of them (the second-to-last output)
    proj_hidden: int = 64  # width between mm.0 and mm.2


def write_tiny_mmproj(path: Path, spec: TinyViT = TinyViT(), *, seed: int = 0) -> Path:
    """Write an mmproj GGUF with small random weights; returns ``path``."""
    rng = np.random.default_rng(seed)

    def rand(*shape: int, scale: float = 0.05) -> np.ndarray:
        return (rng.standard_normal(shape) * scale).astype(np.float32)

    def ones(n: int) -> np.ndarray:
        return np.ones(n, dtype=np.float32)

    def zeros(n: int) -> np.ndarray:
        return np.zeros(n, dtype=np.float32)

    n_patches = (spec.image_size // spec.patch_size) ** 2
    w = spec.width
    writer = gguf.GGUFWriter(str(path), arch="clip")
    writer.add_name("corral-test-tiny-vit")
    writer.add_description("Random weights for tests; not a real vision model.")
    writer.add_bool("clip.has_vision_encoder", True)
    writer.add_bool("clip.has_text_encoder", False)
    writer.add_string("clip.projector_type", "mlp")
    writer.add_bool("clip.use_gelu", True)
    writer.add_uint32("clip.vision.image_size", spec.image_size)
    writer.add_uint32("clip.vision.patch_size", spec.patch_size)
    writer.add_uint32("clip.vision.embedding_length", w)
    writer.add_uint32("clip.vision.feed_forward_length", spec.ffn)
    writer.add_uint32("clip.vision.projection_dim", spec.text_width)
    writer.add_uint32("clip.vision.attention.head_count", spec.heads)
    writer.add_float32("clip.vision.attention.layer_norm_epsilon", 1e-5)
    writer.add_uint32("clip.vision.block_count", spec.layers)
    writer.add_array("clip.vision.image_mean", [0.48145466, 0.4578275, 0.40821073])
    writer.add_array("clip.vision.image_std", [0.26862954, 0.26130258, 0.27577711])

    tensors: dict[str, np.ndarray] = {
        "v.patch_embd.weight": rand(w, 3, spec.patch_size, spec.patch_size),
        "v.patch_embd.bias": zeros(w),
        "v.position_embd.weight": rand(n_patches, w),
        "v.pre_ln.weight": ones(w),
        "v.pre_ln.bias": zeros(w),
    }
    for il in range(spec.layers):
        blk = f"v.blk.{il}"
        for name in ("attn_q", "attn_k", "attn_v", "attn_out"):
            tensors[f"{blk}.{name}.weight"] = rand(w, w)
            tensors[f"{blk}.{name}.bias"] = zeros(w)
        tensors[f"{blk}.ln1.weight"] = ones(w)
        tensors[f"{blk}.ln1.bias"] = zeros(w)
        tensors[f"{blk}.ln2.weight"] = ones(w)
        tensors[f"{blk}.ln2.bias"] = zeros(w)
        tensors[f"{blk}.ffn_up.weight"] = rand(spec.ffn, w)
        tensors[f"{blk}.ffn_up.bias"] = zeros(spec.ffn)
        tensors[f"{blk}.ffn_down.weight"] = rand(w, spec.ffn)
        tensors[f"{blk}.ffn_down.bias"] = zeros(w)
    tensors["mm.0.weight"] = rand(spec.proj_hidden, w)
    tensors["mm.0.bias"] = zeros(spec.proj_hidden)
    tensors["mm.2.weight"] = rand(spec.text_width, spec.proj_hidden)
    tensors["mm.2.bias"] = zeros(spec.text_width)
    for name, value in tensors.items():
        writer.add_tensor(name, value)

    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path


__all__ = ["TinyViT", "write_tiny_mmproj"]
