#!/bin/bash
# Prepares .gpu/ (git-ignored) for a check of the GPU path on a lent GPU machine (the device
# tool): a CUDA build of llama-cpp-python there, a model of the default model's architecture
# and tokenizer with random weights (the real weights are too big to travel), and Corral's own
# runtime timing the per-file question and choice on the GPU against the CPU.
#
#   bash packaging/gpu_check/prepare.sh SDIST.tar.gz      # llama_cpp_python-0.3.36.tar.gz
#   then, on the device tool: carry [".gpu"], command:
#   R=$PWD; setsid nohup bash .gpu/pipeline.sh $R >/dev/null 2>&1 </dev/null &
#   for i in $(seq 1 112); do [ -f /tmp/gpu/done ] && break; sleep 5; done;
#   cp /tmp/gpu/*.log /tmp/gpu/gpu.json $OUT/; cat /tmp/gpu/steps.log /tmp/gpu/measure.log
# (the build runs detached, so a second call can wait for it if the first runs out of time).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd); repo=$(cd "$here/../.." && pwd); sdist=$(realpath "$1")
out="$repo/.gpu"; work=$(mktemp -d)
grep -qx "/.gpu/" "$repo/.git/info/exclude" 2>/dev/null || echo "/.gpu/" >> "$(git -C "$repo" rev-parse --git-path info/exclude)"
mkdir -p "$out/whl"
tar xzf "$sdist" -C "$work"
src=$(ls -d "$work"/llama_cpp_python-*)
# what a CUDA build does not need: model vocabularies, docs, tests, the other backends' sources
rm -rf "$src/.git" "$src"/vendor/llama.cpp/{models,docs,media,benches,tests,scripts,conversion,tools/ui}
rm -rf "$src"/vendor/llama.cpp/examples/*/
for b in virtgpu cann openvino webgpu et metal hexagon sycl vulkan opencl zdnn musa rpc blas kompute; do
  rm -rf "$src/vendor/llama.cpp/ggml/src/ggml-$b"; done
tar czf "$out/llama-src.tar.gz" -C "$work" "$(basename "$src")"
cp "$here"/{gguf_skeleton.py,measure_gpu.py,pipeline.sh} "$out/"
model=$("$repo/.venv/bin/corral" models path qwen2.5-1.5b)
PYTHONPATH="$src/vendor/llama.cpp/gguf-py" python3 "$here/gguf_skeleton.py" skeleton "$model" "$out/qwen15-skel.gguf"
python3 -m pip download -q --no-deps --only-binary=:all: -d "$out/whl" platformdirs diskcache
python3 - "$out/texts.json" "$repo/../shared/datasets/text/massive_scenario.jsonl" <<'PY'
import json, random, sys
rows = [json.loads(line) for line in open(sys.argv[2])]
random.Random(0).shuffle(rows)
json.dump([r["input"] for r in rows[:200]], open(sys.argv[1], "w"))
PY
rm -rf "$work"; du -sh "$out"
