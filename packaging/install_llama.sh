#!/usr/bin/env bash
# Build llama-cpp-python safely and install it into a virtual environment.
#
#   install_llama.sh VENV                 build for this CPU (cached) and install into VENV
#   install_llama.sh VENV --portable      a build for any x86-64 CPU since 2013 (AVX2, FMA, F16C)
#   install_llama.sh VENV --wheel-to DIR  only put the wheel into DIR (packaging/bundle.sh)
#
# A native llama.cpp build turns on ggml's AMX matmul path on CPUs that report AMX (Sapphire
# Rapids and later Xeons); ggml asks the kernel for AMX tile permission on the main thread
# only, so the first batch decode on a worker thread dies with SIGILL. The native build below
# keeps -march=native for everything else and switches the AMX instructions off in both the C
# and the C++ flags (explicit -mno-* options win over what -march implies). docs/models.md
# has its speed against the plain native build.
#
# The wheel is kept in a cache keyed by the llama-cpp-python version, the build flags and (for
# a native build) this CPU's flags, so a fresh clone on the same machine reuses it and another
# CPU rebuilds. pip's own wheel cache is bypassed: it keys by version only and would hand a
# build made for one CPU to another.
#
# Environment: CORRAL_LLAMA_CMAKE_ARGS replaces the build flags (GPU builds: docs/models.md);
# CORRAL_WHEEL_CACHE moves the cache (default ~/.cache/corral/wheels).
set -euo pipefail
VENV="${1:?usage: install_llama.sh VENV [--portable] [--wheel-to DIR]}"
shift
portable=0
wheel_to=""
while [ $# -gt 0 ]; do
    case "$1" in
        --portable) portable=1 ;;
        --wheel-to) wheel_to="${2:?--wheel-to needs a folder}"; shift ;;
        *) echo "install_llama.sh: unknown option $1" >&2; exit 2 ;;
    esac
    shift
done
VERSION=0.3.36
NO_AMX="-mno-amx-tile -mno-amx-int8 -mno-amx-bf16"
cpu=$( (grep -m1 -E '^(flags|Features)' /proc/cpuinfo 2>/dev/null || uname -m) | sha256sum | cut -c1-12)
if [ -n "${CORRAL_LLAMA_CMAKE_ARGS:-}" ]; then
    ARGS="$CORRAL_LLAMA_CMAKE_ARGS"
elif [ "$portable" = 1 ] && [ "$(uname -m)" = x86_64 ]; then
    ARGS="-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON"
    cpu=portable
elif [ "$(uname -m)" = x86_64 ]; then
    # CMAKE_ARGS is split like a shell line by the build: the quotes keep each flag list whole.
    ARGS="-DGGML_NATIVE=ON -DCMAKE_C_FLAGS='$NO_AMX' -DCMAKE_CXX_FLAGS='$NO_AMX'"
else
    ARGS="-DGGML_NATIVE=ON"
fi
pyver=$("$VENV/bin/python" -c 'import sys; print(sys.version_info[:2])')
key=$(printf '%s|%s|%s|%s' "$VERSION" "$ARGS" "$cpu" "$pyver" | sha256sum | cut -c1-16)
marker="$VENV/corral-llama-build.txt"
if [ -z "$wheel_to" ] && [ -f "$marker" ] && [ "$(head -n1 "$marker")" = "$key" ] \
    && "$VENV/bin/python" -c 'import llama_cpp' 2>/dev/null; then
    exit 0
fi
cache="${CORRAL_WHEEL_CACHE:-$HOME/.cache/corral/wheels}/llama-$key"
if ! ls "$cache"/llama_cpp_python-*.whl >/dev/null 2>&1; then
    echo "Building llama-cpp-python $VERSION ($ARGS); about 8 minutes on 2 cores..."
    rm -rf "$cache.tmp" && mkdir -p "$cache.tmp"
    CMAKE_ARGS="$ARGS" "$VENV/bin/pip" wheel --disable-pip-version-check -q --no-cache-dir \
        --no-deps --no-binary llama-cpp-python -w "$cache.tmp" "llama-cpp-python==$VERSION"
    printf 'llama-cpp-python %s\nCMAKE_ARGS=%s\ncpu=%s\n' "$VERSION" "$ARGS" "$cpu" > "$cache.tmp/BUILD.txt"
    rm -rf "$cache" && mv "$cache.tmp" "$cache"
fi
if [ -n "$wheel_to" ]; then
    mkdir -p "$wheel_to" && cp "$cache"/llama_cpp_python-*.whl "$wheel_to"/
    exit 0
fi
"$VENV/bin/pip" install --disable-pip-version-check -q --force-reinstall --no-deps \
    "$cache"/llama_cpp_python-*.whl
"$VENV/bin/pip" install --disable-pip-version-check -q "llama-cpp-python==$VERSION"  # its dependencies
printf '%s\nllama-cpp-python %s\nCMAKE_ARGS=%s\nwheel=%s\n' "$key" "$VERSION" "$ARGS" \
    "$(ls "$cache"/llama_cpp_python-*.whl)" > "$marker"
