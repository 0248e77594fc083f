"""The ``corral`` command: ``corral gui`` starts the desktop app, everything else is the
engine's command line. It lives above the layers so the engine never imports the GUI."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args[:1] == ["gui"]:
        from corral.desktop.app import main as gui_main

        return gui_main(args[1:])
    from corral.engine.cli import main as engine_main

    return engine_main(args)


if __name__ == "__main__":
    sys.exit(main())
