"""The hybrid grouping's item vectors with and without pictures' visual vectors.

The embedder here is a fixed random projection of each text (same text, same unit vector),
so the arithmetic is checked exactly; the real features come from tests/test_images.py.
"""

from __future__ import annotations

import hashlib

import numpy as np

from corral.engine.describers.tags import embedding_text  # what the embedder reads of a description
from corral.engine.stages.cluster import item_vectors, kmeans

DIM = 16


def embed(texts: list[str]) -> np.ndarray:
    rows = []
    for text in texts:
        seed = int.from_bytes(hashlib.sha256(text.encode()).digest()[:4], "little")
        vec = np.random.default_rng(seed).normal(size=DIM).astype(np.float32)
        rows.append(vec / np.linalg.norm(vec))
    return np.stack(rows)


DESCRIPTIONS = ["Looks like: airliner (40%).", "Looks like: tree frog (60%).", "A letter about rent."]  # tags read without the %
LABELS = ["aircraft", "frog", "letter"]


def text_only(label_weight: float) -> np.ndarray:
    """What item_vectors computed before visual vectors existed."""
    text = embed([embedding_text(d) for d in DESCRIPTIONS])
    if label_weight <= 0:
        return text
    out = np.hstack([text, label_weight * embed(LABELS)])
    return out / np.linalg.norm(out, axis=1, keepdims=True)


def test_without_visual_vectors_the_text_vectors_are_unchanged() -> None:
    for label_weight in (0.0, 0.5, 1.0):
        expected = text_only(label_weight)
        for visual in (None, [None, None, None]):
            got = item_vectors(DESCRIPTIONS, LABELS, embed, label_weight, visual)
            assert got.dtype == expected.dtype and np.array_equal(got, expected)
        # a zero weight switches the block off even when pictures have vectors
        got = item_vectors(DESCRIPTIONS, LABELS, embed, label_weight, [np.ones(8), None, None], 0.0)
        assert np.array_equal(got, expected)


def test_visual_vectors_are_appended_normalised_and_weighted_documents_get_zeros() -> None:
    rng = np.random.default_rng(0)
    plane, frog = rng.random(8) * 5, rng.random(8) * 5
    weight = 2.0
    got = item_vectors(DESCRIPTIONS, LABELS, embed, 1.0, [plane, frog, None], weight)
    assert got.shape == (3, 2 * DIM + 8)
    assert np.allclose(np.linalg.norm(got, axis=1), 1.0)
    text = embed([embedding_text(d) for d in DESCRIPTIONS])
    labels = embed(LABELS)
    for row, vec in enumerate([plane, frog]):
        block = np.hstack([text[row], labels[row], weight * vec / np.linalg.norm(vec)])
        assert np.allclose(got[row], block / np.linalg.norm(block))
    assert np.all(got[2, 2 * DIM:] == 0)  # the document
    assert np.allclose(got[2, : 2 * DIM], text_only(1.0)[2])  # its text part keeps its direction


def test_visual_vectors_separate_pictures_whose_descriptions_are_the_same() -> None:
    """Wrong tags make different pictures read alike; their features still tell them apart."""
    rng = np.random.default_rng(1)
    centres = rng.random((2, 32)) * 4
    visual = [centres[i % 2] + rng.normal(scale=0.05, size=32) for i in range(20)]
    descriptions = ["Looks like: moving van (30%)."] * 20
    labels = ["vehicle"] * 20
    blind = item_vectors(descriptions, labels, embed, 1.0)
    assert np.array_equal(blind, np.repeat(blind[:1], 20, axis=0))  # nothing to separate
    seen = kmeans(item_vectors(descriptions, labels, embed, 1.0, visual, 1.0), 2).labels
    assert all(seen[i] == seen[i % 2] for i in range(20)) and seen[0] != seen[1]
