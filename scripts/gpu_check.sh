#!/usr/bin/env bash
# Everything that needs a GPU, in one go, for a short call on a lent GPU machine: every test marked
# `cuda` on the real GPU (CI runs them on the CuPy stand-in), then the GPU benchmarks against torch's CUDA
# eager mode (MLP and CNN train steps <= 1.5x, elementwise add >= 70% of the H200's 4.3 TB/s), then a
# summary. Needs only what the GPU image has (Python, CuPy, NumPy, ml_dtypes, PyTorch with CUDA, pytest):
# minitorch is used from this checkout, nothing is installed.
# Logs go to $OUT (the device tool brings that folder back) or /tmp/gpu_check.
#     bash scripts/gpu_check.sh
set -uo pipefail
unset MINITORCH_CUDA_STANDIN  # the real GPU, not the stand-in
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
step bench-train "$PY" benchmarks/bench_train.py --device cuda --steps 20 --repeat 3 --check
step bench-bandwidth "$PY" benchmarks/bench_bandwidth.py --check
step bench-dispatch "$PY" benchmarks/bench_dispatch.py --device cuda --number 500
step bench-kernels "$PY" benchmarks/bench_kernels.py

echo
echo "=== summary"
grep -h -E "^[0-9]+ (passed|failed)|(passed|failed|skipped).* in [0-9.]+s" "$LOGS/cuda-tests.log" | tail -1
printf '%s\n' "${summary[@]}"
exit $failed
