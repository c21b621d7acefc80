#!/usr/bin/env bash
# Everything that needs a GPU, in one go, for a short call on a lent GPU machine: every test marked
# `cuda`, then the GPU benchmarks, then a summary. Needs only what the GPU image has (Python, CuPy,
# PyTorch with CUDA, pytest): minitorch is used from this checkout, nothing is installed.
# Logs go to $OUT (the device tool brings that folder back) or /tmp/gpu_check.
#     bash scripts/gpu_check.sh
set -uo pipefail
cd "$(dirname "$0")/.."
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
PY=${PYTHON:-python3}
LOGS=${OUT:-/tmp/gpu_check}
mkdir -p "$LOGS"
summary=()
failed=0

step() {  # step NAME COMMAND...: run it, keep its log, record PASS or FAIL
    local name=$1
    shift
    echo "=== $name: $*"
    if "$@" 2>&1 | tee "$LOGS/$name.log"; then
        summary+=("PASS  $name")
    else
        summary+=("FAIL  $name (log: $LOGS/$name.log)")
        failed=1
    fi
}

step environment "$PY" -c "
import cupy, torch, minitorch
assert minitorch.cuda.is_available(), 'minitorch sees no GPU'
print('GPU:', minitorch.cuda.get_device_name(), '| CuPy', cupy.__version__, '| torch', torch.__version__,
      '| CUDA runtime', cupy.cuda.runtime.runtimeGetVersion())"
step cuda-tests "$PY" -m pytest -m cuda -q -p no:cacheprovider tests/
step bench-dispatch "$PY" benchmarks/bench_dispatch.py --device cuda --number 500
step bench-kernels "$PY" benchmarks/bench_kernels.py

echo
echo "=== summary"
grep -h -E "^[0-9]+ (passed|failed)|(passed|failed|skipped).* in [0-9.]+s" "$LOGS/cuda-tests.log" | tail -1
printf '%s\n' "${summary[@]}"
exit $failed
