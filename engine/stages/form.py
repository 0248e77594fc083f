"""What a document's text says beyond its topic: its form (issue 11).

A sentence embedding of a document is mostly its topic: the household documents' text
embeddings group by project whatever the criterion asks. The kind of a document (invoice,
letter, minutes, contract) shows instead in words that any topic uses: "Dear", "Yours
faithfully", "Total", "Attendees", "signature", "between", and in how its numbers look (an
amount, a date, a time: ``file_words``). Genre classification has long
read it off such topic-independent words (function words and the like) rather than content.

Which words are topic-independent is read off each folder, with no word list: a word whose
files lie together in the text embedding's space leans to a topic (its lean: how much longer
the mean of its files' unit vectors is than that of as many files drawn at random). Otsu's
method splits the leans in two, and the words on the low side, whose files spread over the
space about as random files do, are kept; no threshold is tuned. The block is those words' presence in each file,
weighed by rarity (idf), rows unit length: files share a row direction when they use the
same topic-independent words, i.e. when they have the same form.

The block is one of two criterion-blind geometries the grouping can lead with; which one
follows the criterion is decided per run by the labels (``cluster.lead_with_form``).
Measured (docs/benchmarks.md, "The documents' form"): 300 household documents by kind 0.350
-> 0.947 with K given, the text still leading by project and on every topic set; with
automatic K (compared at the labels' estimate of K and its halves) 0.380 -> 0.673.
"""

from __future__ import annotations

import re
from collections import Counter

import numpy as np

from .autok import otsu

WORD = re.compile(r"[^\W\d_]{2,}", re.UNICODE)
NUMBER = re.compile(r"\d+(?:[.,:/-]\d+)*")
MARKS = re.compile(r"[^\w\s]+|_+")  # a run of punctuation or symbols: "[", "]", "@", "£", "____", "!"
REPEATS = re.compile(r"(.)\1+")  # a mark repeated: a line to sign on is "__" however long
SHAPE_MARK = "#"  # a number's shape ("#99.99", "#99/99/9999") or a run of marks ("#[", "#@") among the words
MIN_FILES = 3  # a word in fewer files says nothing about a folder's forms
MIN_SHARE = 0.02  # ... nor one in under this share of the files
MAX_SHARE = 0.9  # a word in nearly every file tells none apart
MIN_DOCUMENTS = 20  # fewer documents than this: no form block
MAX_WORDS = 2000  # the most topic-independent words kept (memory: files x words)


def file_words(descriptions: list[str]) -> list[set[str]]:
    """Each file's words, lower case, the shapes of its numbers (digits as 9: an amount
    "#99.99", a date "#99/99/9999", a time "#99:99") and its runs of marks (a form's boxes
    "#[" and "#]", a line to sign on "#__", an address's "#@", a currency "#£"), which are
    form too. Measured on the cached household runs by kind (docs/benchmarks.md): the
    numbers' shapes, 60 documents 0.633 -> 0.683, 150 0.820 -> 0.833, 300 0.947 -> 0.950;
    the marks ("The marks on the page", docs/benchmarks.md) raised how far the block's
    neighbours share a kind on four document sets of five (the family's 0.818 -> 0.894)
    and lowered how far they share a topic on all."""
    return [{w.lower() for w in WORD.findall(d)}
            | {SHAPE_MARK + re.sub(r"\d", "9", n) for n in NUMBER.findall(d)}
            | {SHAPE_MARK + REPEATS.sub(r"\1\1", m) for m in MARKS.findall(d)} for d in descriptions]


def is_word(token: str) -> bool:
    """A word, not a number's shape or a run of marks."""
    return not token.startswith(SHAPE_MARK)


