"""Shared fixtures. Real models come from the model store that packaging/test.sh fills.

Tests never download anything: the store is ``$CORRAL_TEST_MODELS`` or ``.corral-home``
in the repository (where ``packaging/test.sh`` installs the test models), and every test
gets a fresh, empty ``CORRAL_HOME`` so it cannot touch the user's folders.

Every test that needs a real model (a language model, the sentence embedder, the image
classifier, a vision model) is marked ``@pytest.mark.model``, so ``pytest -m "not model"`` is
a fast suite that needs no model file. Two checks keep it so: a test that asks for a model
fixture without the mark is refused at collection, and a test without the mark that loads a
model anyway (through the pipeline, say) fails. A test model that is not installed skips the
test with the reason, unless ``CORRAL_REQUIRE_TEST_MODELS`` is set (packaging/test.sh, CI),
where it fails.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, NoReturn

import llama_cpp
import pytest

from corral.models.catalog import get_spec
from corral.models.imagenet import ImageNetClassifier
from corral.models.probe import ProbeCache
from corral.models.store import ModelStore

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
TEST_MODELS = Path(os.environ.get("CORRAL_TEST_MODELS", REPO / ".corral-home" / "data" / "models"))
#: Fixtures that give a real model's file (and every fixture built on one, such as a loaded
#: model): a test using one must be marked ``model``.
MODEL_FIXTURES = frozenset({"tiny_model_path", "small_model_path", "minilm_path", "imagenet_model"})


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    unmarked = [
        f"{item.nodeid} (uses {', '.join(sorted(MODEL_FIXTURES.intersection(item.fixturenames)))})"
        for item in items
        if MODEL_FIXTURES.intersection(getattr(item, "fixturenames", ()))
        and item.get_closest_marker("model") is None
    ]
    if unmarked:
        raise pytest.UsageError(
            "These tests use a real model but are not marked @pytest.mark.model:\n  " + "\n  ".join(unmarked))


def assert_set_is_committed(write: Callable[[Path], Path], tmp_path: Path, name: str, script: str) -> None:
    """A benchmark set's generator (``write``: to the path given) writes the same bytes twice,
    and they are the committed ``resources/bench/NAME.jsonl`` and ``NAME.criteria.json``."""
    a, b = write(tmp_path / "a" / f"{name}.jsonl"), write(tmp_path / "b" / f"{name}.jsonl")
    assert a.read_bytes() == b.read_bytes()
    bench = REPO / "resources" / "bench"
    assert (bench / f"{name}.jsonl").read_bytes() == a.read_bytes(), f"resources/bench is stale: run packaging/{script}"
    assert (bench / f"{name}.criteria.json").read_bytes() == (tmp_path / "a" / f"{name}.criteria.json").read_bytes()


def packaging_script(name: str) -> Any:
    """A script of packaging/ (not a package) imported as a module, e.g. a benchmark set's
    generator; registered in ``sys.modules`` under ``name``, where dataclasses look it up."""
    import importlib.util
    import sys

    spec = importlib.util.spec_from_file_location(name, REPO / "packaging" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def missing_model(what: str, how: str) -> NoReturn:
    """Skip (or, with CORRAL_REQUIRE_TEST_MODELS, fail) a test whose model is not installed."""
    message = f"{what} is not installed ({how})"
    if os.environ.get("CORRAL_REQUIRE_TEST_MODELS"):
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(autouse=True)
def _model_guard(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Fail a test that loads a real model without the ``model`` mark."""
    if request.node.get_closest_marker("model") is not None:
        yield
        return
    loads: list[str] = []

    def refuse(what: str) -> Callable[..., Any]:
        def load(*args: Any, **kwargs: Any) -> Any:
            loads.append(what)
            raise AssertionError(f"{what}: this test loads a real model but is not marked @pytest.mark.model")

        return load

    monkeypatch.setattr(llama_cpp.Llama, "__init__", refuse("llama_cpp.Llama"))
    monkeypatch.setattr(ProbeCache, "verdict", refuse("the crash probe (a child process loading a model)"))
    monkeypatch.setattr(ImageNetClassifier, "load", refuse("ImageNetClassifier.load"))
    yield
    if loads:
        pytest.fail(f"{request.node.nodeid} loads a real model ({', '.join(loads)}) but is not marked "
                    "@pytest.mark.model; mark it so that `pytest -m 'not model'` needs no model.")


@pytest.fixture(scope="session")
def _probe_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One probe verdict file for the session: the probe runs once per model, as it does once
    per installation for a person (models/probe.py), not once per test."""
    return tmp_path_factory.mktemp("probe") / "probe.json"


@pytest.fixture(autouse=True)
def _isolated_home(_probe_file: Path, tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path_factory.mktemp("corral-home")
    monkeypatch.setenv("CORRAL_HOME", str(home))
    # The engine finds the installed test models (and the sentence embedder) here.
    monkeypatch.setenv("CORRAL_MODELS", str(TEST_MODELS))
    monkeypatch.setenv("CORRAL_PROBE_FILE", str(_probe_file))
    return home


def installed_model(name: str) -> Path:
    """The verified path of a catalog model in the test store; skips the test when it is not
    installed (see :func:`missing_model`)."""
    spec = get_spec(name)
    store = ModelStore(TEST_MODELS)
    if not store.is_installed(spec):
        missing_model(
            f"Test model {name}",
            f"not in {TEST_MODELS}; run `bash packaging/test.sh`, which installs the test models, or "
            f"`CORRAL_HOME=.corral-home corral models install {name}`",
        )
    return store.path_for(spec)


@pytest.fixture(scope="session")
def tiny_model_path() -> Path:
    """SmolLM2-135M-Instruct: real but weak, for fast checks of the mechanics."""
    return installed_model("smollm2-135m")


@pytest.fixture(scope="session")
def small_model_path() -> Path:
    """Qwen2.5-0.5B-Instruct: the smallest model that groups sensibly."""
    return installed_model("qwen2.5-0.5b")
