"""Light and dark palettes. "system" follows the desktop's colour scheme (Qt 6.5+)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication


def dark_palette() -> QPalette:
    p = QPalette()
    window, base, text = QColor(45, 45, 48), QColor(30, 30, 32), QColor(230, 230, 230)
    role = QPalette.ColorRole
    for r, c in (
        (role.Window, window), (role.WindowText, text), (role.Base, base),
        (role.AlternateBase, window), (role.ToolTipBase, base), (role.ToolTipText, text),
        (role.Text, text), (role.Button, window), (role.ButtonText, text),
        (role.BrightText, QColor(255, 85, 85)), (role.Link, QColor(100, 170, 255)),
        (role.Highlight, QColor(42, 130, 218)), (role.HighlightedText, QColor(255, 255, 255)),
        (role.PlaceholderText, QColor(150, 150, 150)),
    ):
        p.setColor(r, c)
    for r in (role.Text, role.ButtonText, role.WindowText):
        p.setColor(QPalette.ColorGroup.Disabled, r, QColor(120, 120, 120))
    return p


def system_is_dark() -> bool:
    return QGuiApplication.styleHints().colorScheme() == Qt.ColorScheme.Dark


def apply_theme(app: QApplication, theme: str) -> str:
    """Apply ``system``, ``light`` or ``dark``; returns the scheme actually shown."""
    hints = QGuiApplication.styleHints()
    scheme = {"light": Qt.ColorScheme.Light, "dark": Qt.ColorScheme.Dark}.get(theme)
    if scheme is None:
        hints.unsetColorScheme()
    else:
        hints.setColorScheme(scheme)
    if theme == "system":
        app.setPalette(QPalette())  # an empty palette resolves to the platform's own
        return "dark" if system_is_dark() else "light"
    # Not every platform honours setColorScheme, so set the palette explicitly too.
    app.setPalette(dark_palette() if theme == "dark" else app.style().standardPalette())
    return theme
