"""Take the screenshots in docs/screenshots/ from the real app on a real small project.

Run it under a virtual X server (or with QT_QPA_PLATFORM=offscreen)::

    xvfb-run -a -s "-screen 0 1400x900x24" python packaging/screenshots.py

It copies resources/samples/documents (or writes a few sample documents when that is
missing) to a temporary folder, organizes them with a real model (the tiny test model by
default), and saves the start page (start.png), the run page mid-run (run.png), the review
page in light and dark (review.png, review-dark.png), find and filter (find.png), keyboard
triage (triage.png: a number key moved the doubtful file, undone again before going on), the
export preview with the subfolders kept (export.png) and the settings dialog (settings.png).
``--cifar DIR`` (or ``--photos FOLDER``) instead organizes pictures and saves the thumbnail
grid (review-photos.png): with ``--cifar`` the first three pictures of each class of
``../shared/datasets/images/cifar10_500`` (labels.csv order), upscaled to 128 px.

The app's configuration lives in the temporary folder too, so the screenshots never show or
change your own settings; the model store is a folder of links to the models installed in
your store and in the test store (.corral-home), so Settings shows them as installed. Every
choice is fixed (folder, criterion, K, window size, what is selected, typed and pressed), so
the same models give the same pictures.
"""

from __future__ import annotations

import argparse
import csv
import faulthandler
import logging
import os
import shutil
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TINY = "SmolLM2-135M-Instruct.Q4_1.gguf"
SAMPLES = {
    "invoice_2024_031.txt": "INVOICE 2024-031\nNordlicht Consulting GmbH\nConsulting services, March: 12 hours at 95 EUR.\nTotal due: 1,140.00 EUR within 30 days.",
    "invoice_2024_044.txt": "INVOICE 2024-044\nWebhost Berlin\nAnnual web hosting and domain renewal.\nAmount due: 240.00 EUR. Please pay by bank transfer.",
    "invoice_office_chairs.txt": "Invoice no. 7781\nOffice Depot\n4 ergonomic office chairs, 180 EUR each.\nTotal: 720 EUR including VAT.",
    "invoice_translation.txt": "Invoice 2024/17 - Translation of the product manual (English to German), 14 pages.\nAmount due: 560 EUR.",
    "recipe_apple_pie.txt": "Apple pie\nSlice six apples, add sugar and cinnamon, cover with the dough and bake for 45 minutes at 180 degrees.",
    "recipe_pasta.txt": "Pasta with tomato sauce\nBoil the pasta. Fry garlic in olive oil, add chopped tomatoes and basil, simmer ten minutes.",
    "recipe_omelette.txt": "Omelette\nWhisk three eggs with a little milk, pour into a hot buttered pan and fold when set.",
    "recipe_pancakes.txt": "Pancakes\nMix flour, milk, eggs and a pinch of salt. Fry thin pancakes and serve with jam.",
    "letter_anna.txt": "Dear Anna,\nthank you so much for the lovely weekend by the lake. The children still talk about the boat.\nLove, Maria",
    "letter_landlord.txt": "Dear Mr. Weber,\nthe heating in our flat has not worked since Monday. Could you please send someone this week?\nKind regards, J. Novak",
    "letter_grandpa.txt": "Dear Grandpa,\nhappy birthday! We will visit you next Sunday and bring the cake.\nHugs, Tom",
}
log = logging.getLogger("screenshots")


def default_model() -> str:
    store = Path(os.environ.get("CORRAL_TEST_MODELS", REPO / ".corral-home" / "data" / "models"))
    return str(store / TINY) if (store / TINY).is_file() else "smollm2-135m"


def sample_folder(tmp: Path) -> Path:
    bundled = REPO / "resources" / "samples" / "documents"
    folder = tmp / "Documents to sort"
    if folder.is_dir():
        return folder
    if bundled.is_dir():
        shutil.copytree(bundled, folder)
        return folder
    folder.mkdir()
    for name, text in SAMPLES.items():
        (folder / name).write_text(text + "\n", encoding="utf-8")
    return folder


