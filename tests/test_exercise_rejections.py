"""The graded tests can fail, and for the right reasons.

- Run in this process on the reference solutions, every graded test passes (so a failure below is the
  wrong answer's doing, not the harness's).
- Every exercise has at least two plausible wrong answers in tests/exercises/wrong/, and each of them
  fails at least one of the exercise's tests.
- No class or function copied from the chapter's notebook passes an exercise that asks for a class or
  a function: each candidate, put in place of the exercise's object, fails at least one test.
- The answers of the "predict, then check" items are what PyTorch itself gives.

Chapters whose graded tests run the answers on several processes (a `PLAN`, see grader.multirank) have every
namespace used below answered in one launch, before the first of their tests here."""
import ast
import functools
import importlib
import importlib.util
import inspect
import json
import re
import tempfile
import types
from pathlib import Path

import pytest

from tests.exercises.wrong import solution

REPO = Path(__file__).resolve().parent.parent
CHAPTERS = [1, 2, 3, 4, 5, 6, 7, 11, 12]
_NOTEBOOK_MODULES = tempfile.TemporaryDirectory(prefix="notebook-definitions-")


def graded_tests(chapter):
    """{exercise id: [test functions]} of tests/exercises/test_chNN.py."""
    module = importlib.import_module(f"tests.exercises.test_ch{chapter:02d}")
    found = {}
    for function in vars(module).values():
        for mark in getattr(function, "pytestmark", []):
            if mark.name == "exercise":
                found.setdefault(mark.args[0], []).append(function)
    return found


def wrong_answers(chapter):
    return importlib.import_module(f"tests.exercises.wrong.ch{chapter:02d}").WRONG


def namespace(chapter, overrides=None):
    """The chapter's reference solutions as a namespace, with some names replaced."""
    names = {k: v for k, v in vars(solution(chapter)).items() if not k.startswith("__")}
    return types.SimpleNamespace(**{**names, **(overrides or {})})


def failures(tests, chapter_namespace):
    """[(test name, the exception)] of the tests that fail on `chapter_namespace`."""
    found = []
    for test in tests:
        try:
            test(chapter_namespace)
        except Exception as exc:  # a check that failed, or the wrong answer crashing: both reject it
            found.append((test.__name__, exc))
    return found


@functools.cache
def _answered_together(chapter):
    """For a chapter with a PLAN: run the jobs of every namespace the tests below use, in one launch."""
    plan = getattr(importlib.import_module(f"tests.exercises.test_ch{chapter:02d}"), "PLAN", None)
    if plan is not None:
        plan.prefetch([namespace(chapter)] + [namespace(chapter, wrong) for answers in wrong_answers(chapter).values()
                                              for wrong in answers.values()]
                      + [candidate for _, _, candidate in _notebook_candidates(chapter)])
    return True


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_reference_solutions_pass_in_process(chapter):
    _answered_together(chapter)
    for exercise, tests in graded_tests(chapter).items():
        assert failures(tests, namespace(chapter)) == [], exercise


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_every_exercise_has_two_wrong_answers(chapter):
    wrong = wrong_answers(chapter)
    assert {exercise: len(wrong.get(exercise, {})) for exercise in graded_tests(chapter)} == {
        exercise: max(2, len(wrong.get(exercise, {}))) for exercise in graded_tests(chapter)}


WRONG_CASES = [(chapter, exercise, label) for chapter in CHAPTERS
               for exercise, answers in wrong_answers(chapter).items() for label in answers]


@pytest.mark.parametrize("chapter, exercise, label", WRONG_CASES, ids=[f"{e}: {w}" for _, e, w in WRONG_CASES])
def test_wrong_answer_is_rejected(chapter, exercise, label):
    _answered_together(chapter)
    tests = graded_tests(chapter)[exercise]
    assert failures(tests, namespace(chapter, wrong_answers(chapter)[exercise][label])), \
        f"{exercise}: the wrong answer '{label}' passes every test"


