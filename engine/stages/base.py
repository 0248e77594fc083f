"""What every stage gets: the project, the model (loaded only when needed), the settings."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from corral.models.text_model import TextModel

from ..jobs import CancelToken, ProgressCallback, no_progress
from ..store import Project


class LazyModel:
    """Loads the model on first use, so a run whose answers are all cached loads nothing."""

    def __init__(self, model_id: str, loader: Callable[[], TextModel]) -> None:
        self.model_id = model_id  # stable identity for cache keys (name + sha256 or size)
        self._loader = loader
        self._llm: TextModel | None = None

    @property
    def loaded(self) -> bool:
        return self._llm is not None

    def get(self) -> TextModel:
        if self._llm is None:
            self._llm = self._loader()
        return self._llm

    def close(self) -> None:
        if self._llm is not None:
            self._llm.close()
            self._llm = None


class LazyEmbedder:
    """The sentence embedder, loaded on first use like :class:`LazyModel`."""

    def __init__(self, model_id: str, loader: Callable[[], Any]) -> None:
        self.model_id = model_id
        self._loader = loader
        self._embedder: Any = None

    def embed(self, texts: list[str]) -> Any:
        if self._embedder is None:
            self._embedder = self._loader()
        return self._embedder.embed(texts)

    def close(self) -> None:
        if self._embedder is not None:
            self._embedder.close()
            self._embedder = None


@dataclass
class Settings:
    """Every knob that shapes a result; all of it goes into the run record."""

    criterion: str
    k: int | None = None
    summaries: bool = False  # long documents: an LLM summary (True) or their beginning
    summary_input_tokens: int = 600  # how much of a long document the summariser reads
    max_merge_labels: int = 80  # most frequent raw labels shown to the merge prompt
    k_auto_max: int = 100  # most groups automatic K may find
    label_merge_distance: float = 0.35  # labels closer than this (cosine) are one concept
    min_group_share: float = 0.01  # a label concept with fewer items is no group of its own
    unsure_below: float = 0.45  # assignments less confident than this are flagged for review
    seed_labels: list[str] = field(default_factory=list)  # example names given up front (bench)
    method: str = "hybrid"  # hybrid (embeddings + LLM) or llm (the seeds' pure-LLM pipeline)
    # How the criterion steers the hybrid method: "labels" (a free label per item) or
    # "values" (the criterion's values read off a sample, every item choosing one;
    # stages/taxonomy.py). Measured (docs/benchmarks.md): values won where the text lacks
    # the criterion (kind of document), tied on trips and fell below k-means on MASSIVE.
    steer: str = "labels"
    # The faster mode for big folders (stages/sampled.py): with more files than this, the
    # model reads this many representative ones and the embeddings place the rest (the
    # model reads those their neighbours disagree on). 0: the model reads every file.
    llm_sample: int = 0
    label_weight: float = 0.5  # weight of the LLM label's embedding next to the text's
    # Ask a sample of files the criterion again to tell whether the text carries it, and
    # let the labels outweigh the text where it does not (stages/relevance.py).
    text_check: bool = True
    # Let the documents' form (their topic-independent words, stages/form.py) lead the
    # grouping instead of their text embedding where its groups follow the answers better.
    form_check: bool = True
    # Where the text leads, put beside it the words the answers single out (the words whose
    # files share an answer beyond chance, stages/form.py ``answer_words``), weighed by
    # ``cluster.answer_words_weight``. Measured on cached answers (docs/benchmarks.md): the
    # studio's documents by client 0.700 -> 0.867, household documents by project 0.970 ->
    # 0.980; the captions unchanged.
    answer_words: bool = True
    # With K given, where the text leads, the answers disagree with themselves (a sample
    # asked again) and the model knows common answers to the criterion ("Invoice, Letter,
    # Contract" for the kind of a document), each file chooses one name among those and the
    # answers the files gave most, and the choices stand in for the free answers
    # (stages/vocabulary.py). Measured (docs/benchmarks.md): the studio's documents by kind
    # 0.471 -> 0.763; criteria whose values are the folder's own (client, project) have no
    # common answers and are unchanged.
    vocabulary: bool = True
    # The model's hidden state where it starts each file's answer (stages/cluster.py): the
    # file read under the criterion, a block next to the text's 1. Off by default: measured
    # on the bench sets' cached states (docs/benchmarks.md, "The model's hidden state") at 0.5
    # it raised household_docs by project 0.950 -> 0.983 and banking77 0.635 -> 0.647 but
    # lowered MASSIVE 0.590 -> 0.550 (ACC); the answers are then asked with their state.
    state_weight: float = 0.0
    # The hidden state after the answer, which says what the answer says: alone it lifted the
    # kind of document 0.317 -> 0.617, and pulled banking77 and MASSIVE below k-means (scaled
    # like the label block when on).
    answer_state_weight: float = 0.0

    @property
    def wants_states(self) -> bool:
        return self.state_weight > 0 or self.answer_state_weight > 0
    # Weight of a picture's visual vector (the classifier's pooled features) next to the
    # text's. Chosen on held-out pictures (sklearn's 8x8 digits, not the CIFAR benchmark):
    # best of 0..8 and visual-only there; equal blocks (1.0) barely moved k-means
    # (docs/photos.md, "Visual vectors in the grouping").
    visual_weight: float = 6.0
    # Photos (engine/describers): a VLM (.gguf + its mmproj) replaces the ImageNet tags.
    vlm_model: str | None = None
    vlm_mmproj: str | None = None
    image_names: bool = False  # put file and folder names into image descriptions
    ocr: bool = True  # read text inside pictures (only when a quick check finds some) and scanned PDFs

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class StageContext:
    project: Project
    model: LazyModel
    settings: Settings
    progress: ProgressCallback = no_progress
    cancel: CancelToken = field(default_factory=CancelToken)
    stats: dict[str, dict[str, Any]] = field(default_factory=dict)
    embedder: LazyEmbedder | None = None

    def cached(self, stage: str, payload: Any, compute: Callable[[], Any]) -> tuple[Any, bool]:
        """The cached answer for (stage, prompt version, model, payload), or ``compute()``'s,
        stored at once so an interrupted run keeps it. Returns (answer, computed)."""
        from .. import prompts

        key = self.cache_key(stage, prompts.VERSIONS[stage], payload)
        value = self.project.cache_get(key)
        if value is not None:
            return value, False
        value = compute()
        self.project.cache_put(key, stage, value)
        return value, True

    def cache_key(self, stage: str, version: str, payload: Any) -> str:
        blob = json.dumps(
            {"stage": stage, "v": version, "model": self.model.model_id, "in": payload,
             "embed": self.embedder.model_id if self.embedder and stage == "name" else None},
            sort_keys=True,
            ensure_ascii=False,
        )
        return f"{stage}:" + hashlib.sha256(blob.encode("utf-8")).hexdigest()
