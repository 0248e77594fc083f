"""The VLM runtime through llama.cpp, with a tiny test VLM built here (tests/vlm_fixture.py).

The language model is the real SmolLM2-135M; the mmproj has random weights, so the text is
meaningless, but loading, preprocessing, the ViT, the projector, image-token evaluation and
generation all run through llama.cpp's real code. Bad files are checked before llama.cpp
sees them; the one case only llama.cpp can detect runs in a subprocess in case it aborts.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import gguf
import numpy as np
import pytest
from PIL import Image

from corral.engine.describers.runner import ImageDescriptions
from corral.engine.describers.vlm import VlmDescriber, vlm_prompt
from corral.engine.ingest import scan_folder
from corral.engine.stages.base import Settings
from corral.engine.store import Project
from corral.models import llama_adapter, vision
from corral.models.errors import ModelError
from corral.models.runtime import RuntimeSettings
from corral.models.vision import VisionLLM, inspect_mmproj
from tests.conftest import REPO
from tests.vlm_fixture import TinyViT, write_tiny_mmproj

RUNTIME = RuntimeSettings(n_ctx=1024, n_threads=1)  # 1 thread: the CI machine is shared
SPEC = TinyViT()
IMAGE_TOKENS = (SPEC.image_size // SPEC.patch_size) ** 2


@pytest.fixture(scope="session")
def tiny_mmproj(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_tiny_mmproj(tmp_path_factory.mktemp("vlm") / "tiny-mmproj.gguf")


@pytest.fixture(scope="session")
def tiny_vlm(tiny_model_path: Path, tiny_mmproj: Path) -> VisionLLM:
    vlm = VisionLLM.load(tiny_model_path, tiny_mmproj, RUNTIME)
    yield vlm
    vlm.close()


def _text_only_tokens(vlm: VisionLLM, prompt: str) -> int:
    """Tokens of the same chat turn with the image marker left out."""
    from llama_cpp.llama_chat_format import Jinja2ChatFormatter

    llama = vlm._llm
    formatter = Jinja2ChatFormatter(
        template=llama.metadata["tokenizer.chat_template"],
        eos_token=llama_adapter.token_text(llama, llama.token_eos()),
        bos_token=llama_adapter.token_text(llama, llama.token_bos()),
    )
    text = formatter(messages=[{"role": "user", "content": "\n" + prompt}]).prompt
    return len(llama.tokenize(text.encode("utf-8"), add_bos=True, special=True))


@pytest.mark.model
def test_the_tiny_vlm_runs_an_image_through_llama_cpp(tiny_vlm: VisionLLM) -> None:
    assert tiny_vlm.handler_name == "FlatMTMDChatHandler"  # SmolLM2 has a chat template
    assert tiny_vlm.mmproj.projector == "mlp" and tiny_vlm.mmproj.output_width == 576
    prompt = vlm_prompt("what is shown")
    text = tiny_vlm.describe(Image.new("RGB", (50, 40), (200, 10, 10)), prompt, max_tokens=8)
    assert isinstance(text, str)
    # The picture became IMAGE_TOKENS embeddings in the prompt, next to the text's tokens.
    assert tiny_vlm.last_prompt_tokens - _text_only_tokens(tiny_vlm, prompt) == IMAGE_TOKENS


def test_odd_images_become_rgb_at_most_max_side_wide(tmp_path: Path) -> None:
    strip = Image.new("LA", (3000, 20), (90, 255))
    strip.save(tmp_path / "strip.png")
    for source in (strip, tmp_path / "strip.png", str(tmp_path / "strip.png")):
        image = vision._as_rgb(source)
        assert image.mode == "RGB" and image.size == (vision.MAX_SIDE, 7)
        assert image.getpixel((500, 3)) == (90, 90, 90)
    assert strip.size == (3000, 20) and strip.mode == "LA"  # the caller's image is left alone
    with pytest.raises(ModelError, match="Cannot read the image"):
        vision._as_rgb(tmp_path / "missing.png")


@pytest.mark.model
def test_a_file_path_is_described_as_the_same_image_in_memory(tiny_vlm: VisionLLM, tmp_path: Path) -> None:
    strip = Image.new("LA", (3000, 20), (90, 255))
    strip.save(tmp_path / "strip.png")
    from_memory = tiny_vlm.describe(strip, "Describe.", max_tokens=4)
    tokens = tiny_vlm.last_prompt_tokens
    assert tiny_vlm.describe(tmp_path / "strip.png", "Describe.", max_tokens=4) == from_memory
    assert tiny_vlm.last_prompt_tokens == tokens > IMAGE_TOKENS
    with pytest.raises(ModelError, match="Cannot read the image"):
        tiny_vlm.describe(tmp_path / "missing.png", "Describe.", max_tokens=2)


@pytest.mark.model
def test_an_mmproj_for_another_model_width_is_refused(tiny_model_path: Path, tmp_path: Path) -> None:
    other = write_tiny_mmproj(tmp_path / "wide.gguf", TinyViT(text_width=896))
    with pytest.raises(ModelError) as info:
        VisionLLM.load(tiny_model_path, other, RUNTIME)
    message = str(info.value)
    assert "wide.gguf" in message and "896" in message and "576" in message


@pytest.mark.model
def test_wrong_missing_and_damaged_mmproj_files_name_the_file(
    tiny_model_path: Path, tiny_mmproj: Path, tmp_path: Path
) -> None:
    writer = gguf.GGUFWriter(str(tmp_path / "llm.gguf"), arch="llama")  # a language model
    writer.add_uint32("llama.embedding_length", 576)
    writer.add_tensor("token_embd.weight", np.zeros((4, 8), dtype=np.float32))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    with pytest.raises(ModelError, match="not an mmproj"):
        inspect_mmproj(tmp_path / "llm.gguf")
    with pytest.raises(ModelError, match="does not exist"):
        inspect_mmproj(tmp_path / "nope.gguf")
    (tmp_path / "photo.gguf").write_bytes(b"\xff\xd8\xff\xe0 not a model")
    with pytest.raises(ModelError, match="not a GGUF"):
        inspect_mmproj(tmp_path / "photo.gguf")
    data = tiny_mmproj.read_bytes()
    for cut in (len(data) - 1000, 200):
        (tmp_path / "cut.gguf").write_bytes(data[:cut])
        with pytest.raises(ModelError, match="cut.gguf"):
            inspect_mmproj(tmp_path / "cut.gguf")
    with pytest.raises(ModelError, match="does not exist"):
        VisionLLM.load(tmp_path / "no-model.gguf", tiny_mmproj, RUNTIME)


def _without_tensor(source: Path, dest: Path, dropped: str) -> Path:
    """A copy of an mmproj with one required tensor left out (metadata intact)."""
    reader = gguf.GGUFReader(str(source))
    writer = gguf.GGUFWriter(str(dest), arch="clip")
    for field in reader.fields.values():
        if field.name.startswith("GGUF.") or field.name == "general.architecture":
            continue
        value = field.contents()
        kind = field.types[0]
        if kind == gguf.GGUFValueType.ARRAY:
            writer.add_array(field.name, value)
        else:
            writer.add_key_value(field.name, value, kind)
    for tensor in reader.tensors:
        if tensor.name != dropped:
            writer.add_tensor(tensor.name, tensor.data.copy())
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return dest


@pytest.mark.model
def test_an_mmproj_llama_cpp_rejects_gives_a_model_error_not_a_crash(
    tiny_model_path: Path, tiny_mmproj: Path, tmp_path: Path
) -> None:
    broken = _without_tensor(tiny_mmproj, tmp_path / "broken.gguf", "v.blk.0.attn_out.weight")
    assert inspect_mmproj(broken).projector == "mlp"  # looks fine from the outside
    script = textwrap.dedent(
        f"""
        from corral.models.errors import ModelError
        from corral.models.runtime import RuntimeSettings
        from corral.models.vision import VisionLLM
        try:
            VisionLLM.load({str(tiny_model_path)!r}, {str(broken)!r}, RuntimeSettings(n_ctx=512, n_threads=1))
        except ModelError as exc:
            print("MODEL-ERROR:", exc)
        """
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          cwd=REPO, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "MODEL-ERROR:" in done.stdout and "broken.gguf" in done.stdout


@pytest.mark.model
def test_the_vlm_describer_is_cached_per_criterion(
    tiny_model_path: Path, tiny_mmproj: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "pics"
    folder.mkdir()
    Image.new("RGB", (32, 32), (10, 200, 10)).save(folder / "green.png")
    with Project.open(tmp_path / "p.corral") as project:
        project.set_meta("root", str(folder))
        scan_folder(folder, project)
        (item,) = project.items("ok")
        describer = VlmDescriber(tiny_model_path, tiny_mmproj, RUNTIME, max_tokens=4)
        images = ImageDescriptions(project, Settings(criterion="colour"), [describer])
        first = images.describe(item)
        assert isinstance(first, str) and first
        assert images.describe(item) == first and images.stats["vlm"]["computed"] == 1
        other = ImageDescriptions(project, Settings(criterion="season"), [describer])
        other.describe(item)
        assert other.stats["vlm"]["computed"] == 1  # a new criterion asks the VLM again
        images.close()
