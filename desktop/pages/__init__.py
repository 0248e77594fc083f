"""The main window's pages: start, run (progress) and review."""
