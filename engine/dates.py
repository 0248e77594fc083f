"""The calendar dates a document's text names ("Check-in: 2 April 2023", "2023-04-06").

A photo says when it was taken (EXIF); a document only in words. A ticket, a booking or a
receipt kept with a trip's photos names the days of the trip, and that is what places it
among the photos' moments when the folder is grouped by trip or event
(``stages/cluster.moments``). Only dates that read one way are taken: ISO dates (and year
first with slashes, "2023/04/02"); a day, an English month name and a year in either order
("2 April 2023", "Thu 06 Apr 2023", "April 2, 2023"), or day first with a German, French,
Spanish, Italian, Dutch or Portuguese month ("12. März 2023", "5 de mayo de 2023");
numeric dates with dots or slashes only where the day cannot be the month ("14/09/2023",
"09/14/2023"), since "02/04/2023" is 2 April in Europe and February 4 in the United States.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, date, datetime

_ENGLISH = (("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"), ("may",),
            ("jun", "june"), ("jul", "july"), ("aug", "august"), ("sep", "sept", "september"), ("oct", "october"),
            ("nov", "november"), ("dec", "december"))
# Month names of German, French, Spanish, Italian, Dutch and Portuguese, read only in the order
# those languages write a date ("12. März 2023", "3 mars 2024", "5 de mayo de 2023").
_OTHER = (("januar", "jänner", "janvier", "enero", "gennaio", "januari", "janeiro"),
          ("februar", "février", "febrero", "febbraio", "februari", "fevereiro"),
          ("märz", "mars", "marzo", "maart", "março"), ("avril", "abril", "aprile"),
          ("mai", "mayo", "maggio", "mei", "maio"), ("juni", "juin", "junio", "giugno", "junho"),
          ("juli", "juillet", "julio", "luglio", "julho"), ("august", "août", "agosto", "augustus"),
          ("septembre", "septiembre", "settembre", "setembro"),
          ("oktober", "octobre", "octubre", "ottobre", "outubro"),
          ("novembre", "noviembre", "novembro"), ("dezember", "décembre", "diciembre", "dicembre", "dezembro"))
_MONTHS = {name: n for table in (_ENGLISH, _OTHER) for n, names in enumerate(table, 1) for name in names}


def _alternatives(names: Iterable[str]) -> str:
    """A regular expression's alternatives, the longest first ("April" before "Apr")."""
    return "|".join(sorted(names, key=len, reverse=True))


# English names as names are written ("April", "Apr", "APRIL"): "may" in a sentence is not a month.
_ENGLISH_MONTH = _alternatives(f"{name.capitalize()}|{name.upper()}" for names in _ENGLISH for name in names)
_ANY_MONTH = r"(?P<month>(?i:" + _alternatives(_MONTHS) + r"))\.?"
_DAY = r"(?P<day>[0-3]?\d)(?:st|nd|rd|th|ST|ND|RD|TH|\.)?"  # "2nd", "2." (as German, Nordic write it)
_YEAR = r"(?P<year>(?:19|20)\d\d)"
_NAMED = (
    re.compile(rf"\b{_DAY}\s+(?:(?:of|de|del)\s+)?{_ANY_MONTH},?\s+(?:(?:de|del)\s+)?{_YEAR}\b"),
    re.compile(rf"\b(?P<month>{_ENGLISH_MONTH})\.?\s+{_DAY},?\s+{_YEAR}\b"),
)
_ISO = re.compile(rf"\b{_YEAR}(?P<sep>[-/])(?P<month>[01]\d)(?P=sep)(?P<day>[0-3]\d)\b")  # year first: one way
_NUMERIC = re.compile(rf"\b(?P<a>[0-3]?\d)[/.](?P<b>[0-3]?\d)[/.]{_YEAR}\b")
MAX_DATES = 50  # a long table of dates says no more about where a document belongs


def _date(year: str, month: int, day: str) -> date | None:
    try:
        return date(int(year), month, int(day))
    except ValueError:  # 31 April
        return None


def dates_in(text: str) -> list[date]:
    """The dates ``text`` names unambiguously, in the order they appear (at most ``MAX_DATES``)."""
    found: list[tuple[int, date | None]] = []
    for pattern in _NAMED:
        found += [(m.start(), _date(m["year"], _MONTHS[m["month"].lower()], m["day"]))
                  for m in pattern.finditer(text)]
    found += [(m.start(), _date(m["year"], int(m["month"]), m["day"])) for m in _ISO.finditer(text)]
    for m in _NUMERIC.finditer(text):
        a, b = int(m["a"]), int(m["b"])
        if (a > 12) != (b > 12):  # the one over 12 is the day
            found.append((m.start(), _date(m["year"], min(a, b), str(max(a, b)))))
    return [d for _, d in sorted(found, key=lambda x: x[0]) if d is not None][:MAX_DATES]


def day_hours(day: date) -> float:
    """The day's start in the hours photos' capture times are counted in (local time read
    as UTC, since 1970: ``describers.metadata``)."""
    return datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp() / 3600
