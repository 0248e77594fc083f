"""Photos: loading pictures safely, the describers, caching, and the describe stage.

Pictures are made here with Pillow (or written byte by byte where Pillow cannot make the
bad file cheaply, like a 20000x20000 PNG); real photos come from the shared CIFAR-10
sample, copied to ``tmp_path`` first. The classifier is the real EfficientNet-Lite0 export
from the test model store (``corral models install imagenet``).
"""

from __future__ import annotations

import contextlib
import csv
import io
import shutil
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from corral.engine import extract as extract_reasons
from corral.engine import review
from corral.engine.describers import loading, runner
from corral.engine.describers.base import ImageDescriber
from corral.engine.describers.loading import ImageSkip, load_image
from corral.engine.describers.metadata import MetadataDescriber, read_exif
from corral.engine.describers.ocr import OcrDescriber
from corral.engine.describers.runner import VECTOR_STAGE, ImageDescriptions, visual_vectors
from corral.engine.describers.tags import ImageNetDescriber, embedding_text
from corral.engine.ingest import scan_folder
from corral.engine.pipeline import model_provider, organize
from corral.engine.request import RunRequest
from corral.engine.stages.base import LazyModel, Settings, StageContext
from corral.engine.stages.cluster import description_vectors
from corral.engine.stages.describe import describe_items
from corral.engine.store import Project
from corral.engine.thumbnails import thumbnail_path
from corral.models.imagenet import ImageNetClassifier, preprocess
from corral.models.paths import cache_dir, models_dir
from corral.models.runtime import RuntimeSettings
from tests.conftest import REPO, SHARED, installed_model

CIFAR = SHARED / "datasets" / "images" / "cifar10_500"
AIRCRAFT = {"airliner", "warplane", "airship", "wing", "space shuttle", "aircraft carrier"}


# -- building files ------------------------------------------------------------------------


def cifar_images(dest: Path, labels: dict[str, int]) -> dict[str, str]:
    """Copy the first N images of each label to ``dest``; returns {file name: label}."""
    dest.mkdir(parents=True, exist_ok=True)
    wanted = dict(labels)
    chosen: dict[str, str] = {}
    with open(CIFAR / "labels.csv", newline="") as fh:
        for row in csv.DictReader(fh):
            if wanted.get(row["label"], 0) > 0:
                wanted[row["label"]] -= 1
                shutil.copyfile(CIFAR / row["file"], dest / row["file"])
                chosen[row["file"]] = row["label"]
    return chosen