def chance_concentration(unit: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    """The length of the mean of ``sizes`` rows of ``unit`` drawn at random without
    replacement, as the root of its expected square: |m|^2 + (1 - |m|^2) / c * (n - c) / (n - 1)
    for unit rows whose mean is m."""
    n = unit.shape[0]
    folder = float(np.linalg.norm(np.asarray(unit.mean(axis=0)).ravel())) ** 2
    sizes = np.asarray(sizes, dtype=float)
    return np.sqrt(folder + (1.0 - folder) / sizes * (n - sizes) / max(n - 1, 1))


def presence(descriptions: list[str]) -> tuple[object, list[str], np.ndarray] | None:
    """Which of the folder's words (and numbers' shapes) each file has: a sparse files x
    words 0/1 matrix, the words, and each word's count of files. Only words in at least
    ``MIN_FILES`` files and ``MIN_SHARE`` of them, and in at most ``MAX_SHARE``; None when
    fewer than 5 such words."""
    from scipy import sparse

    n = len(descriptions)
    words = file_words(descriptions)
    df = Counter(w for ws in words for w in ws)
    low, high = max(MIN_FILES, MIN_SHARE * n), MAX_SHARE * n
    vocab = sorted(w for w, c in df.items() if low <= c <= high)
    if len(vocab) < 5:
        return None
    index = {w: j for j, w in enumerate(vocab)}
    rows = [r for r, ws in enumerate(words) for w in ws if w in index]
    cols = [index[w] for ws in words for w in ws if w in index]
    m = sparse.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(n, len(vocab)))
    return m, vocab, np.asarray(m.sum(axis=0)).ravel()


def lean(m: object, counts: np.ndarray, unit: np.ndarray) -> np.ndarray:
    """Per word, how much longer the mean of its files' rows of ``unit`` is than that of as
    many files drawn at random: how far its files lie together in that space. ``unit``: unit
    rows, dense or sparse (the answers' concepts one-hot: files x concepts)."""
    from scipy import sparse

    sums = m.T @ unit  # type: ignore[attr-defined]
    if sparse.issparse(sums):
        concentration = np.sqrt(np.asarray(sums.multiply(sums).sum(axis=1)).ravel()) / counts
    else:
        concentration = np.linalg.norm(sums / counts[:, None], axis=1)
    return concentration - chance_concentration(unit, counts)


def idf_block(m: object, counts: np.ndarray, kept: np.ndarray) -> np.ndarray:
    """The kept words' presence in each file weighed by rarity (idf), rows unit length
    (zeros for a file with none of them); single precision: 10,000 files x 2,000 words in 80 MB."""
    from .cluster import unit_rows

    n = m.shape[0]  # type: ignore[attr-defined]
    return unit_rows(m[:, kept].astype(np.float32).toarray()  # type: ignore[index]
                     * np.log(n / counts[kept]).astype(np.float32))


def form_vectors(descriptions: list[str], text: np.ndarray) -> tuple[np.ndarray | None, dict]:
    """The form block (one unit row per description, zeros for a file without a kept word)
    and what was kept (``vocabulary``: the kept words and numbers' shapes, the least topical
    first; ``common``: the eight words in most files); (None, {}) when there are too few documents or words."""
    from .cluster import unit_rows  # cluster leads with this module's block

    if len(descriptions) < MIN_DOCUMENTS or (found := presence(descriptions)) is None:
        return None, {}
    m, vocab, counts = found
    leans = lean(m, counts, unit_rows(text))  # how far its files lean to one topic
    kept = np.flatnonzero(leans <= otsu(leans))  # topical words and the rest, split by the data
    if len(kept) < 5:
        return None, {}
    kept = kept[np.argsort(leans[kept], kind="stable")][:MAX_WORDS]
    block = idf_block(m, counts, kept)
    common = [j for j in kept[np.argsort(-counts[kept], kind="stable")] if is_word(vocab[j])][:8]
    return block, {"words": len(vocab), "kept": int(len(kept)), "vocabulary": [vocab[j] for j in kept],
                   "common": [vocab[j] for j in common]}


