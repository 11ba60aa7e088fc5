"""The package layout holds: imports flow one way (no cycles), no two classes share a name, and
importing the library has no side effects on the environment."""

import ast
import os
import subprocess
import sys
from collections import Counter

from conftest import REPO

# A module may import only from its own layer or the ones below it.
LAYERS = [
    ("tagger.paths",),
    ("tagger.data",),
    ("tagger.engine",),
    ("tagger.results", "tagger.scoring"),
    ("training",),
    ("tagger.cli", "service"),
]
PACKAGES = ("tagger", "training", "service")


def modules() -> dict[str, ast.Module]:
    out = {}
    for pkg in PACKAGES:
        for path in (REPO / pkg).rglob("*.py"):
            name = ".".join(path.relative_to(REPO).with_suffix("").parts).removesuffix(".__init__")
            out[name] = ast.parse(path.read_text(), str(path))
    return out


def layer(module: str) -> int | None:
    for i, prefixes in enumerate(LAYERS):
        if any(module == p or module.startswith(p + ".") for p in prefixes):
            return i
    return None  # tagger/__init__.py: the lazy public API


def imports(tree: ast.Module) -> set[str]:
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found |= {node.module} | {f"{node.module}.{a.name}" for a in node.names}
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
    return {m for m in found if m.split(".")[0] in PACKAGES}


def test_imports_flow_one_way_without_cycles():
    mods = modules()
    graph = {name: {m for m in imports(tree) if m in mods} for name, tree in mods.items()}
    wrong = [
        f"{a} imports {b}"
        for a, deps in graph.items()
        for b in deps
        if layer(a) is not None and layer(b) is not None and layer(b) > layer(a)
    ]
    assert not wrong, wrong
    # layers within one package must not import each other in a circle either
    state: dict[str, int] = {}

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for dep in graph[node]:
            assert state.get(dep) != 1, "import cycle: " + " -> ".join(path + [dep])
            if dep not in state:
                visit(dep, path + [dep])
        state[node] = 2

    for name in graph:
        if name not in state:
            visit(name, [name])


def test_no_two_classes_share_a_name():
    names = Counter(
        node.name for tree in modules().values() for node in ast.walk(tree) if isinstance(node, ast.ClassDef)
    )
    assert not [n for n, c in names.items() if c > 1], names


def test_importing_the_library_changes_no_environment():
    code = (  # third-party imports first: torch sets its own variables on import
        "import os, torch, bentoml, datasets, sklearn; from transformers import AutoModel, BertModel; "
        "before = dict(os.environ); "
        "import tagger.engine.tagger, tagger.engine.registry, tagger.results.annotate, training.pipeline; "
        "assert dict(os.environ) == before, set(os.environ.items()) ^ set(before.items())"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")}
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=REPO)
    assert res.returncode == 0, res.stderr[-2000:]


def test_no_script_shadows_a_package():
    """Scripts run as `python benchmarks/x.py` have their own folder first on sys.path: a script
    named like a package (benchmarks/training.py) hides it from every script beside it."""
    for folder in ("benchmarks", "tests"):  # folders of scripts, put first on sys.path when run
        names = {p.stem for p in (REPO / folder).glob("*.py")}
        assert not names & set(PACKAGES), (folder, names & set(PACKAGES))