def cifar_folder(src: Path, dest: Path, per_class: int = 3, size: int = 128) -> Path:
    """The first ``per_class`` pictures of each class of ``src`` (labels.csv order), upscaled
    to ``size`` px (bicubic), under their own names."""
    from PIL import Image

    dest.mkdir(parents=True, exist_ok=True)
    taken: dict[str, int] = {}
    with open(src / "labels.csv", newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            if taken.get(row["label"], 0) >= per_class:
                continue
            taken[row["label"]] = taken.get(row["label"], 0) + 1
            with Image.open(src / row["file"]) as im:
                im.convert("RGB").resize((size, size), Image.Resampling.BICUBIC).save(
                    dest / row["file"], quality=95)
    return dest


def model_store(tmp: Path) -> Path:
    """A model store of links to every model installed in the usual store or the test store."""
    from corral.models.paths import models_dir

    store = tmp / "models"
    store.mkdir(parents=True, exist_ok=True)
    for source in (models_dir(), REPO / ".corral-home" / "data" / "models"):
        if not source.is_dir():
            continue
        for path in sorted(source.iterdir()):
            link = store / path.name
            if path.is_file() and not link.exists():
                link.symlink_to(path.resolve())
    return store


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default=str(REPO / "docs" / "screenshots"))
    parser.add_argument("--model", default=default_model(), help="catalog name or .gguf path")
    # the Quick start's (packaging/quickstart.sh), so the pictures show the run it makes
    parser.add_argument("--k", type=int, default=5)
    parser.add_argument("--criterion", default="what kind of document is this")
    parser.add_argument(
        "--work", help="keep the folder and project here; a second call then reuses every "
        "model answer (fast, but run.png is only retaken when the run really works)"
    )
    parser.add_argument(
        "--photos", help="instead, organize this folder of pictures and save review-photos.png "
        "(the review page's thumbnail grid); --criterion and --k apply"
    )
    parser.add_argument(
        "--cifar", help="like --photos, on 30 pictures of this cifar10_500 folder (three per "
        "class) upscaled to 128 px"
    )
    parser.add_argument("--find", default="Portland", help="what find.png searches for")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    faulthandler.enable()  # a crash in llama.cpp or Qt still says where
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    tmp = Path(args.work) if args.work else Path(tempfile.mkdtemp(prefix="corral-shots-"))
    tmp.mkdir(parents=True, exist_ok=True)
    os.environ["CORRAL_MODELS"] = str(model_store(tmp))  # before CORRAL_HOME moves the store
    os.environ["CORRAL_HOME"] = str(tmp / "home")  # before anything reads the config folder
    try:
        shooter = Shooter(tmp, out, args)
        if args.cifar:
            return shooter.run_photos(cifar_folder(Path(args.cifar), tmp / "Holiday pictures"))
        return shooter.run_photos(Path(args.photos)) if args.photos else shooter.run()
    finally:
        if not args.work:
            shutil.rmtree(tmp, ignore_errors=True)


