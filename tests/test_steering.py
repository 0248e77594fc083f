"""Issue 11: the criterion decides the geometry (engine/stages/cluster.py), on synthetic vectors.

The real-model check of the same is `corral bench resources/bench/household_docs.jsonl` and the
trip photos (docs/benchmarks.md); these tests pin the logic: a generic block counts as far as
its neighbourhoods agree with the criterion's labels, and photos' moments in time enter the
geometry when the labels follow them.
"""

from __future__ import annotations

import numpy as np

from corral.engine.bench import metrics
from corral.engine.stages.cluster import (
    criterion_agreement,
    criterion_vectors,
    moment_block,
    moments,
    partition,
)

RNG = np.random.default_rng(0)


def _clustered(assign: list[int], dim: int = 16, noise: float = 0.15) -> np.ndarray:
    centres = RNG.normal(size=(max(assign) + 1, dim))
    out = centres[assign] + noise * RNG.normal(size=(len(assign), dim))
    return out / np.linalg.norm(out, axis=1, keepdims=True)


# 120 items: kind (4 values) and project (5 values), independent of each other.
KIND = [i % 4 for i in range(120)]
PROJECT = [(i // 4) % 5 for i in range(120)]


def test_agreement_is_high_when_neighbourhoods_follow_the_labels_and_low_otherwise() -> None:
    by_project = _clustered(PROJECT)
    assert criterion_agreement(by_project, PROJECT) > 0.9
    assert criterion_agreement(by_project, KIND) < 0.15
    assert criterion_agreement(by_project, [0] * 120) == 1.0  # one concept: labels tell nothing


def test_a_block_over_items_the_labels_call_one_value_does_not_count() -> None:
    """Pictures' features among photos and papers, "what kind of file is this": every photo
    answered "Image", the papers their kinds. The features tell the photos apart, which the
    labels say the criterion does not (measured: weight 6 split 300 photos into 7 groups)."""
    photos = _clustered([i % 6 for i in range(100)])  # the features group the photos by what they show
    block = np.vstack([photos, np.zeros((20, photos.shape[1]))])  # the papers have none
    concepts = [0] * 100 + [1 + i % 4 for i in range(20)]
    assert criterion_agreement(block, concepts) == 0.0
    mixed = [i % 6 for i in range(100)] + concepts[100:]  # the photos' answers follow what they show
    assert criterion_agreement(block, mixed) > 0.9
    assert criterion_agreement(photos, [0] * 100) == 1.0  # photos alone, one answer: the features decide


def _embed_for(texts_to_vectors: dict[str, np.ndarray]):
    def embed(texts: list[str]) -> np.ndarray:
        return np.stack([texts_to_vectors[t] for t in texts])
    return embed


def _steered(criterion_values: list[int], text_values: list[int],
             visual_values: list[int] | None = None) -> tuple[np.ndarray, dict]:
    """Descriptions whose embeddings cluster by ``text_values``; labels name
    ``criterion_values``; pictures' features (if any) cluster by ``visual_values``."""
    descriptions = [f"doc {i}" for i in range(120)]
    labels = [f"label {v}" for v in criterion_values]
    table = dict(zip(descriptions, _clustered(text_values), strict=True))
    table.update({f"label {v}": vec for v, vec in enumerate(_clustered(list(range(5)), noise=0.0))})
    visual = list(_clustered(visual_values)) if visual_values else [None] * 120
    return criterion_vectors(descriptions, labels, criterion_values, _embed_for(table), 0.5,
                             visual, 6.0, None)


def test_the_text_keeps_its_weight_and_its_agreement_is_reported() -> None:
    """Low agreement of the text with the labels may mean noisy labels (household_docs by
    project) as well as a text that lacks the criterion (by kind): the text is not gated."""
    _, report = _steered(KIND, PROJECT)
    assert report["text"]["weight"] == 1.0 and report["text"]["agreement"] < 0.15
    vectors, report = _steered(PROJECT, PROJECT)
    assert report["text"]["agreement"] > 0.9
    assert metrics([str(p) for p in PROJECT], partition(vectors, 5).tolist())["acc"] == 1.0


def test_picture_features_that_do_not_follow_the_criterion_lose_their_weight() -> None:
    # Grouped by trip (the labels and the text), pictures' features cluster by object.
    vectors, report = _steered(PROJECT, PROJECT, visual_values=KIND)
    assert report["visual"]["weight"] < 0.6  # of 6.0
    assert metrics([str(p) for p in PROJECT], partition(vectors, 5).tolist())["acc"] == 1.0
    # Grouped by object, the same features count fully.
    _, report = _steered(KIND, KIND, visual_values=KIND)
    assert report["visual"]["weight"] == 6.0


def test_the_models_hidden_state_carries_the_criterion_the_text_lacks() -> None:
    """Grouped by kind, the text clusters by project and the labels say nothing (one label for
    all): the model's hidden states, which cluster by kind under a few huge dimensions shared
    by every file (as a real model's have), decide."""
    descriptions = [f"doc {i}" for i in range(120)]
    table = dict(zip(descriptions, _clustered(PROJECT), strict=True))
    table["document"] = _clustered([0], noise=0.0)[0]
    states = np.stack([_clustered(KIND, dim=32), _clustered(KIND, dim=32, noise=0.3)], axis=1)
    states[:, :, :2] += np.array([400.0, -250.0])  # outlier dimensions, alike in every file

    def grouped(with_states: bool) -> float:
        vectors, report = criterion_vectors(descriptions, ["document"] * 120, [0] * 120, _embed_for(table),
                                            0.5, [None] * 120, 6.0, None,
                                            states=states if with_states else None)
        assert ("state_start" in report) == with_states
        return metrics([str(k) for k in KIND], partition(vectors, 4).tolist())["acc"]

    assert grouped(True) == 1.0
    assert grouped(False) < 0.6


def _trips() -> tuple[np.ndarray, list[int]]:
    """Six trips of 20 photos over 2-4 days each, months apart; one photo without a time."""
    rows, trip = [], []
    start = 24 * 365 * 53.0  # hours since 1970, about 2023
    for t in range(6):
        base = start + t * 24 * 60
        for i in range(20):
            day, hour = divmod(i, 6)
            rows.append([1.0, base + day * 24 + 9 + hour * 2 + RNG.uniform(0, 1), 1.0, 35.0 + t, 135.0])
            trip.append(t)
    rows[-1] = [0.0, 0.0, 0.0, 0.0, 0.0]
    return np.array(rows), trip


def test_moments_cut_at_gaps_longer_than_asked() -> None:
    times, trip = _trips()
    found = moments(times, 72)
    assert found[-1] == -1  # no capture time
    assert metrics([str(t) for t in trip[:-1]], found[:-1].tolist())["acc"] == 1.0
    assert len(set(moments(times, 8)[:-1].tolist())) > 6  # nights split a trip into days


def test_the_moments_that_follow_the_labels_are_chosen() -> None:
    times, trip = _trips()
    onehot, info = moment_block(times, trip)
    assert info["moments"] == 6 and info["agreement"] > 0.9
    assert 24 <= info["gap_hours"] <= 720
    # Labels that ignore time (what is shown) find no agreement in the moments.
    onehot, info = moment_block(times, [i % 5 for i in range(120)])
    assert info["agreement"] < 0.15


def test_the_dates_a_text_names_are_read_where_they_read_one_way() -> None:
    from datetime import date

    from corral.engine.dates import dates_in

    text = ("Check-in: Thu 06 Apr 2023 from 15:00. Free cancellation until 26 March 2023.\n"
            "Date: Tue, 03 Mar 2026 09:12:00 +0100. Depart 2023-09-14, return September 17th, 2023;\n"
            "APRIL 2, 2024; on the 3rd of May 2024; 14/09/2023; 09/15/2023; 2023/10/01; 2. Juni 2023, 2. June 2023.")
    assert dates_in(text) == [date(2023, 4, 6), date(2023, 3, 26), date(2026, 3, 3), date(2023, 9, 14),
                              date(2023, 9, 17), date(2024, 4, 2), date(2024, 5, 3), date(2023, 9, 14),
                              date(2023, 9, 15), date(2023, 10, 1), date(2023, 6, 2), date(2023, 6, 2)]
    assert dates_in("am 12. März 2023, le 3 mars 2024, el 5 de mayo de 2023, il 7 LUGLIO 2023, 9 mei 2023, "
                    "12 may 2023") == [date(2023, 3, 12), date(2024, 3, 3), date(2023, 5, 5), date(2023, 7, 7),
                                       date(2023, 5, 9), date(2023, 5, 12)]
    # 2 April or February 4? Neither is taken; nor a 31 April, a "may" in a sentence, a bare year.
    assert dates_in("02/04/2023, 31 April 2023, you may 12 2023, in 2023, 1.5.2023, 2023-04/05, mars 3 2024") == []


def test_an_undated_item_joins_the_moment_its_texts_days_fall_in() -> None:
    from datetime import date

    from corral.engine.dates import day_hours

    times, trip = _trips()  # six trips, 60 days apart; the last row has no capture time
    first_day = times[0, 1] // 24 * 24  # the first trip's first day
    extra = np.zeros((4, 5))
    times = np.vstack([times, extra])
    days: list[list[float]] = [[] for _ in range(len(times))]
    days[-4] = [first_day + 24, first_day - 24 * 30]  # a day of trip 0, and one before any trip
    days[-3] = [first_day + 24 * 60]  # a day of trip 1
    days[-2] = [first_day + 24 * 30]  # between trips 0 and 1: no moment
    days[-1] = [first_day + 24, first_day + 24 * 60]  # one day of each: a tie, no moment
    found = moments(times, 72, days)
    assert found[-4] == found[0] and found[-3] == found[20] and found[0] != found[20]
    assert found[-2] == found[-1] == -1 and found[119] == -1  # and the photo without a time has none
    assert (moments(times, 72)[-4:] == -1).all()  # without the days, none
    onehot, info = moment_block(times, trip + [0] * 4, days)
    assert info["dated"] == 2 and info["moments"] == 6
    assert day_hours(date(1970, 1, 2)) == 24.0