def huge_png(path: Path, side: int = 20000) -> Path:
    """A valid 1-bit PNG of side x side pixels, streamed so it costs a few MB to write."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    row = b"\x00" + b"\x00" * ((side + 7) // 8)
    packer = zlib.compressobj(9)
    body = b"".join(packer.compress(row) for _ in range(side)) + packer.flush()
    header = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", body) + chunk(b"IEND", b""))
    return path


def jpeg_bytes(img: Image.Image, **kwargs: object) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format="JPEG", quality=90, **kwargs)
    return buf.getvalue()


def with_corrupt_exif(data: bytes) -> bytes:
    """Insert an APP1 'Exif' segment holding a nonsense TIFF header after the SOI marker."""
    payload = b"Exif\x00\x00" + b"II*\x00" + b"\xff\xff\xff\x7f" + b"\x13" * 40
    segment = b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload
    return data[:2] + segment + data[2:]


def text_picture(word: str) -> Image.Image:
    img = Image.new("RGB", (640, 240), "white")
    draw = ImageDraw.Draw(img)
    try:
        font = ImageFont.truetype("DejaVuSans-Bold.ttf", 72)
    except OSError:
        font = ImageFont.load_default(size=72)
    draw.text((40, 70), word, fill="black", font=font)
    return img


@pytest.fixture
def imagenet_model(_isolated_home: Path) -> Path:
    """The test store's classifier, where the describers' default ModelStore finds it."""
    source = installed_model("imagenet")
    target = models_dir() / source.name
    if target != source:  # a home of its own: link the store's file in
        target.parent.mkdir(parents=True, exist_ok=True)
        for suffix in ("", ".verified.json"):
            Path(f"{target}{suffix}").symlink_to(f"{source}{suffix}")
    return target


def _stage(project: Project, settings: Settings, items: list) -> tuple[dict, dict, dict]:
    ctx = StageContext(project, LazyModel("unused", _no_llm), settings)
    described, skipped = describe_items(ctx, items)
    return described, skipped, ctx.stats


def _no_llm() -> object:
    raise AssertionError("short documents and images need no language model")


# -- loading -------------------------------------------------------------------------------


def test_a_20000_pixel_png_is_skipped_without_decoding(tmp_path: Path) -> None:
    path = huge_png(tmp_path / "huge.png")
    assert path.stat().st_size < 2_000_000
    with pytest.raises(ImageSkip) as info:
        load_image(path)
    assert "too large" in info.value.reason


def test_large_jpegs_are_decoded_at_reduced_scale_other_formats_are_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(loading, "MAX_PIXELS", 4_000_000)  # 4096x3072 counts as "huge" here
    big = Image.new("RGB", (4096, 3072), (30, 120, 200))
    (tmp_path / "big.jpg").write_bytes(jpeg_bytes(big))
    big.save(tmp_path / "big.png")
    loaded = load_image(tmp_path / "big.jpg")  # drafted to 2048x1536 while decoding
    assert loaded.original_size == (4096, 3072) and max(loaded.image.size) <= loading.WORK_SIDE
    with pytest.raises(ImageSkip, match="too large"):
        load_image(tmp_path / "big.png")


def test_truncated_corrupt_and_unreadable_files_give_reasons(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    photo = jpeg_bytes(Image.effect_noise((256, 256), 60).convert("RGB"))
    (tmp_path / "cut.jpg").write_bytes(photo[: len(photo) // 2])
    (tmp_path / "junk.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)
    with pytest.raises(ImageSkip, match="damaged or truncated"):
        load_image(tmp_path / "cut.jpg")
    with pytest.raises(ImageSkip):
        load_image(tmp_path / "junk.png")
    with pytest.raises(ImageSkip, match="moved or deleted"):
        load_image(tmp_path / "gone.jpg")

    def denied(*args: object, **kwargs: object) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(loading, "open", denied, raising=False)  # root can read any file
    with pytest.raises(ImageSkip, match="permission denied"):
        load_image(tmp_path / "cut.jpg")


def test_exif_orientation_is_applied_and_corrupt_exif_is_ignored(tmp_path: Path) -> None:
    img = Image.new("RGB", (80, 40), "blue")
    img.paste((255, 0, 0), (0, 0, 40, 40))  # left half red
    exif = Image.Exif()
    exif[0x0112] = 6  # stored sideways: turn 90 degrees clockwise to view
    (tmp_path / "turned.jpg").write_bytes(jpeg_bytes(img, exif=exif))
    upright = load_image(tmp_path / "turned.jpg").image
    assert upright.size == (40, 80)
    r, g, b = upright.getpixel((20, 10))
    assert r > 200 and b < 60  # the red half is now on top

    (tmp_path / "bad-exif.jpg").write_bytes(with_corrupt_exif(jpeg_bytes(img)))
    assert load_image(tmp_path / "bad-exif.jpg").image.size == (80, 40)
    assert read_exif(tmp_path / "bad-exif.jpg") is None
    text = MetadataDescriber().describe(tmp_path / "bad-exif.jpg", upright, "when")
    assert "Taken" not in text


def test_tiny_pictures_are_upscaled_for_models() -> None:
    small = Image.new("RGB", (32, 24))
    assert min(loading.for_model(small).size) == loading.MIN_MODEL_SIDE
    assert loading.for_model(Image.new("RGB", (400, 300))).size == (400, 300)


# -- describers ----------------------------------------------------------------------------


def test_gps_date_and_camera_become_words(tmp_path: Path) -> None:
    exif = Image.Exif()
    exif[0x010F] = "Acme"
    exif[0x0110] = "Acme Snap 3"
    exif[0x0132] = "2023:06:14 14:02:00"
    exif[0x8825] = {1: "N", 2: (48.0, 51.0, 23.76), 3: "E", 4: (2.0, 21.0, 7.92)}  # Paris
    (tmp_path / "trip.jpg").write_bytes(jpeg_bytes(Image.new("RGB", (60, 40), "green"), exif=exif))
    image = load_image(tmp_path / "trip.jpg").image
    text = MetadataDescriber().describe(tmp_path / "trip.jpg", image, "where")
    assert "Paris" in text and "France" in text
    assert "14 June 2023" in text and "Acme Snap 3" in text
    assert "trip.jpg" not in text  # names stay out unless asked for
    named = MetadataDescriber(include_names=True, root=tmp_path).describe(tmp_path / "trip.jpg", image, "x")
    assert "file trip.jpg" in named


def test_ocr_reads_a_rendered_word_and_skips_photos(tmp_path: Path) -> None:
    ocr = OcrDescriber(threads=1)
    text = ocr.describe(tmp_path / "sign.png", text_picture("INVOICE"), "kind")
    assert "INVOICE" in text.upper()
    name = next(iter(cifar_images(tmp_path, {"frog": 1})))
    photo = loading.for_model(load_image(tmp_path / name).image)
    assert ocr.describe(tmp_path / name, photo, "kind") == ""


def test_a_scanned_page_is_read_line_by_line_at_full_resolution() -> None:
    """An A4 page scanned at 200 dpi, 3 degrees askew, with long lines of 11 pt print and a
    block at 20 pt. RapidOCR's own pass over such pages lost the spaces in the large print
    (docs/benchmarks.md, "Scanned documents"), and cutting each line's upright rectangle
    lost the skewed lines; read_scan reads each line alone, straightened, and turns a page
    round whose lines read better upside down."""
    long_lines = ["This lease is made on November 2, 2023 between the agent for the owner and the",
                  "tenant, who rents the dwelling with the appliances listed in the move-in report,",
                  "and agrees to pay the rent on the first day of each month by bank transfer."]
    large = ["Total due for your services", "please pay within thirty days"]
    page = Image.new("RGB", (1654, 2339), "white")
    draw = ImageDraw.Draw(page)

    def font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
        try:
            return ImageFont.truetype("DejaVuSans.ttf", size)
        except OSError:
            return ImageFont.load_default(size=size)

    for row, line in enumerate(long_lines):
        draw.text((150, 200 + 50 * row), line, fill="black", font=font(30))
    for row, line in enumerate(large):
        draw.text((150, 500 + 90 * row), line, fill="black", font=font(55))
    read = OcrDescriber(threads=2).read_scan(page.rotate(3, expand=True, fillcolor="white"))  # a skewed scan
    words = [w.strip(",.").lower() for line in long_lines + large for w in line.split()]
    got = {w.strip(",.").lower() for line in read for w in line.split()}
    assert sum(w in got for w in words) >= 0.9 * len(words), read
    assert len(read) == 5  # one reading a line, top to bottom
    assert read[0].startswith("This lease") and read[-1].lower().startswith("please pay")
    # a page fed into the scanner upside down reads the same
    assert OcrDescriber(threads=2).read_scan(page.rotate(183, expand=True, fillcolor="white")) == read


@pytest.mark.model
def test_the_classifier_tags_an_airplane_as_aircraft(tmp_path: Path, imagenet_model: Path) -> None:
    # img_0005 is a CIFAR-10 airplane. ImageNet classifiers see 32x32 pictures poorly (about
    # half of CIFAR's top-5 tag lists name the right kind of thing; docs/photos.md), so this
    # checks one clear airplane, and a frog, rather than a rate.
    shutil.copyfile(CIFAR / "img_0005.jpg", tmp_path / "plane.jpg")
    tagger = ImageNetDescriber(threads=1)
    plane = load_image(tmp_path / "plane.jpg").image
    top = tagger.top(plane)
    assert top[0][0] in AIRCRAFT and top[0][1] > 0.3
    text = tagger.describe(tmp_path / "plane.jpg", plane, "kind")
    assert text.startswith("Looks like: airliner (") and "%" in text
    assert not AIRCRAFT & {name for name, _ in tagger.top(text_picture("hello"))}


def test_the_sentence_embedder_reads_the_tags_without_their_likelihoods() -> None:
    photo = "Looks like: St. Bernard (25%), meerkat (3%). Text in the picture: SALE 50% (20%) off."
    assert embedding_text(photo) == "Looks like: St. Bernard, meerkat. Text in the picture: SALE 50% (20%) off."
    letter = "Dear Ann, the rent rises (5%). Looks like: rain (90%)."
    assert embedding_text(letter) == letter  # only a picture's own tags sentence changes
    assert embedding_text("Looks like: a cat.") == "Looks like: a cat."
    seen: list[list[str]] = []

    def embed(texts: list[str]) -> np.ndarray:
        seen.append(texts)
        return np.ones((len(texts), 2))

    description_vectors([photo, letter], embed)  # every embedding of descriptions goes through it
    assert seen == [[embedding_text(photo), letter]]


@pytest.mark.model
def test_the_export_gives_logits_and_pooled_features_that_match_torch(imagenet_model: Path) -> None:
    """The installed ONNX file has both outputs, and on a real picture they equal what the
    library's torch network gives (logits from its own forward, features from its pooling)."""
    torch = pytest.importorskip("torch")
    pytest.importorskip("efficientnet_lite_pytorch")
    from efficientnet_lite_pytorch import EfficientNet

    from corral.models.catalog import get_spec
    from corral.models.imagenet import FEATURES, MODEL_NAME, _with_features
    from corral.models.store import _installed_member

    classifier = ImageNetClassifier.load(imagenet_model, threads=1)
    assert [o.name for o in classifier._session.get_outputs()] == ["logits", "features"]
    image = load_image(CIFAR / "img_0005.jpg").image  # an airplane
    probs, features = classifier.run(image)
    assert probs.shape == (1000,) and features.shape == (FEATURES,) and features.dtype == np.float32
    assert np.allclose(classifier.features(image), features)
    assert classifier.analyse(image)[0] == classifier.top_k(image)

    spec = get_spec("imagenet")
    weights = _installed_member(spec.parts[0], spec)
    with contextlib.redirect_stdout(io.StringIO()):
        net = EfficientNet.from_pretrained(MODEL_NAME, weights_path=str(weights)).eval()
    pixels = torch.from_numpy(preprocess(image))
    with torch.no_grad():
        logits = net(pixels)[0].numpy()
        wrapped_logits, pooled = (t[0].numpy() for t in _with_features(torch, net).eval()(pixels))
    assert np.allclose(wrapped_logits, logits, atol=1e-5)
    assert np.allclose(features, pooled, atol=1e-3)
    torch_probs = np.exp(logits - logits.max())
    assert np.allclose(probs, torch_probs / torch_probs.sum(), atol=1e-4)


