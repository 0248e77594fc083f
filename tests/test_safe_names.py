"""Folder names made from group names must always be one harmless path component."""

from __future__ import annotations

import os
import unicodedata
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from corral.engine.safe_names import MAX_NAME_BYTES, is_reserved_windows_name, safe_folder_name

FORBIDDEN = set('/\\:*?"<>|')


def assert_safe(result: str, max_len: int = 80) -> None:
    assert result
    assert result not in (".", "..")
    assert not (set(result) & FORBIDDEN)
    assert all(unicodedata.category(ch) not in ("Cc", "Cs") for ch in result)
    assert "\x00" not in result and os.sep not in result
    assert result == result.strip(". ")
    assert "  " not in result
    assert len(result) <= max_len
    assert len(result.encode("utf-8")) <= MAX_NAME_BYTES
    assert unicodedata.is_normalized("NFC", result)
    assert not is_reserved_windows_name(result)
    assert Path(result).parts == (result,)
    dest = Path("/some/dest")
    assert os.path.normpath(dest / result) == str(dest / result)
    assert (dest / result).parent == dest


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Holidays 2023", "Holidays 2023"),
        ("../../etc", "etc"),
        ("..", "group"),
        (".", "group"),
        ("", "group"),
        ("   ", "group"),
        ("/", "group"),
        ("a/b\\c", "a b c"),
        ("Q1: Taxes?", "Q1 Taxes"),
        ('"quoted" <tag> a|b *', "quoted tag a b"),
        ("tab\tand\nnewline", "tab and newline"),
        ("bell\x07 nul\x00 esc\x1b", "bell nul esc"),
        ("...hidden...", "hidden"),
        ("CON", "CON_"),
        ("con", "con_"),
        ("con.txt", "con_.txt"),
        ("Com1", "Com1_"),
        ("LPT9.tar.gz", "LPT9_.tar.gz"),
        ("nul .x", "nul_.x"),
        ("CONSOLE", "CONSOLE"),
        ("COM10", "COM10"),
        ("\u200b", "group"),  # zero-width space alone shows nothing
        ("caf\u0065\u0301", "caf\u00e9"),  # NFC
        ("a\u202egpj.exe", "agpj.exe"),  # right-to-left override removed
    ],
)
def test_examples(name: str, expected: str) -> None:
    result = safe_folder_name(name)
    assert result == expected
    assert_safe(result)


def test_fallback_is_made_safe_too() -> None:
    assert safe_folder_name("", fallback="../x") == "x"
    assert safe_folder_name("", fallback="..") == "_"
    assert safe_folder_name("", fallback="aux") == "aux_"
    assert safe_folder_name("?", fallback="Group 3") == "Group 3"


def test_long_names_cut_at_word_and_character_boundaries() -> None:
    words = "alpha beta gamma delta epsilon " * 10
    result = safe_folder_name(words, max_len=40)
    assert len(result) <= 40
    assert words.startswith(result)
    assert words[len(result)] == " "  # cut at a space, no half word
    accented = "e\u0301" * 300  # NFC makes each one character
    assert safe_folder_name(accented) == "\u00e9" * 80
    emoji = "\U0001f469\u200d\U0001f4bb" * 100  # woman technologist: 3 code points each
    result = safe_folder_name(emoji, max_len=10)
    assert result == "\U0001f469\u200d\U0001f4bb" * 3  # never ends in a lone joiner
    chinese = "\u6587" * 100  # 3 bytes each
    result = safe_folder_name(chinese, max_len=100)
    assert len(result.encode("utf-8")) <= MAX_NAME_BYTES and len(result) == 66


def test_reserved_name_with_tiny_max_len() -> None:
    assert safe_folder_name("CON", max_len=3) == "CO_"
    assert safe_folder_name("con.txt", max_len=5) == "con_"
    assert safe_folder_name("anything", max_len=1) == "a"
    with pytest.raises(ValueError):
        safe_folder_name("x", max_len=0)


@settings(max_examples=400, deadline=None)
@given(st.text(max_size=120), st.integers(min_value=1, max_value=120))
def test_property_any_text_is_safe_and_stable(name: str, max_len: int) -> None:
    result = safe_folder_name(name, max_len=max_len)
    assert_safe(result, max_len)
    assert safe_folder_name(result, max_len=max_len) == result


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                "..",
                ".",
                "/",
                "\\",
                "CON",
                "nul",
                ".txt",
                " ",
                "\u0301",
                "\u200d",
                "a",
                "\U0001f600",
                "\x00",
            ]
        ),
        max_size=30,
    ).map("".join)
)
def test_property_hostile_fragments(name: str) -> None:
    result = safe_folder_name(name)
    assert_safe(result)
    assert safe_folder_name(result) == result


@settings(max_examples=100, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8"), min_size=150, max_size=400))
def test_property_byte_limit_holds_for_wide_characters(name: str) -> None:
    result = safe_folder_name(name, max_len=200)
    assert len(result.encode("utf-8")) <= MAX_NAME_BYTES


def test_real_folder_stays_inside_destination(tmp_path: Path) -> None:
    dest = tmp_path / "dest"
    dest.mkdir()
    for name in ["../../etc", "..", "a/../../b", "CON", "\x00", "~", "$HOME", "*"]:
        folder = dest / safe_folder_name(name)
        folder.mkdir(exist_ok=True)
        assert folder.resolve().parent == dest.resolve()