class Shooter:
    def __init__(self, tmp: Path, out: Path, args: argparse.Namespace) -> None:
        from corral.desktop.app import make_app
        from corral.desktop.config import AppSettings, GuiState
        from corral.desktop.main_window import MainWindow
        from corral.desktop.theme import apply_theme

        self.tmp, self.out, self.args = tmp, out, args
        self.app = make_app([])
        apply_theme(self.app, "light")
        settings = AppSettings(model=args.model, threads=2)
        state = GuiState(recent=[])
        self.window = MainWindow(settings=settings, state=state)
        self.window.resize(1180, 740)
        self.window.show()
        self.mid_run_taken = False

    def save(self, widget: object, name: str) -> None:
        from PySide6.QtWidgets import QWidget

        assert isinstance(widget, QWidget)
        self.settle()
        path = self.out / name
        if not widget.grab().save(str(path)):
            raise OSError(f"could not write {path}")
        log.info("wrote %s", path)

    def settle(self, ms: int = 150) -> None:
        from PySide6.QtCore import QEventLoop, QTimer

        loop = QEventLoop()
        QTimer.singleShot(ms, loop.quit)
        loop.exec()

    def wait(self, signal: object, timeout_s: float) -> list[object]:
        from PySide6.QtCore import QEventLoop, QTimer

        loop = QEventLoop()
        got: list[object] = []

        def done(*values: object) -> None:
            got.extend(values)
            got.append(True)
            loop.quit()

        signal.connect(done)  # type: ignore[attr-defined]
        QTimer.singleShot(int(timeout_s * 1000), loop.quit)
        loop.exec()
        signal.disconnect(done)  # type: ignore[attr-defined]
        if not got:
            raise TimeoutError(f"nothing happened within {timeout_s:.0f} s")
        return got

    def review_biggest_group(self, failed: list[str]) -> bool:
        """After a run: False if it failed, else the review page shows the biggest group."""
        if failed:
            log.error("The run failed: %s", failed[0])
            return False
        page = self.window.review_page
        biggest = max(self.window.session.groups, key=lambda g: g.size)
        page.groups.select_row(page.groups.model.row_of(biggest.idx))
        return True

    def find_and_triage(self) -> None:
        """find.png: the find bar on every group; triage.png: a number key has moved the
        first doubtful file of the group holding most of them (undone afterwards)."""
        from PySide6.QtCore import Qt
        from PySide6.QtTest import QTest

        w = self.window
        page = w.review_page
        page.find_edit.setText(self.args.find)
        page.groups.select_row(0)
        self.save(w, "find.png")
        page.clear_filter()

        groups = self.window.session.groups
        doubtful = max(groups, key=lambda g: (g.unsure, g.size))
        page.groups.select_row(page.groups.model.row_of(doubtful.idx))
        target = next(g for g in groups if g.idx != doubtful.idx)
        members = page.members
        table = members.table
        table.setFocus()
        members.select([members.proxy.index(0, 0).data(Qt.ItemDataRole.UserRole).item_id])
        key = Qt.Key(int(Qt.Key.Key_1) + groups.index(target))
        QTest.keyClick(table, key)  # the file goes to that group, the next doubtful one is selected
        self.save(w, "triage.png")
        w.act_undo.trigger()
        self.settle()

    def run_photos(self, folder: Path) -> int:
        """The review page of a folder of pictures: the groups and one group's thumbnails."""
        w = self.window
        w.start_page.fill(folder, self.args.criterion, self.args.k, model=self.args.model)
        failed: list[str] = []
        w.sig_run_failed.connect(failed.append)
        w.start_page.request_start()
        self.wait(w.sig_run_finished, 1800)
        if not self.review_biggest_group(failed):
            return 1
        self.settle(1500)  # thumbnails arrive from the worker thread
        self.save(w, "review-photos.png")
        w.close()
        return 0

    def run(self) -> int:
        from corral.engine.jobs import ProgressEvent

        w = self.window
        docs = sample_folder(self.tmp)
        w.start_page.fill(docs, self.args.criterion, self.args.k, model=self.args.model)
        self.save(w, "start.png")

        def mid_run(event: ProgressEvent) -> None:
            # Half-way through proposing labels, the longest stage: the rows before it are
            # done, the ones after it wait, and the time left is shown.
            if not self.mid_run_taken and event.stage == "propose" and event.done * 2 >= event.total > 0:
                self.mid_run_taken = True
                w.grab().save(str(self.out / "run.png"))
                log.info("wrote %s", self.out / "run.png")

        failed: list[str] = []
        w.sig_run_failed.connect(failed.append)
        w.start_page.request_start()
        assert w.job is not None
        w.job.sig_progress.connect(mid_run)
        self.wait(w.sig_run_finished, 1800)
        if not self.mid_run_taken:
            log.info("the run was cached: run.png not retaken")
        if not self.review_biggest_group(failed):
            return 1
        self.save(w, "review.png")
        w.set_theme("dark")
        self.save(w, "review-dark.png")
        w.set_theme("light")
        self.find_and_triage()

        dialog = w.show_export()
        assert dialog is not None
        dialog.dest_edit.setText(str(self.tmp / "Sorted documents"))
        dialog.dest_edit.setCursorPosition(0)
        dialog.keep_subfolders.setChecked(True)  # the sample folder has 2024/ and kitchen/
        dialog.preview_button.click()
        self.wait(dialog.sig_planned, 60)
        self.save(dialog, "export.png")
        dialog.reject()

        settings = w.show_settings()
        self.save(settings, "settings.png")
        settings.reject()
        w.close()
        return 0


if __name__ == "__main__":
    sys.exit(main())