@pytest.mark.model
def test_tag_features_are_cached_with_the_tags_and_read_back_by_content(
    tmp_path: Path, imagenet_model: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "pics"
    cifar_images(folder, {"airplane": 1, "frog": 1})
    settings = Settings(criterion="kind", ocr=False)
    with Project.open(tmp_path / "p.corral") as project:
        project.set_meta("root", str(folder))
        scan_folder(folder, project)
        items = project.items("ok")
        hashes = [item.content_hash for item in items]
        assert visual_vectors(project, settings, hashes) == [None, None]

        tagger = ImageNetDescriber(threads=1)
        images = ImageDescriptions(project, settings, [tagger])
        first = [images.describe(item) for item in items]
        assert images.stats["tags"]["computed"] == 2
        vectors = visual_vectors(project, settings, hashes + ["sha256:" + "0" * 64])
        assert vectors[2] is None  # a document, or a picture never described
        for item, vector in zip(items, vectors, strict=False):
            expected = tagger._load().features(load_image(folder / item.path).image)
            assert vector is not None and np.array_equal(vector, expected)

        def no_network(*args: object, **kwargs: object) -> None:
            raise AssertionError("cached tags and features must not run the network again")

        network = ImageNetClassifier.run
        monkeypatch.setattr(ImageNetClassifier, "run", no_network)
        again = ImageDescriptions(project, settings, [ImageNetDescriber(threads=1)])
        assert [again.describe(item) for item in items] == first
        assert again.stats["tags"] == {"computed": 0, "cached": 2, "failed": 0, "seconds": 0.0}
        monkeypatch.setattr(ImageNetClassifier, "run", network)  # not undo(): that drops the test home too

        # Tags cached without features (a describer that gave none): the network runs again.
        project.cache_drop(VECTOR_STAGE)
        refill = ImageDescriptions(project, settings, [ImageNetDescriber(threads=1)])
        assert [refill.describe(item) for item in items] == first
        assert refill.stats["tags"]["computed"] == 2
        assert all(np.array_equal(a, b) for a, b in zip(visual_vectors(project, settings, hashes), vectors[:2], strict=True))
        # A VLM run does not use the tags' features.
        vlm = Settings(criterion="kind", vlm_model="m.gguf", vlm_mmproj="p.gguf")
        assert visual_vectors(project, vlm, hashes) == [None, None]


def test_thumbnails_are_made_once_per_content(tmp_path: Path) -> None:
    Image.new("RGB", (1200, 800), "orange").save(tmp_path / "a.png")
    path = thumbnail_path("sha256:" + "ab" * 32, tmp_path / "a.png")
    assert path == cache_dir() / "thumbs" / ("ab" * 32 + ".png")
    with Image.open(path) as thumb:
        assert max(thumb.size) == 256
    stamp = path.stat().st_mtime_ns
    assert thumbnail_path("sha256:" + "ab" * 32, tmp_path / "missing.png") == path
    assert path.stat().st_mtime_ns == stamp
    with pytest.raises(ValueError):
        thumbnail_path("../../etc/passwd", tmp_path / "a.png")


# -- the describe stage --------------------------------------------------------------------


class CountingDescriber(ImageDescriber):
    name = "counting"
    describer_id = "counting:v1"
    conditioned_on_criterion = True

    def __init__(self) -> None:
        self.calls = 0

    def describe(self, path: Path, image: Image.Image, criterion: str) -> str:
        self.calls += 1
        return f"{image.size[0]}x{image.size[1]} picture for {criterion}"


@pytest.mark.model
def test_a_mixed_folder_describes_images_and_documents_and_skips_bad_files(
    tmp_path: Path, imagenet_model: Path
) -> None:
    folder = tmp_path / "mixed"
    cifar_images(folder / "photos", {"airplane": 2, "frog": 2})
    (folder / "notes.txt").write_text("Shopping list: eggs, milk, bread.")
    text_picture("RECEIPT").save(folder / "scan.png")
    huge_png(folder / "poster.png")
    (folder / "empty.jpg").write_bytes(b"")
    (folder / "report.jpg").write_bytes(b"%PDF-1.4\n%\xe2\xe3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")
    photo = jpeg_bytes(Image.effect_noise((128, 128), 50).convert("RGB"))
    (folder / "cut.jpg").write_bytes(photo[: len(photo) // 2])
    (folder / "odd-exif.jpg").write_bytes(with_corrupt_exif(photo))

    with Project.open(tmp_path / "p.corral") as project:
        project.set_meta("root", str(folder))
        report = scan_folder(folder, project)
        skipped_at_scan = dict(report.skipped)
        assert skipped_at_scan["empty.jpg"] == "empty file"
        assert project.item_by_path("report.jpg").kind == "document"  # content wins over name
        items = project.items("ok")
        settings = Settings(criterion="what is in the picture")
        described, skipped, stats = _stage(project, settings, items)
        by_path = {item.path: item.id for item in items}

        assert described[by_path["notes.txt"]] == "Shopping list: eggs, milk, bread."
        assert "too large" in skipped[by_path["poster.png"]]
        assert "damaged or truncated" in skipped[by_path["cut.jpg"]]
        assert described[by_path["odd-exif.jpg"]].startswith("Picture. Looks like: ")
        assert "RECEIPT" in described[by_path["scan.png"]].upper()
        photos = [described[i] for p, i in by_path.items() if p.startswith("photos/")]
        assert len(photos) == 4 and all(d.startswith("Picture. Looks like: ") for d in photos)
        assert stats["images"]["tags"]["computed"] == 6
        thumbs = list((cache_dir() / "thumbs").glob("*.png"))
        assert len(thumbs) == 6


def test_each_describer_is_cached_and_criterion_keys_only_conditioned_ones(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "pics"
    cifar_images(folder, {"cat": 2})
    with Project.open(tmp_path / "p.corral") as project:
        project.set_meta("root", str(folder))
        scan_folder(folder, project)
        items = project.items("ok")
        counting = CountingDescriber()
        meta = MetadataDescriber()

        def run(criterion: str) -> dict[int, str]:
            images = ImageDescriptions(project, Settings(criterion=criterion), [counting, meta])
            return {item.id: images.describe(item) for item in items}

        first = run("animal")
        assert counting.calls == 2 and all("for animal" in d for d in first.values())

        def no_decoding(*args: object, **kwargs: object) -> None:
            raise AssertionError("a cached image must not be decoded again")

        decoding = runner.load_image
        monkeypatch.setattr(runner, "load_image", no_decoding)
        assert run("animal") == first and counting.calls == 2
        monkeypatch.setattr(runner, "load_image", decoding)
        second = run("colour")  # only the criterion-conditioned describer runs again
        assert counting.calls == 4 and all("for colour" in d for d in second.values())


def test_images_with_nothing_to_say_are_skipped_with_a_hint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CORRAL_MODELS", str(tmp_path / "empty-store"))  # no classifier here
    folder = tmp_path / "pics"
    cifar_images(folder, {"ship": 1})
    with Project.open(tmp_path / "p.corral") as project:
        project.set_meta("root", str(folder))
        scan_folder(folder, project)
        described, skipped, stats = _stage(project, Settings(criterion="kind", ocr=False), project.items("ok"))
        assert not described
        assert "corral models install imagenet" in next(iter(skipped.values()))
        assert "not installed" in stats["images"]["notes"][0]


def test_pictures_that_nothing_saw_are_grouped_with_a_warning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Without the classifier or a vision model, photos with EXIF are still described (date,
    place, camera), and the run says that what they show was never read."""
    from corral.engine.describers import explain_unseen

    monkeypatch.setenv("CORRAL_MODELS", str(tmp_path / "empty-store"))  # no classifier here
    folder = tmp_path / "trip"
    folder.mkdir()
    for name in ("img_0000.jpg", "img_0001.jpg", "img_0002.jpg"):
        shutil.copy(REPO / "resources" / "bench" / "trip_photos" / name, folder / name)
    with Project.open(tmp_path / "p.corral") as project:
        project.set_meta("root", str(folder))
        scan_folder(folder, project)
        described, skipped, stats = _stage(project, Settings(criterion="what is in the picture", ocr=False),
                                           project.items("ok"))
        assert len(described) == 3 and not skipped
        assert all("Taken" in d for d in described.values())  # the EXIF date
        assert stats["images"]["pictures"] == {"described": 3, "content_unknown": 3}
        warning = explain_unseen(stats["images"])
        assert warning.startswith("nothing said what the 3 pictures show")
        assert "corral models install imagenet" in warning and "--vlm" in warning
    # the whole run, and what `corral show` prints for it
    from corral.engine import cli
    from tests.fakes import FakeLLM

    result = organize(RunRequest(folder, Settings(criterion="what is in the picture", k=2, method="llm", ocr=False),
                                 tmp_path / "run.corral"), model=LazyModel("fake", lambda: FakeLLM()))
    assert sum(g.size for g in result.groups) == 3
    capsys.readouterr()
    assert cli.main(["show", str(tmp_path / "run.corral")]) == 0
    assert "  Note: Nothing said what the 3 pictures show" in capsys.readouterr().out


def test_pictures_a_describer_saw_need_no_warning(tmp_path: Path) -> None:
    from corral.engine.describers import explain_unseen

    folder = tmp_path / "pics"
    ships = {name for name, label in cifar_images(folder, {"ship": 2, "cat": 1}).items() if label == "ship"}

    class Seeing(ImageDescriber):
        name, describer_id, shows_content = "seeing", "seeing:v1", True

        def describe(self, path: Path, image: Image.Image, criterion: str) -> str:
            return "a ship" if path.name in ships else ""  # says nothing about the cat

    with Project.open(tmp_path / "p.corral") as project:
        project.set_meta("root", str(folder))
        scan_folder(folder, project)
        images = ImageDescriptions(project, Settings(criterion="kind"), [Seeing(), MetadataDescriber(include_names=True)])
        for item in project.items("ok"):
            images.describe(item)
        assert images.summary()["pictures"] == {"described": 3, "content_unknown": 1}
        assert explain_unseen(images.summary()).startswith("nothing said what 1 of the 3 pictures show")
        assert explain_unseen({"pictures": {"described": 3, "content_unknown": 0}}) == ""
        assert explain_unseen(None) == ""


@pytest.mark.model
def test_organize_a_folder_of_photos_with_the_default_describer(
    tmp_path: Path, imagenet_model: Path, tiny_model_path: Path
) -> None:
    """10 CIFAR pictures of two kinds through the whole pipeline with a real (tiny) LLM.

    SmolLM2-135M groups poorly, so this checks the mechanics: every picture is described
    by tags, assigned to one of K groups, and a second run does no image or model work.
    """
    folder = tmp_path / "photos"
    cifar_images(folder, {"airplane": 5, "frog": 5})
    lazy = model_provider(str(tiny_model_path), RuntimeSettings(n_ctx=2048, n_threads=1))
    settings = Settings(criterion="what kind of thing is in the photo", k=2, method="llm")
    result = organize(RunRequest(folder, settings, tmp_path / "p.corral"), model=lazy)
    assert not result.skipped
    assert len(result.groups) <= 2 and sum(g.size for g in result.groups) == 10
    assert result.stats["images"]["tags"]["computed"] == 10
    assert result.stats["images"]["pictures"] == {"described": 10, "content_unknown": 0}  # no warning
    with Project.open(tmp_path / "p.corral") as project:
        tags = [v for _, v in project.iter_cache("image") if v.startswith("Looks like:")]
        assert len(tags) == 10
        # The review reads what the stages read: each picture's description, kept by the run.
        members = review.members(project, result.run_id)
        assert len(members) == 10 and all(m.description.startswith("Picture. Looks like:") for m in members)
        assert all(m.snippet for m in members)
        moved = members[0]
        target = review.new_group(project, result.run_id, "Checked by hand")
        review.move_items(project, result.run_id, [moved.item_id], target)
        after = {m.item_id: m for m in review.members(project, result.run_id)}
        assert after[moved.item_id].group_idx == target
        assert after[moved.item_id].description == moved.description  # an edit keeps it

    again = model_provider(str(tiny_model_path), RuntimeSettings(n_ctx=2048, n_threads=1))
    rerun = organize(RunRequest(folder, Settings(criterion=settings.criterion, k=2, method="llm"),
                                tmp_path / "p.corral"), model=again)
    assert rerun.stats["images"]["tags"] == {"computed": 0, "cached": 10, "failed": 0, "seconds": 0.0}
    assert not rerun.model_loaded


def test_organize_reads_a_scanned_pdf_when_ocr_is_on(tmp_path: Path) -> None:
    """The run's scan reads a PDF without text by OCR (Settings.ocr, the CLI's --no-ocr):
    the scan comes out as a document whose description is its print; so does a picture
    of a page."""
    from tests.fakes import FakeLLM
    from tests.test_ingest import LETTER, page_picture, scanned_pdf

    folder = tmp_path / "papers"
    folder.mkdir()
    (folder / "scan.pdf").write_bytes(scanned_pdf([["INVOICE 2291", "Total due 175.00"]]))
    (folder / "note.txt").write_text("Shopping list: eggs, flour, lemons.", encoding="utf-8")
    (folder / "letter.txt").write_text("Dear Sam, thank you for the tickets. Best, Ana", encoding="utf-8")
    fake = LazyModel("fake", lambda: FakeLLM())

    off = organize(RunRequest(folder, Settings(criterion="kind", k=2, method="llm", ocr=False),
                              tmp_path / "off.corral"), model=fake)
    assert ("scan.pdf", extract_reasons.REASON_NO_PDF_TEXT_UNREAD) in off.scan.skipped
    assert sum(g.size for g in off.groups) == 2

    exif = Image.Exif()
    exif[0x0132] = "2025:10:20 11:59:00"
    exif[0x8825] = {1: "N", 2: (35.0, 0.0, 43.0), 3: "E", 4: (135.0, 46.0, 5.0)}  # Kyoto
    page_picture(LETTER).save(folder / "IMG_0042.jpg", quality=85, exif=exif)  # a letter, photographed
    on = organize(RunRequest(folder, Settings(criterion="kind", k=2, method="llm"), tmp_path / "on.corral"),
                  model=fake)
    assert not on.scan.skipped and sum(g.size for g in on.groups) == 4 and on.scan.pages == 1
    with Project.open(tmp_path / "on.corral") as project:
        scan = next(item for item in project.items("ok") if item.path == "scan.pdf")
        stored = project.get_extract(scan.content_hash)
        assert stored is not None and "2291" in stored["text"]
        members = {m.path: m for m in review.members(project, on.run_id)}
        assert members["IMG_0042.jpg"].kind == "document"
        assert members["IMG_0042.jpg"].description.startswith("Riverside Dental Practice 12 Mill Lane")
        assert "Taken" not in members["IMG_0042.jpg"].description  # its words are the page's ...
        photo = project.item_by_path("IMG_0042.jpg")
        assert photo is not None
        moment = runner.when_where(project, Settings(criterion="kind"), [photo.content_hash, scan.content_hash])
        assert moment is not None and moment[0][0] == 1.0 and moment[0][2] == 1.0  # ... its moment the photo's
        assert round(moment[0][3], 2) == 35.01 and not moment[1].any()


def test_documents_join_their_trips_photos_by_the_days_they_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A folder of two trips' photos (EXIF time and place) and the trips' bookings, which
    name no place, only days (one also the day it was booked). Grouped by trip, each booking
    lands with the photos of the trip its days fall in: it joins that moment
    (``cluster.moments``); the text and the answers ("Booking" for all six) cannot tell
    them apart."""
    import csv

    from tests.fakes import FakeLLM

    monkeypatch.setenv("CORRAL_MODELS", str(tmp_path / "empty-store"))  # EXIF only, no classifier
    source = REPO / "resources" / "bench" / "trip_photos"
    trip_of = {row["file"]: row["label"] for row in csv.DictReader(open(source / "labels_trip.csv"))}
    folder = tmp_path / "travel"
    folder.mkdir()
    for trip in ("Kyoto (April 2023)", "Lisbon (September 2023)"):
        for name in [n for n, t in sorted(trip_of.items()) if t == trip][:20]:
            shutil.copy(source / name, folder / name)
    bookings = {"kyoto_hotel.txt": "Booking confirmation\nCheck-in: 3 April 2023\nCheck-out: 6 April 2023",
                "kyoto_museum.txt": "Booking confirmation\nAdmission on Wed 05 Apr 2023, 10:00",
                "kyoto_train.txt": "Booking confirmation\nSeat 12A, 4 April 2023 (booked on 2 January 2023)",
                "lisbon_hotel.txt": "Booking confirmation\nCheck-in: 2023-09-14\nCheck-out: 2023-09-17",
                "lisbon_tram.txt": "Booking confirmation\nTram tour, September 16, 2023",
                "lisbon_dinner.txt": "Booking confirmation\nTable for two, 15/09/2023, 20:30"}
    for name, text in bookings.items():
        (folder / name).write_text(text, encoding="utf-8")
    fake = FakeLLM(label_for=lambda t: "Kyoto" if "Kyoto" in t else "Lisbon" if "Lisbon" in t else "Booking")
    result = organize(RunRequest(folder, Settings(criterion="which trip is this from", k=2, ocr=False),
                                 tmp_path / "p.corral"), model=LazyModel("fake", lambda: fake),
                      embedder=_keyword_embedder({"taken": 0, "booking": 1}))
    groups = [sorted(m.path for m in g.members) for g in result.groups]
    assert len(groups) == 2
    for group in groups:
        photos = {trip_of[p] for p in group if p.endswith(".jpg")}
        assert len(photos) == 1  # one trip's photos
        place = next(iter(photos)).split()[0].lower()
        assert sorted(p for p in group if p.endswith(".txt")) == sorted(n for n in bookings if n.startswith(place))
    assert result.stats["blocks"]["moments"]["dated"] == 6
    from corral.engine import cli

    capsys.readouterr()
    assert cli.main(["show", str(tmp_path / "p.corral")]) == 0
    assert "documents joined one by the dates they name)" in capsys.readouterr().out


def _keyword_embedder(axes: dict[str, int]):  # type: ignore[no-untyped-def]
    from tests.test_stages import _keyword_embedder as embedder

    return embedder(axes)


def test_a_pictures_description_says_it_is_a_picture_and_the_embedder_does_not_read_that() -> None:
    from corral.engine.describers.base import PICTURE_HEAD
    from corral.engine.describers.tags import embedding_text

    described = PICTURE_HEAD + "Looks like: langur (25%), meerkat (19%). Taken Monday 03 April 2023."
    assert embedding_text(described) == "Looks like: langur, meerkat. Taken Monday 03 April 2023."
    assert embedding_text(PICTURE_HEAD + "Taken Monday 03 April 2023.") == "Taken Monday 03 April 2023."
    assert embedding_text("Invoice 42: Looks like: 3 (5%).") == "Invoice 42: Looks like: 3 (5%)."
