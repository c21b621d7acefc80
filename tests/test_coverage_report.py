"""The API coverage report (python -m minitorch.utils.coverage) against the installed torch: each area counts
torch's own names, the names minitorch has are not listed missing, and the command line prints the same
figures."""
import json

import pytest

import minitorch
from minitorch.utils import coverage

pytestmark = pytest.mark.parity


def test_areas_count_torchs_names(torch):
    report = coverage.measure(torch)
    assert list(report) == ["nn modules", "nn.functional", "optim", "lr_scheduler", "Tensor", "torch.*"]
    assert report["optim"]["total"] == len(torch.optim.__all__)
    assert report["Tensor"]["total"] == len([n for n in dir(torch.Tensor) if not n.startswith("_")])
    for area in report.values():
        assert area["present"] + len(area["missing"]) == area["total"]
        assert area["ratio"] == pytest.approx(area["present"] / area["total"])
    modules = report["nn modules"]
    assert not any(n.startswith("Lazy") or n in coverage.NOT_COUNTED_MODULES for n in modules["missing"])
    assert "einsum" not in report["torch.*"]["missing"] and "lobpcg" in report["torch.*"]["missing"]
    assert "cumprod" not in report["Tensor"]["missing"] and "resize_" in report["Tensor"]["missing"]
    assert report["lr_scheduler"]["missing"] == [n for n in torch.optim.lr_scheduler.__all__
                                                 if not hasattr(minitorch.optim.lr_scheduler, n)]


def test_command_line(torch, capsys):
    assert coverage.main(["--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["torch"] == torch.__version__
    assert printed["areas"] == json.loads(json.dumps(coverage.measure(torch)))
    assert coverage.main(["--summary"]) == 0
    text = capsys.readouterr().out
    tensor = printed["areas"]["Tensor"]
    assert f"{tensor['present']:>4} / {tensor['total']:<4}" in text and "missing from" not in text
