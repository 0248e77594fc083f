"""Small widget helpers shared by the pages."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QPushButton


def button(text: str, tip: str, slot: Any) -> QPushButton:
    """A push button with its tooltip, its ``clicked`` connected to ``slot`` (a callable or
    a signal)."""
    widget = QPushButton(text)
    widget.setToolTip(tip)
    widget.clicked.connect(slot)
    return widget
