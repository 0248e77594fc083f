"""Turn a group name (written by a language model, or typed by a person) into a folder name.

Group names end up as folder names when an export runs, and the export is the one place
where Corral creates, moves or links people's files. A name such as ``../../etc``, ``CON``,
``a/b`` or a 400-character sentence must therefore always become exactly one harmless path
component directly inside the destination, on Linux, macOS and Windows file systems alike
(a USB stick formatted FAT/exFAT follows the Windows rules even when plugged into Linux).
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["safe_folder_name", "is_reserved_windows_name", "MAX_NAME_BYTES"]

#: The most UTF-8 bytes a folder name may take. Most file systems allow 255; staying well
#: below leaves room for a " (2)" suffix and for the names of temporary files.
MAX_NAME_BYTES = 200

# Characters that separate paths or that Windows file systems refuse in a name.
_FORBIDDEN = frozenset('/\\:*?"<>|')

# Invisible characters: some reorder text (a name showing "photos" could hide "sotohp"),
# others take no room at all, so two folders could look identical.
_INVISIBLE = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
    "\u00ad\u200b\u2060\ufeff"
)

_RESERVED = frozenset(
    ["CON", "PRN", "AUX", "NUL"]
    + [f"COM{d}" for d in "123456789\u00b9\u00b2\u00b3"]
    + [f"LPT{d}" for d in "123456789\u00b9\u00b2\u00b3"]
)

_WHITESPACE = re.compile(r"\s+")


def is_reserved_windows_name(name: str) -> bool:
    """True when Windows would treat ``name`` as a device (``CON``, ``com1.txt``, ``Nul .x``).

    Windows looks only at the part before the first dot, ignores case, and ignores spaces
    at the end of that part, so ``"con .txt"`` is as reserved as ``"CON"``.
    """
    stem = name.split(".", 1)[0].rstrip(" ")
    return stem.upper() in _RESERVED


def _keep(ch: str) -> bool:
    """Whether a character may appear in a folder name at all."""
    if ch in _FORBIDDEN or ch in _INVISIBLE:
        return False
    category = unicodedata.category(ch)
    # Cc: control characters (NUL, ESC, DEL...). Cs: lone surrogates, which are not text and
    # cannot be written as UTF-8 (they appear when undecodable bytes were os.fsdecode()d).
    return category not in ("Cc", "Cs")


def _clean(name: str) -> str:
    """Normalise, drop unsafe characters, collapse whitespace, trim dots and spaces."""
    text = unicodedata.normalize("NFC", name)
    # Whitespace controls (tab, newline) become spaces; forbidden separators become spaces
    # too, so "Invoices/Receipts" reads "Invoices Receipts" rather than "InvoicesReceipts".
    text = "".join(
        ch if _keep(ch) else (" " if ch.isspace() or ch in _FORBIDDEN else "") for ch in text
    )
    # Removing a character can bring a base letter next to a combining mark: re-normalise.
    text = unicodedata.normalize("NFC", text)
    text = _WHITESPACE.sub(" ", text)
    return text.strip(". ")


def _visible(text: str) -> bool:
    """True when ``text`` shows at least one letter, digit, punctuation mark or symbol."""
    return any(unicodedata.category(ch)[0] in "LNPS" for ch in text)


def _continues_cluster(ch: str) -> bool:
    """True when ``ch`` belongs to the character before it (accent, emoji modifier...)."""
    code = ord(ch)
    return (
        unicodedata.category(ch) in ("Mn", "Mc", "Me")
        or ch == "\u200d"  # zero-width joiner inside emoji sequences
        or 0xFE00 <= code <= 0xFE0F  # variation selectors
        or 0xE0100 <= code <= 0xE01EF
        or 0x1F3FB <= code <= 0x1F3FF  # skin-tone modifiers
        or 0xE0020 <= code <= 0xE007F  # tag characters (flag sequences)
        or 0x1160 <= code <= 0x11FF  # Hangul medial vowels and final consonants
    )


def _cut(text: str, max_chars: int, max_bytes: int) -> str:
    """Shorten ``text`` to the limits without splitting a character or a visible cluster.

    When a space lies in the last third of what fits, the cut goes there so no word is
    broken in half; otherwise the cut is at the last whole character sequence.
    """
    if len(text) <= max_chars and len(text.encode("utf-8")) <= max_bytes:
        return text
    end = 0
    used = 0
    for i, ch in enumerate(text):
        size = len(ch.encode("utf-8"))
        if i + 1 > max_chars or used + size > max_bytes:
            break
        used += size
        end = i + 1
    # Step back while the next character would still belong to the last kept one, or the
    # last kept one is a joiner waiting for its partner.
    while end > 0 and (
        (end < len(text) and _continues_cluster(text[end])) or text[end - 1] == "\u200d"
    ):
        end -= 1
    cut = text[:end]
    space = cut.rfind(" ")
    if space > 0 and space >= (2 * len(cut)) // 3:
        cut = cut[:space]
    return cut


def safe_folder_name(name: str, *, max_len: int = 80, fallback: str = "group") -> str:
    """Return a single, portable path component to use as a folder name for ``name``.

    The result is NFC-normalised, holds no control characters and none of
    ``/ \\ : * ? " < > |`` (those separators become spaces), has its whitespace collapsed
    to single spaces, neither starts nor ends with a dot or space, is at most ``max_len``
    characters and :data:`MAX_NAME_BYTES` UTF-8 bytes, is never ``.``, ``..`` or empty
    (``fallback``, itself made safe, is used then), and never a Windows device name
    (``CON`` becomes ``CON_``, ``con.txt`` becomes ``con_.txt``).

    ``dest / safe_folder_name(anything)`` is therefore always a direct child of ``dest``.
    """
    if max_len < 1:
        raise ValueError("max_len must be at least 1")
    text = _clean(name)
    text = _cut(text, max_len, MAX_NAME_BYTES).rstrip(". ")
    if not _visible(text):
        text = _cut(_clean(fallback), max_len, MAX_NAME_BYTES).rstrip(". ")
        if not _visible(text):
            text = "_"
    if is_reserved_windows_name(text):
        stem, dot, rest = text.partition(".")
        stem = stem.rstrip(" ")
        # The stem is at most four characters ("COM1"); make room for the "_" if needed.
        if len(stem) + 1 > max_len:
            stem = stem[: max_len - 1]
        rest_room = max_len - len(stem) - 1 - len(dot)
        byte_room = MAX_NAME_BYTES - len(stem.encode("utf-8")) - 1 - len(dot)
        rest = _cut(rest, max(rest_room, 0), max(byte_room, 0)).rstrip(". ") if dot else ""
        text = f"{stem}_{dot}{rest}" if rest else f"{stem}_"
    return text