def answer_words(descriptions: list[str], concepts: list[int]) -> tuple[np.ndarray | None, dict]:
    """The words the answers single out: the block of the words whose files lie together in
    the answers' concepts beyond chance (the same lean as the form's, measured in the space of
    the answers' concepts, one-hot, instead of the text embedding's; Otsu's split, the high
    side), with ``coverage``, the share of the files that use at least one of them, and the
    ``examples`` that lean most; (None, {}) with too few documents or words.

    A sentence embedding of a document is dominated by whatever the folder's documents differ
    in most, which need not be what the criterion asks: a studio's quotes, invoices and
    timesheets for five clients embed by kind, and "which client" is then read off the
    answers alone, which name the studio, a person or a job as often as the client. The
    answers' own words, learned back from all the files (the clients' names, their trades'
    words: "greenway", "llp", "bakery", "cycles"), place also the files whose answer missed
    (docs/benchmarks.md, "A second two-criteria set")."""
    if len(descriptions) < MIN_DOCUMENTS or (found := presence(descriptions)) is None:
        return None, {}
    from scipy import sparse

    m, vocab, counts = found
    _, index = np.unique(np.asarray(concepts), return_inverse=True)
    n = len(concepts)  # one-hot, sparse: a folder of 10,000 files may give thousands of concepts
    onehot = sparse.csr_matrix((np.ones(n), (np.arange(n), index)), shape=(n, int(index.max()) + 1))
    leans = lean(m, counts, onehot)
    kept = np.flatnonzero(leans > otsu(leans))
    if len(kept) < 5:
        return None, {}
    kept = kept[np.argsort(-leans[kept], kind="stable")][:MAX_WORDS]
    block = idf_block(m, counts, kept)
    coverage = float((block.any(axis=1)).mean())
    return block, {"words": len(vocab), "kept": int(len(kept)), "coverage": round(coverage, 3),
                   "examples": [vocab[j] for j in kept if is_word(vocab[j])][:8]}


def explain_answer_words(report: dict | None) -> str:
    """The answers' words in one line, e.g. "with the words the answers single out (harbour,
    llp, bakery, ...) beside the text, at weight 0.68"; "" where none were used."""
    if not report or not report.get("weight"):
        return ""
    words = ", ".join(report.get("examples", [])[:5])
    return f"with the words the answers single out ({words}, ...) beside the text, at weight {report['weight']:.2f}"


def explain(report: dict | None) -> str:
    """Which geometry led, in one line, e.g. "grouped by the documents' form (words any topic
    uses: dear, total, ...), which followed the answers better than their topic (0.43 against
    0.37)"; where the files' choices had a second look (``cluster.lead_with_form``), what
    they followed too."""
    if not report:
        return ""
    words = ", ".join(report.get("examples", [])[:5])
    form, text = report.get("agreement_form", 0), report.get("agreement_text", 0)
    if "choices_form" in report:  # the free answers gave the text the lead; the choices looked again
        chose, f, t = report.get("chose", 0), report["choices_form"], report["choices_text"]
        second = f"the choices of {chose} files among common answers followed the "
        if report.get("leads") == "form":
            second += f"form ({max(f, t):.2f} against {min(f, t):.2f})"
        elif t > f:
            second += f"topic ({t:.2f} against {f:.2f})"
        else:  # the form by a hair, within doubt (cluster.clearly_more_alike)
            second += f"form no better than the topic beyond doubt ({f:.2f} against {t:.2f})"
        if report.get("leads") == "form":
            return (f"grouped by the documents' form (words any topic uses: {words}, ...): the free answers "
                    f"followed their topic ({text:.2f} against {form:.2f}), but {second}")
        return f"grouped by the documents' topic, which the answers followed ({text:.2f} against {form:.2f}), and {second}"
    against = f"{form:.2f} against {text:.2f}"
    if report.get("leads") == "form":
        return (f"grouped by the documents' form (words any topic uses: {words}, ...), which "
                f"followed the answers better than their topic ({against})")
    return f"grouped by the documents' topic, which followed the answers better than their form ({against})"
