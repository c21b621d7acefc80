"""How much of torch's public API minitorch has, measured against an installed torch:

    python -m minitorch.utils.coverage            # the ratios, then the missing names of each area
    python -m minitorch.utils.coverage --summary  # the ratios only
    python -m minitorch.utils.coverage --json     # both, as JSON

An area is a list of public names that torch itself publishes, and a name counts as present when minitorch has
it in the same place (a callable where torch's is callable):

- nn modules: `torch.nn.modules.__all__`, without the Lazy* modules, Container, NLLLoss2d, CrossMapLRN2d and
  SyncBatchNorm (distributed);
- nn.functional: the public functions of `torch.nn.functional` (not the helpers it imports for its own use:
  typing names, `boolean_dispatch`, `handle_torch_function`);
- optim and lr_scheduler: `torch.optim.__all__` and `torch.optim.lr_scheduler.__all__`;
- Tensor: every public name of `torch.Tensor` (methods and properties);
- torch.*: every public callable of the `torch` namespace (functions, classes, dtypes excluded as not callable).
"""
import argparse
import inspect
import json
import sys
import types

import minitorch

NOT_COUNTED_MODULES = {"Container", "NLLLoss2d", "CrossMapLRN2d", "SyncBatchNorm"}
# where torch.nn.functional's imported helpers come from
_HELPER_MODULES = {"torch._jit_internal", "torch.overrides"}


def _public(names):
    return sorted(n for n in names if not n.startswith("_"))


def _areas(torch):
    """(label, torch's names, whether minitorch has a name) for each area."""
    import torch.nn.functional as F

    def modules():
        return [n for n in torch.nn.modules.__all__ if n not in NOT_COUNTED_MODULES and not n.startswith("Lazy")]

    def functional():
        out = []
        for name in _public(dir(F)):
            obj = getattr(F, name)
            if isinstance(obj, (types.FunctionType, types.BuiltinFunctionType)) and \
                    getattr(obj, "__module__", None) not in _HELPER_MODULES:
                out.append(name)
        return out

    def callables(namespace):
        return [n for n in _public(dir(namespace)) if callable(getattr(namespace, n, None))]

    def has(namespace, callable_only=False):
        def check(name):
            obj = getattr(namespace, name, None)
            return callable(obj) if callable_only else hasattr(namespace, name)
        return check
    return [
        ("nn modules", modules(), has(minitorch.nn)),
        ("nn.functional", functional(), has(minitorch.nn.functional, callable_only=True)),
        ("optim", list(torch.optim.__all__), has(minitorch.optim)),
        ("lr_scheduler", list(torch.optim.lr_scheduler.__all__), has(minitorch.optim.lr_scheduler)),
        ("Tensor", _public(dir(torch.Tensor)), has(minitorch.Tensor)),
        ("torch.*", callables(torch), has(minitorch, callable_only=True)),
    ]


def measure(torch=None):
    """{area: {"present": n, "total": n, "ratio": fraction, "missing": [names]}} against `torch` (imported
    when not given)."""
    if torch is None:
        import torch
    report = {}
    for label, names, present in _areas(torch):
        missing = [n for n in names if not present(n)]
        report[label] = {"present": len(names) - len(missing), "total": len(names),
                         "ratio": (len(names) - len(missing)) / len(names), "missing": missing}
    return report


def format_report(report, torch_version, missing=True):
    """The report as text: one line per area (present / total and percent), then the missing names."""
    width = max(len(label) for label in report)
    lines = [f"minitorch {minitorch.__version__} against torch {torch_version}"]
    for label, area in report.items():
        lines.append(f"  {label:<{width}}  {area['present']:>4} / {area['total']:<4} {100 * area['ratio']:5.1f}%")
    if missing:
        for label, area in report.items():
            lines.append(f"\nmissing from {label} ({len(area['missing'])}):")
            lines.append(_wrapped(area["missing"]))
    return "\n".join(lines)


def _wrapped(names, width=110):
    rows, row = [], "  "
    for name in names:
        if len(row) + len(name) + 2 > width and row.strip():
            rows.append(row.rstrip())
            row = "  "
        row += name + ", "
    rows.append(row.rstrip().rstrip(","))
    return "\n".join(rows)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m minitorch.utils.coverage", description=inspect.cleandoc(
        "How much of torch's public API minitorch has, measured against the installed torch."))
    parser.add_argument("--summary", action="store_true", help="print the ratios only")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    args = parser.parse_args(argv)
    try:
        import torch
    except ImportError:
        print("the coverage report compares with PyTorch, which is not installed: pip install '.[parity]'",
              file=sys.stderr)
        return 2
    report = measure(torch)
    if args.json:
        print(json.dumps({"torch": torch.__version__, "areas": report}, indent=1))
    else:
        print(format_report(report, torch.__version__, missing=not args.summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
