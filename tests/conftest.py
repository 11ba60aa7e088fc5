import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

# Tests never touch the user's model store: one throwaway BentoML home for the whole session,
# set before anything imports bentoml. Tests that need isolation use their own registry name.
os.environ["BENTOML_HOME"] = tempfile.mkdtemp(prefix="tagger-test-bentoml-")
os.environ["BENTOML_DO_NOT_TRACK"] = "True"
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def schema():
    from tagger.data.schema import LabelSchema

    return LabelSchema.load()


def load_benchmark(name: str):
    """A script of benchmarks/ as a module (they are scripts, not a package)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(name, REPO / "benchmarks" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run_tagger(*args: str, **kw) -> subprocess.CompletedProcess:
    """Run the real `tagger` console entry point in a subprocess."""
    return subprocess.run(
        [sys.executable, "-m", "tagger.cli", *args],
        capture_output=True,
        text=True,
        cwd=kw.pop("cwd", REPO),
        **kw,
    )


def train_tiny(data: Path, registry: str = "article-tagger", *extra: str) -> subprocess.CompletedProcess:
    """`tagger train` with the tiny random-BERT config on `data`, into the named registry."""
    return run_tagger(
        "train",
        "--config",
        "tiny",
        "--set",
        f"data.paths=[{data}]",
        "--set",
        f"registry.name={registry}",
        *extra,
    )


@pytest.fixture(scope="session")
def small_corpus(tmp_path_factory, schema) -> Path:
    """A few dozen corpus articles chosen so every label appears in every split (tiny training runs)."""
    from tagger.data.corpus import load_labelled
    from tagger.data.split import split_of

    articles, problems = load_labelled([REPO / "labels"], schema)
    assert articles and not problems
    need = {(s, lab) for s in ("train", "validation", "test") for lab in (*schema.topics, *schema.framings)}
    picked = []
    for a in sorted(articles, key=lambda a: a.id):
        split = split_of(a.id, TINY_SPLIT)
        labels = {(split, lab) for lab in (*a.topics, a.framing)}
        if labels & need or sum(split_of(p.id, TINY_SPLIT) == split for p in picked) < 12:
            picked.append(a)
            need -= labels
        if not need and len(picked) >= 36:
            break
    path = tmp_path_factory.mktemp("data") / "small.jsonl"
    path.write_text("".join(json.dumps(a.to_record()) + "\n" for a in picked), encoding="utf-8")
    return path


TINY_SPLIT = (0.6, 0.2, 0.2)


@pytest.fixture(scope="module")
def promoted_tiny(small_corpus) -> str:
    """A tiny model trained on the small corpus and promoted in the default registry; its tag."""
    from tagger.engine.registry import Registry

    res = train_tiny(
        small_corpus, "article-tagger", "--force", "--runs-dir", str(small_corpus.parent / "runs")
    )
    assert res.returncode == 0, res.stderr[-3000:]
    return Registry().promoted()  # training/configs/tiny.yaml


@pytest.fixture(scope="module")
def server(promoted_tiny):
    """A real `bentoml serve` of the API on a free localhost port serving the tiny model, one per
    test module (a module that needs other settings defines its own)."""
    from service.local_server import LocalServer

    s = LocalServer(cwd=REPO)
    yield s
    s.stop()
