"""A vision-language model (VLM) through llama.cpp's multimodal library (mtmd).

A VLM comes as two GGUF files the user supplies: the language model and its "mmproj" (the
vision encoder plus the projector that maps image patches into the language model's
embedding space). :class:`VisionLLM` loads both and answers one question about one image.

Everything that decides how to run the pair is read from GGUF metadata, never from file
names (users rename files):

* the mmproj must say ``general.architecture = clip`` and have a vision encoder; its
  ``clip.projector_type`` and projector tensors give the width it produces, which must
  equal the language model's embedding width -- checked here so the user is told which
  file is wrong instead of llama.cpp failing with a log line;
* the language model's ``tokenizer.chat_template`` decides the prompt format. With a
  template, a generic handler renders it with mtmd's media marker in the text (mtmd adds
  each projector's own image-start/end tokens). Old conversions without a template get
  the llama-cpp-python handler that matches their projector and architecture.

Images are handed to llama.cpp as PNG bytes of an already decoded, oriented, RGB image, so
llama.cpp's own image decoder never parses a user's file.
"""

from __future__ import annotations

import base64
import dataclasses
import io
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PIL import Image, ImageOps

from . import llama_adapter
from .errors import ModelError
from .llama_handle import LlamaHandle, check_model_file, open_llama, quiet_stderr
from .runtime import RuntimeSettings
from .store import check_gguf_header

#: Longest side of the image handed to the VLM; more only costs image tokens.
MAX_SIDE = 1024

# Where each projector type keeps the width of its output (see clip_n_mmproj_embd in
# llama.cpp's clip.cpp): tensor name and the ggml dimension that holds the width.
_OUTPUT_WIDTH: dict[str, tuple[str, int]] = {
    "mlp": ("mm.2.weight", 1),
    "idefics3": ("mm.model.fc.weight", 1),
    "gemma3": ("mm.input_projection.weight", 0),
    "qwen2vl_merger": ("mm.2.bias", 0),
    "qwen2.5vl_merger": ("mm.2.bias", 0),
    "resampler": ("resampler.proj.weight", 0),
}


@dataclass(frozen=True)
class MmprojInfo:
    """What an mmproj file says about itself."""

    path: Path
    projector: str
    output_width: int | None  # None when this projector type is not in the table above
    image_size: int
    name: str


def _field(reader: Any, key: str) -> Any:
    found = reader.fields.get(key)
    return found.contents() if found is not None else None


def inspect_mmproj(path: str | Path) -> MmprojInfo:
    """Read and check an mmproj file's metadata; ModelError naming the file when unusable."""
    path = Path(path)
    if not path.is_file():
        raise ModelError(f"The mmproj file {path} does not exist.")
    check_gguf_header(path)
    try:
        from gguf import GGUFReader

        reader = GGUFReader(str(path))
    except (ValueError, IndexError, OSError) as exc:
        raise ModelError(
            f"The mmproj file {path} is damaged or truncated ({exc}); download it again."
        ) from exc
    size = path.stat().st_size
    end = max((t.data_offset + t.n_bytes for t in reader.tensors), default=0)
    if end > size:
        raise ModelError(f"The mmproj file {path} is truncated ({size:,} of {end:,} bytes).")
    arch = _field(reader, "general.architecture")
    if arch != "clip":
        raise ModelError(
            f"{path} is not an mmproj file (its architecture is {arch!r}, not 'clip'). "
            "Pass the language model with --vlm and its vision projector with --mmproj."
        )
    if not _field(reader, "clip.has_vision_encoder"):
        raise ModelError(f"The mmproj file {path} has no vision encoder (audio only?).")
    projector = str(
        _field(reader, "clip.projector_type") or _field(reader, "clip.vision.projector_type") or ""
    )
    if not projector:
        raise ModelError(f"The mmproj file {path} does not say its projector type.")
    tensors = {t.name: t for t in reader.tensors}
    width: int | None = None
    where = _OUTPUT_WIDTH.get(projector)
    if projector == "mlp" and "mm.3.weight" in tensors:
        where = ("mm.3.bias", 0)  # the "Yi" LLaVA variant with layer norms
    if where is not None and where[0] in tensors:
        width = int(tensors[where[0]].shape[where[1]])
    return MmprojInfo(
        path=path,
        projector=projector,
        output_width=width,
        image_size=int(_field(reader, "clip.vision.image_size") or 0),
        name=str(_field(reader, "general.name") or path.stem),
    )


def _legacy_handler_class(projector: str, architecture: str) -> type:
    """A fixed-format handler for old GGUFs that carry no chat template."""
    from llama_cpp import llama_chat_format as fmt

    if projector == "resampler":
        return fmt.MiniCPMv26ChatHandler
    if projector.startswith("qwen2"):
        return fmt.Qwen25VLChatHandler
    if architecture == "phi2":
        return fmt.MoondreamChatHandler
    return fmt.Llava15ChatHandler


