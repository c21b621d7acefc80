# Two commands, both from a fresh clone (needs python3 >= 3.10 with venv):
#   make lab    open the workbook in JupyterLab
#   make test   run the test suite (PyTorch parity and NVRTC kernel checks where they can be installed),
#               the notebooks (nbval, and in JupyterLab with a headless chromium) and the grader checks
# Both create .venv on first use; a stamp file per extra means a second run installs nothing.
# Delete .venv (or .venv/*.stamp) to reinstall.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip --disable-pip-version-check

.PHONY: lab test test-numpy1

# Jupyter refuses to run as root unless told; containers often run as root.
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root)

lab: $(VENV)/notebooks.stamp
	$(VENV)/bin/jupyter lab notebooks/ $(ROOT_FLAG)

# The linter (ruff, configured in pyproject.toml), the grader checks (reference solutions score 100%,
# untouched stubs are all "todo"), strict nbval on every notebook (serially: outputs must match the stored
# ones), then the unit tests over tests/ (the browser smoke test included), then every `cuda` test again on
# the NumPy CuPy stand-in (MINITORCH_CUDA_STANDIN=1: two simulated GPUs), then the unit tests again on
# NumPy 1.x (test-numpy1). Each step runs even when an earlier one failed; any failure fails.
test: $(VENV)/test.stamp
	@status=0; \
	$(PY) -m ruff check . || status=1; \
	$(PY) -m grader --target solutions --expect-full || status=1; \
	$(PY) -m grader --target exercises --expect-todo || status=1; \
	$(PY) -m pytest --nbval --nbval-sanitize-with notebooks/sanitize.cfg notebooks/ || status=1; \
	$(PY) -m pytest || status=1; \
	MINITORCH_CUDA_STANDIN=1 $(PY) -m pytest -m cuda -q -p no:cacheprovider tests || status=1; \
	$(MAKE) --no-print-directory test-numpy1 || status=1; \
	exit $$status

# The package's unit and parity tests on the oldest NumPy it supports (pyproject: numpy>=1.26), in their
# own venv. The NVRTC kernel check does not depend on NumPy and runs in `make test` already.
NP1_VENV := .venv-numpy1
test-numpy1: $(NP1_VENV)/test.stamp
	$(NP1_VENV)/bin/python -m pytest tests -q -p no:cacheprovider --ignore=tests/test_browser.py \
		--ignore=tests/test_notebooks.py --ignore=tests/test_grader.py --ignore=tests/test_exercise_rejections.py \
		--ignore=tests/test_cuda_kernels.py

NP1_PIP := $(NP1_VENV)/bin/python -m pip --disable-pip-version-check install 'numpy==1.26.4' 'ml_dtypes<0.6'
$(NP1_VENV)/test.stamp: pyproject.toml
	$(PYTHON) -m venv $(NP1_VENV)
	$(NP1_PIP) -e '.[test]'
	$(NP1_PIP) -e '.[test,parity]' || echo "NOTE: PyTorch 2.13.0 could not be installed: parity tests will skip."
	$(NP1_PIP) -e '.[test,distributed]' || echo "NOTE: mpi4py/mpich could not be installed: MPI tests will skip."
	touch $@

$(PY):
	$(PYTHON) -m venv $(VENV)

$(VENV)/notebooks.stamp: pyproject.toml | $(PY)
	$(PIP) install -e '.[notebooks]'
	$(PIP) install -e '.[notebooks,distributed]' || echo "NOTE: mpi4py/mpich could not be installed: chapter 12 needs them."
	touch $@

# torch (parity tests), NVRTC (CUDA kernel compile check) and MPI (multi-process tests) are best effort:
# without them those tests skip visibly, and CI turns the skips into failures (see .ci/run).
$(VENV)/test.stamp: pyproject.toml | $(PY)
	$(PIP) install -e '.[test,notebooks]'
	$(PIP) install -e '.[test,parity]' || echo "NOTE: PyTorch 2.13.0 could not be installed: parity tests will skip."
	$(PIP) install -e '.[test,nvrtc]' || echo "NOTE: CuPy/NVRTC could not be installed: kernel compile tests will skip."
	$(PIP) install -e '.[test,distributed]' || echo "NOTE: mpi4py/mpich could not be installed: MPI tests will skip."
	touch $@
