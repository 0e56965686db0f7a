"""Imports run one way, layer by layer, with no cycle; a chapter never imports another chapter's analysis.

Every ``import`` in the package counts, at module level or inside a function (a late import is still
a dependency). A chapter is a package under ``irem/experiments/`` that declares an experiment.
"""

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "irem"
CORE = ("experiment", "running", "results", "plan", "sweep", "paper")  # irem.experiments' own modules

# lowest first; a module may import from its own layer or any below it
LAYERS = [
    (
        "irem.validate",
        "irem.spread",
        "irem.atomic",
        "irem.curves",
        "irem.profiles",
        "irem.config",
        "irem.recipes",
        "irem.provenance",
        "irem.weights",
    ),
    ("irem.models", "irem.tasks"),
    ("irem.minimize", "irem.ired", "irem.replay", "irem.compiled", "irem.graphed"),
    ("irem.methods",),
    ("irem.train", "irem.evaluate", "irem.eval_stages", "irem.demo"),
    ("irem.store",),
    ("irem.measure", "irem.verify", *(f"irem.experiments.{m}" for m in CORE)),
    ("irem.book",),
    ("<chapters>",),
    ("irem.summary", "irem.performance"),
    ("irem.cli",),
]


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in PACKAGE.rglob("*.py")}


def chapter_of(module: str) -> str | None:
    """``graph`` for ``irem.experiments.graph`` and everything under it; None for the experiments' core."""
    parts = module.split(".")
    if len(parts) >= 3 and parts[:2] == ["irem", "experiments"] and parts[2] not in CORE:
        return parts[2]
    return None


def layer(module: str) -> int:
    if chapter_of(module):
        return LAYERS.index(("<chapters>",))
    if module in ("irem", "irem.experiments"):  # the package roots: their imports are what they re-export
        return {
            "irem": 0,
            "irem.experiments": LAYERS.index(("irem.measure", "irem.verify", *(f"irem.experiments.{m}" for m in CORE))),
        }[module]
    for i, prefixes in enumerate(LAYERS):
        if any(module == p or module.startswith(p + ".") for p in prefixes):
            return i
    raise AssertionError(f"{module} is in no layer of tests/test_layers.py: add it to LAYERS")


def imports(module: str) -> set[str]:
    """The package's modules ``module`` imports (``from irem.x import y`` counts y when y is a module)."""
    found = set()
    for node in ast.walk(ast.parse(MODULES[module].read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("irem"):
            submodules = {f"{node.module}.{a.name}" for a in node.names} & MODULES.keys()
            found.update(submodules)
            if len(submodules) < len(node.names):  # names defined by the module itself (or its __init__)
                found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("irem"))
    return {m for m in found if m in MODULES and m != module}


GRAPH = {m: imports(m) for m in MODULES}


def test_every_import_goes_to_the_same_layer_or_below():
    upward = [f"{m} (layer {layer(m)}) imports {o} (layer {layer(o)})" for m, deps in GRAPH.items() for o in deps
              if layer(o) > layer(m) and not (m == "irem.experiments" and chapter_of(o))]  # fmt: skip
    assert not upward, "\n".join(upward)


def test_no_chapter_imports_another_chapters_analysis_or_figures():
    crossing = [f"{m} imports {o}" for m, deps in GRAPH.items() for o in deps
                if chapter_of(m) and chapter_of(o) and chapter_of(o) != chapter_of(m)
                and o.split(".")[3:4] not in (["experiment"], [])]  # fmt: skip
    assert not crossing, "\n".join(crossing)


def test_there_is_no_import_cycle():
    state: dict[str, int] = {}  # 1: on the current path, 2: done

    def visit(m: str, path: list[str]) -> list[str] | None:
        state[m] = 1
        for o in sorted(GRAPH[m]):
            if state.get(o) == 1:
                return [*path, m, o]
            if o not in state and (cycle := visit(o, [*path, m])):
                return cycle
        state[m] = 2
        return None

    for m in sorted(GRAPH):
        if m not in state and (cycle := visit(m, [])):
            raise AssertionError(" -> ".join(cycle[cycle.index(cycle[-1]) :]))


def test_the_layers_name_every_module():
    for m in MODULES:
        layer(m)
