#!/usr/bin/env bash
# Rebuild stored notebook outputs: sync each chapter's .ipynb from its paired .py, execute it in place,
# and strip metadata that changes from run to run (outputs and execution counts stay, as nbval needs).
# Usage: scripts/build_notebooks.sh [NN_topic ...]   (default: every chapter). Run after `make test`
# has created .venv.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=.venv/bin
names=("$@")
if [ ${#names[@]} -eq 0 ]; then
    for f in notebooks/py/[0-9][0-9]_*.py; do names+=("$(basename "$f" .py)"); done
fi
for name in "${names[@]}"; do
    echo "== $name"
    "$bin/jupytext" --sync "notebooks/py/$name.py"
    (cd notebooks && "../$bin/jupyter" nbconvert --to notebook --execute --inplace "$name.ipynb")
    "$bin/nbstripout" --keep-output --keep-count "notebooks/$name.ipynb"
done