@functools.cache
def _notebook_definitions(chapter):
    """The chapter notebook's top-level classes and functions, defined (with the notebook's imports) in a
    module file of their own, so that other processes can import them too: {name: object}."""
    path = next((REPO / "notebooks").glob(f"{chapter:02d}_*.ipynb"))
    imports, definitions = [], []
    for cell in json.loads(path.read_text())["cells"]:
        if cell["cell_type"] != "code":
            continue
        source = "".join(line for line in cell["source"] if not line.lstrip().startswith(("%", "!")))
        for node in ast.parse(source).body:
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                imports.append(node)
            elif isinstance(node, (ast.FunctionDef, ast.ClassDef)):
                definitions.append(node)
    name = f"notebook{chapter:02d}_definitions"
    module_path = Path(_NOTEBOOK_MODULES.name) / f"{name}.py"
    module_path.write_text(ast.unparse(ast.Module(body=imports + definitions, type_ignores=[])))
    spec = importlib.util.spec_from_file_location(name, module_path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return {node.name: getattr(module, node.name) for node in definitions}


def _exercise_objects(chapter):
    """{exercise id: name of the class or function its stub defines}."""
    path = next((REPO / "exercises").glob(f"ch{chapter:02d}_*.py"))
    source = path.read_text()
    found = {}
    for node in ast.parse(source).body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            match = re.search(r'NotImplementedError\(\s*"(ch\d\d\.\d+)', ast.get_source_segment(source, node))
            if match:
                found.setdefault(match.group(1), node.name)
    return found


def _notebook_candidates(chapter):
    """(exercise, notebook definition's name, the solutions with it in place of the exercise's object) for
    each notebook class put in place of an exercise's class, and function in place of a function."""
    notebook = _notebook_definitions(chapter)
    found = []
    for exercise, name in _exercise_objects(chapter).items():
        wanted = inspect.isclass(getattr(solution(chapter), name))
        found += [(exercise, candidate_name, namespace(chapter, {name: candidate}))
                  for candidate_name, candidate in notebook.items() if inspect.isclass(candidate) == wanted]
    return found


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_no_notebook_definition_passes_an_exercise(chapter):
    _answered_together(chapter)
    tests = graded_tests(chapter)
    passing = [(exercise, candidate_name) for exercise, candidate_name, candidate in _notebook_candidates(chapter)
               if not failures(tests[exercise], candidate)]
    assert passing == []


def _run_with_pytorch(torch, chapter, names):
    """The objects `names` of tests/exercises/test_chNN.py, defined again with PyTorch in place of minitorch."""
    graded = importlib.import_module(f"tests.exercises.test_ch{chapter:02d}")
    scope = {"torch": torch, "nn": torch.nn}
    for name in names:
        exec(inspect.getsource(getattr(graded, name)), scope)
    return scope


PREDICTIONS = {  # chapter: (prediction, the test's objects it needs, how PyTorch answers the question)
    1: ("predict_parameter_names", ["Puzzle"],
        lambda s: [(name, tuple(p.shape)) for name, p in s["Puzzle"]().named_parameters()]),
    2: ("predict_named_modules", ["puzzle_net"], lambda s: [name for name, _ in s["puzzle_net"]().named_modules()]),
    3: ("predict_momentum_buffer", ["momentum_buffers"],
        lambda s: (s["momentum_buffers"]()[:3], s["momentum_buffers"]()[-1])),
    4: ("predict_state_dict_keys", ["Block", "Puzzle"], lambda s: list(s["Puzzle"]().state_dict())),
    5: ("predict_output_std", ["output_stds"], lambda s: s["output_stds"]()),
    6: ("predict_hook_order", ["hook_order"], lambda s: s["hook_order"]()),
    7: ("predict_dominant_flops", ["flops_of_the_model"], lambda s: s["flops_of_the_model"]()),
    11: ("predict_graph", [], lambda s: _torch_graph(s["torch"])),
    12: ("predict_shards", [], lambda s: _torch_shards(s["torch"])),
}


def _torch_shards(torch):
    """The chapter-12 cases dealt by torch.utils.data.DistributedSampler."""
    cases = {"10 items, 3 ranks": (10, 3, False), "10 items, 3 ranks, drop_last": (10, 3, True),
             "2 items, 4 ranks": (2, 4, False)}
    sampler = torch.utils.data.DistributedSampler
    return {case: [list(sampler(range(items), num_replicas=n, rank=r, shuffle=False, drop_last=drop))
                   for r in range(n)] for case, (items, n, drop) in cases.items()}


def _torch_graph(torch):
    """The chapter-11 Puzzle written with PyTorch and traced by torch.fx, as (opcode, printed target)."""
    F = torch.nn.functional

    class Puzzle(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = torch.nn.Linear(4, 4)
            self.scale = torch.nn.Parameter(torch.ones(4))

        def forward(self, x):
            y = F.relu(self.fc(x)) * self.scale
            return torch.cat([y, x.t().t()], dim=-1).sum(-1) + x.shape[0]
    gm = torch.fx.symbolic_trace(Puzzle())
    return [(n.op, n._pretty_print_target(n.target)) for n in gm.graph.nodes]


@pytest.mark.parity
@pytest.mark.parametrize("chapter", sorted(PREDICTIONS))
def test_predictions_are_what_pytorch_gives(torch, chapter):
    name, needs, answer = PREDICTIONS[chapter]
    truth = answer(_run_with_pytorch(torch, chapter, needs))
    predicted = getattr(solution(chapter), name)()
    if chapter in (3, 5):  # numbers: the limit of a series, the spread of random outputs
        assert pytest.approx(truth[0], abs=0.03) == predicted[0] and pytest.approx(truth[1], abs=0.05) == predicted[1]
    else:
        assert predicted == truth
