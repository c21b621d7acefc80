"""The stored notebooks: each notebooks/NN_topic.ipynb is paired with a jupytext py:percent copy,
notebooks/py/NN_topic.py, holding the same cells (kept in a subfolder, so that JupyterLab's file browser
lists every chapter once), and is stored with its outputs, none of them an error except in cells tagged
`raises-exception`. No cell a learner reads names the test machinery. (Strict output comparison is
nbval's job: see the Makefile.)"""
import re
from pathlib import Path

import pytest

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
IPYNBS = sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
PYS = sorted((NOTEBOOKS / "py").glob("[0-9][0-9]_*.py"))
HARNESS_WORDS = re.compile(r"nbval|workbook's tests|not compared|pytest", re.IGNORECASE)

jupytext = pytest.importorskip("jupytext", reason="jupytext is not installed (pip install '.[notebooks]')")
nbformat = pytest.importorskip("nbformat", reason="nbformat is not installed (pip install '.[notebooks]')")


def _cells(notebook):
    return [(cell.cell_type, cell.source.strip()) for cell in notebook.cells]


def test_chapters_exist_in_pairs():
    assert IPYNBS, "no chapter notebooks in notebooks/"
    assert [p.stem for p in IPYNBS] == [p.stem for p in PYS]
    assert sorted(NOTEBOOKS.glob("[0-9][0-9]_*.py")) == [], "paired .py copies belong in notebooks/py/"


@pytest.mark.parametrize("path", IPYNBS, ids=[p.stem for p in IPYNBS])
def test_ipynb_and_py_have_the_same_cells(path):
    stored = nbformat.read(path, as_version=4)
    paired = jupytext.read(NOTEBOOKS / "py" / f"{path.stem}.py")
    assert _cells(stored) == _cells(paired), f"{path.name} and py/{path.stem}.py differ: run jupytext --sync"
    formats = stored.metadata.get("jupytext", {}).get("formats", "")
    assert formats == "ipynb,py//py:percent", \
        f"{path.name} is not paired into py/: jupytext --set-formats ipynb,py//py:percent"


@pytest.mark.parametrize("path", IPYNBS, ids=[p.stem for p in IPYNBS])
def test_no_test_machinery_in_what_learners_read(path):
    cells = nbformat.read(path, as_version=4).cells
    assert [cell.source.splitlines()[0] for cell in cells if HARNESS_WORDS.search(cell.source)] == []


@pytest.mark.parametrize("path", IPYNBS, ids=[p.stem for p in IPYNBS])
def test_outputs_stored_and_errors_only_where_expected(path):
    code = [cell for cell in nbformat.read(path, as_version=4).cells if cell.cell_type == "code"]
    assert code, f"{path.name} has no code cells"
    not_run = [i for i, cell in enumerate(code) if cell.execution_count is None]
    assert not_run == [], f"{path.name}: code cells {not_run} were not executed (store the outputs)"
    unexpected = [cell.source.splitlines()[:1] for cell in code
                  if any(out.output_type == "error" for out in cell.outputs)
                  and "raises-exception" not in cell.metadata.get("tags", [])]
    assert unexpected == [], f"{path.name}: error outputs in cells not tagged raises-exception"