def _png_data_url(image: Image.Image) -> str:
    buf = io.BytesIO()
    image.save(buf, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def _as_rgb(image: Image.Image | Path | str) -> Image.Image:
    if isinstance(image, str | Path):
        try:
            with Image.open(image) as opened:
                opened.draft("RGB", (MAX_SIDE, MAX_SIDE))
                image = ImageOps.exif_transpose(opened).convert("RGB")
        except (OSError, ValueError, Image.DecompressionBombError) as exc:
            raise ModelError(f"Cannot read the image {image}: {exc}") from exc
    elif image.mode != "RGB":
        image = image.convert("RGB")
    if max(image.size) > MAX_SIDE:
        image = image.copy()
        image.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
    return image


class VisionLLM(LlamaHandle):
    """A loaded VLM: a language model plus its mmproj. Create with :meth:`load`."""

    closed_message = "This vision model was closed."

    def __init__(self, llama: Any, handler: Any, model_path: Path, mmproj: MmprojInfo) -> None:
        super().__init__(llama)
        self._handler = handler
        self.model_path = model_path
        self.mmproj = mmproj
        self.handler_name = type(handler).__name__
        self.last_prompt_tokens = 0  # prompt tokens of the last call, image tokens included

    @classmethod
    def load(
        cls,
        model_path: str | Path,
        mmproj_path: str | Path,
        settings: RuntimeSettings | None = None,
    ) -> VisionLLM:
        """Load and check both files; ModelError naming the file at fault."""
        model_path = Path(model_path)
        settings = settings or RuntimeSettings()
        role = "VLM language model"
        check_model_file(model_path, role)  # before the mmproj, as the user named them
        mmproj = inspect_mmproj(mmproj_path)
        from .gpu import resolve_gpu_layers

        gpu_layers, _ = resolve_gpu_layers(settings.n_gpu_layers, model_path)
        settings = dataclasses.replace(settings, n_gpu_layers=gpu_layers)
        llama = open_llama(
            model_path,
            "download it again or choose another model",
            role=role,
            n_ctx=settings.n_ctx,
            n_threads=settings.n_threads,
            # prompt and image evaluation too: llama-cpp-python's default is every core
            n_threads_batch=settings.n_threads,
            n_gpu_layers=settings.n_gpu_layers,
            n_batch=settings.n_batch,
            seed=settings.seed,
        )
        verbose = bool(os.environ.get("CORRAL_DEBUG"))
        try:
            handler = cls._make_handler(llama, model_path, mmproj, settings, verbose)
        except BaseException:
            with quiet_stderr():
                llama.close()
            raise
        return cls(llama, handler, model_path, mmproj)

    @staticmethod
    def _make_handler(
        llama: Any, model_path: Path, mmproj: MmprojInfo, settings: RuntimeSettings, verbose: bool
    ) -> Any:
        width = int(llama.n_embd())
        if mmproj.output_width is not None and mmproj.output_width != width:
            raise ModelError(
                f"The mmproj {mmproj.path} produces {mmproj.output_width}-wide embeddings but "
                f"the language model {model_path} expects {width}: they belong to different "
                "models. Use the mmproj published with this model."
            )
        template = llama.metadata.get("tokenizer.chat_template")
        architecture = str(llama.metadata.get("general.architecture", ""))
        use_gpu = settings.n_gpu_layers != 0
        if template:
            handler = llama_adapter.flattening_handler_class()(
                clip_model_path=str(mmproj.path), verbose=verbose, use_gpu=use_gpu
            )
        else:
            handler = _legacy_handler_class(mmproj.projector, architecture)(
                clip_model_path=str(mmproj.path), verbose=verbose
            )
        try:
            with quiet_stderr():
                llama_adapter.load_mmproj(handler, llama)  # now, so errors surface at load time
        except ValueError as exc:
            raise ModelError(
                f"llama.cpp could not load the mmproj {mmproj.path} with {model_path} ({exc}). "
                "The file may be damaged, of a projector type this llama.cpp does not know "
                f"({mmproj.projector!r}), or made for another model."
            ) from exc
        llama.chat_handler = handler
        return handler

    def describe(self, image: Image.Image | Path | str, prompt: str, max_tokens: int = 96) -> str:
        """Answer ``prompt`` about ``image`` (greedy); returns the text."""
        self._require()
        url = _png_data_url(_as_rgb(image))
        messages = [
            {
                "role": "user",
                "content": [
                    {"type": "image_url", "image_url": {"url": url}},
                    {"type": "text", "text": prompt},
                ],
            }
        ]
        with self._lock, quiet_stderr():
            try:
                out = self._require().create_chat_completion(
                    messages=messages,
                    max_tokens=max_tokens,
                    temperature=0.0,
                    top_k=1,
                    repeat_penalty=1.1,
                )
            except ValueError as exc:
                raise ModelError(f"The vision model failed on this image: {exc}") from exc
        self.last_prompt_tokens = int(out.get("usage", {}).get("prompt_tokens", 0))
        return str(out["choices"][0]["message"].get("content") or "").strip()


__all__ = ["MAX_SIDE", "MmprojInfo", "VisionLLM", "inspect_mmproj"]
