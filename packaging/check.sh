#!/usr/bin/env bash
# The static checks of every change (CI runs them after the tests): ruff and mypy, both
# configured in pyproject.toml. Needs the test environment (bash packaging/test.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
.venv/bin/ruff check .
# mypy follows imports by package name, and corral.engine lives in engine/ (see
# [tool.setuptools] package-dir): check a tree of links laid out as installed.
tree=.mypy-tree
rm -rf "$tree" && mkdir -p "$tree/corral"
for f in corral/*.py; do ln -s "$PWD/$f" "$tree/corral/"; done
for d in engine models desktop resources; do ln -s "$PWD/$d" "$tree/corral/$d"; done
MYPYPATH="$tree" .venv/bin/mypy -p corral 2>&1 | sed "s#^$tree/corral/##"
