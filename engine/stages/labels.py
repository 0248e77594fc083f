"""Label normalisation: one spelling per concept before labels are counted or merged."""

from __future__ import annotations

import re
import unicodedata
from collections import Counter

_VAGUE = {"other", "others", "misc", "miscellaneous", "general", "unknown", "document",
          "documents", "file", "files", "none", "n/a", "various", "item", "items"}


# Words small models add after the name itself ("Tech Files", "Alarm Organizer"): they come
# from the folder-organizing framing of the prompts and say nothing about the group.
_FILLER = {"group", "groups", "folder", "folders", "category", "categories", "file", "files",
           "organizer", "organizers"}


def normalize_label(label: str) -> str:
    """A display form: NFC, trimmed, single spaces, no quotes or trailing punctuation.

    Small models like CamelCase names with a "Group" suffix ("FoxSquirrelGroup"); those are
    split into words and the filler word dropped ("Fox Squirrel")."""
    text = unicodedata.normalize("NFC", label)
    text = re.sub(r"[\s_]+", " ", text).strip(" \t\"'`.,;:-")
    if " " not in text and re.fullmatch(r"[A-Z][a-z]+(?:[A-Z][a-z]+)+", text):
        text = " ".join(re.findall(r"[A-Z]?[a-z]+", text))
    if " " not in text and text.count("-") >= 2:  # "time-related-queries"
        text = text.replace("-", " ")
    words = text.split()
    if len(words) > 1 and words[-1].casefold() in _FILLER:
        text = " ".join(words[:-1])
    return text[:60]


def display_name(label: str) -> str:
    """A group name as shown: normalised, and capitalised when the model wrote it all in
    lower case ("stock price" -> "Stock price"); other casing is the model's choice."""
    text = normalize_label(label)
    return text[:1].upper() + text[1:] if text.islower() else text


# Words that tell values apart which a sentence embedding holds nearly alike: "2022" and
# "2023" lie at cosine distance 0.22 in MiniLM, "January" and "March" at 0.35, closer than
# "Invoice" and "Receipt", so answers to "which year" or "which month" would be one concept.
_MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august", "september",
           "october", "november", "december")
_ORDINAL_WORDS = {
    **{m: f"month {n}" for n, m in enumerate(_MONTHS, 1)},
    **{m[:3]: f"month {n}" for n, m in enumerate(_MONTHS, 1) if m != "may"},
    "sept": "month 9",
    **{d: f"day {d[:3]}" for d in ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")},
    "spring": "season spring", "summer": "season summer", "autumn": "season autumn", "fall": "season autumn",
    "winter": "season winter",
}
_NUMBER = re.compile(r"\d+")
_QUARTER = re.compile(r"\bq([1-4])\b")


def marks(label: str) -> frozenset[str]:
    """The label's numbers (years, dates, counts: "2022", "Tax Year 2021/22"), months, weekdays,
    seasons and quarters, each one way ("Mar" and "March" are "month 3"; "07" is "7"): the
    words whose difference a sentence embedding misses. Empty for most labels."""
    text = label.casefold()
    found = {f"number {int(n)}" for n in _NUMBER.findall(text)}
    found |= {f"quarter {q}" for q in _QUARTER.findall(text)}
    found |= {_ORDINAL_WORDS[w] for w in re.findall(r"[^\W\d_]+", text) if w in _ORDINAL_WORDS}
    return frozenset(found)


_TIME_WORDS = {"year", "month", "week", "day", "quarter", "fy", "q", "of", "in"}


def only_marks(label: str) -> bool:
    """The label says nothing but :func:`marks` ("2024", "March 2024", "Year 2023", "Q3"):
    where most answers are such, the marks are the answer, and "Cape Town 2024" answers the
    same as "2024"."""
    tokens = re.findall(r"[^\W\d_]+|\d+", label.casefold())
    return bool(tokens) and bool(marks(label)) and all(
        t.isdigit() or t in _ORDINAL_WORDS or t in _TIME_WORDS for t in tokens)


def marks_are_answers(labels: list[str]) -> bool:
    """At least half the items' answers are nothing but marks (:func:`only_marks`): the
    criterion is a year, a month or a season."""
    counts = Counter(labels)  # each distinct answer read once (the grouping asks three times a run)
    return sum(n for label, n in counts.items() if only_marks(label)) * 2 >= len(labels) > 0


def marked_apart(a: frozenset[str], b: frozenset[str]) -> bool:
    """Two labels' :func:`marks` name different values: both have some and neither holds the
    other's ("2022" and "2023", "March" and "May"; not "2022" and "Taxes 2022", nor "Taxes"
    and "Taxes 2022", which the embedding judges)."""
    return bool(a) and bool(b) and not (a <= b or b <= a)


def label_key(label: str) -> str:
    """A comparison key: casefolded, punctuation dropped, simple plurals folded."""
    text = normalize_label(label).casefold()
    text = re.sub(r"[^\w\s&]", " ", text)
    words = [w[:-1] if len(w) > 3 and w.endswith("s") and not w.endswith("ss") else w
             for w in text.split()]
    return " ".join(words)


_VAGUE_KEYS = frozenset(label_key(v) for v in _VAGUE)


def is_vague(label: str) -> bool:
    key = label_key(label)
    return key in _VAGUE_KEYS or not key


def count_labels(raw: list[str]) -> dict[str, int]:
    """Count raw labels under their most frequent spelling, dropping vague ones."""
    by_key: dict[str, dict[str, int]] = {}
    for label in raw:
        shown = normalize_label(label)
        if not shown or is_vague(shown):
            continue
        spellings = by_key.setdefault(label_key(shown), {})
        spellings[shown] = spellings.get(shown, 0) + 1
    counts: dict[str, int] = {}
    for spellings in by_key.values():
        best = max(spellings.items(), key=lambda kv: (kv[1], -len(kv[0])))[0]
        counts[best] = sum(spellings.values())
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))
