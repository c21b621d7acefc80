"""The layers of docs/architecture.md hold in the code: a core module imports (at module level) only modules
of its own layer or of lower ones, and the core import graph has no cycle."""
import ast
import pathlib

import minitorch

PACKAGE = pathlib.Path(minitorch.__file__).parent

# Layer of each core module (by dotted name or package prefix), lowest first; see docs/architecture.md.
LAYERS = [
    ("foundation", ["_dtype", "_size", "_layout", "_warnings", "_quiet", "_malloc"]),
    ("devices", ["backends.meta", "_device", "cuda", "backends.cuda", "_random"]),
    ("door", ["_dispatch", "overrides", "_C", "utils._python_dispatch"]),
    ("autograd engine", ["autograd.grad_mode", "autograd.graph", "autograd.function", "autograd.variable"]),
    ("tensor", ["_tensor", "_tensor_str"]),
    ("ops", ["ops", "_creation", "autograd"]),
    ("entries", ["_entries", "linalg"]),
]


def _layer(module):
    """The layer index of a dotted module name (relative to minitorch), or None outside the core."""
    best = None
    for index, (_, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            if module == prefix or module.startswith(prefix + "."):
                if best is None or len(prefix) > best[1]:
                    best = (index, len(prefix))
    return None if best is None else best[0]


def _module_name(path):
    parts = list(path.relative_to(PACKAGE).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _top_level(tree):
    """Statements run at import: the module body and what module-level try/if blocks hold."""
    stack = list(tree.body)
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, (ast.Try, ast.If)):
            stack.extend(node.body + node.orelse + getattr(node, "finalbody", []) +
                         [s for h in getattr(node, "handlers", []) for s in h.body])


def _existing(name):
    """The longest prefix of `name` that is a module of the package."""
    while name:
        path = PACKAGE.joinpath(*name.split("."))
        if path.with_suffix(".py").exists() or (path / "__init__.py").exists():
            return name
        name = name.rpartition(".")[0]
    return name


def _imports(path):
    """Package modules that `path` imports at module level (relative names, '' for minitorch itself)."""
    module = _module_name(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = set()
    for node in _top_level(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".") if package else []
                base = base[:len(base) - (node.level - 1)] if node.level > 1 else base
                target = ".".join(base + ([node.module] if node.module else []))
            elif (node.module or "").startswith("minitorch"):
                target = node.module[len("minitorch."):] if node.module != "minitorch" else ""
            else:
                continue
            found.update(_existing(f"{target}.{a.name}".lstrip(".")) for a in node.names)
        elif isinstance(node, ast.Import):
            found.update(_existing(a.name[len("minitorch."):]) for a in node.names if a.name.startswith("minitorch."))
    return found - {module}


def _core_graph():
    graph = {}
    for path in PACKAGE.rglob("*.py"):
        module = _module_name(path)
        if _layer(module) is not None:
            graph[module] = {t for t in _imports(path) if t}
    return graph


def test_core_modules_import_only_their_layer_or_lower():
    wrong = []
    for module, targets in _core_graph().items():
        for target in targets:
            target_layer = _layer(target)
            if target_layer is None or target_layer > _layer(module):
                wrong.append(f"{module} ({LAYERS[_layer(module)][0]}) imports {target} "
                             f"({'outside the core' if target_layer is None else LAYERS[target_layer][0]})")
    assert not wrong, "\n".join(sorted(wrong))


def test_core_import_graph_has_no_cycle():
    graph = _core_graph()
    state = {}

    def visit(module, trail):
        state[module] = "open"
        for target in sorted(graph.get(module, ())):
            if state.get(target) == "open":
                raise AssertionError("import cycle: " + " -> ".join(trail + [module, target]))
            if target not in state:
                visit(target, trail + [module])
        state[module] = "done"
    for module in sorted(graph):
        if module not in state:
            visit(module, [])


def test_every_core_module_has_a_layer():
    """Each module under the core packages (ops, autograd, backends) is placed in a layer."""
    for path in PACKAGE.rglob("*.py"):
        module = _module_name(path)
        if module.split(".")[0] in ("ops", "autograd") or module.startswith("backends.meta"):
            assert _layer(module) is not None, module
