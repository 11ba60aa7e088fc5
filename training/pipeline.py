"""`tagger train` end to end: data -> fit -> calibrate -> evaluate (+ baselines) -> report -> registry."""

from __future__ import annotations

import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tagger.corpus import Article
from tagger.encoder import build_encoder
from tagger.model import ArticleTagger
from tagger.predictor import Tagger, sigmoid
from tagger.registry import Registry, should_promote
from tagger.runtime import configure_threads, pick_device
from tagger.schema import REPO_ROOT, LabelSchema
from training import baselines
from training.calibrate import fit_temperature, tune_thresholds
from training.config import config_hash, dump
from training.data import data_hash, label_arrays, load_articles, resolve, split_for_training, to_dataset
from training.fit import Trainer, seed_everything
from training.metrics import evaluate
from training.report import comparison_table, write_report

SEEDS = REPO_ROOT / "seeds" / "seeds.jsonl"


@dataclass
class RunResult:
    tag: str
    promoted: bool
    reason: str
    run_dir: Path
    metrics: dict


def git_commit() -> str | None:
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPO_ROOT, capture_output=True, text=True)
        dirty = subprocess.run(
            ["git", "status", "--porcelain"], cwd=REPO_ROOT, capture_output=True, text=True
        )
    except OSError:
        return None
    if out.returncode:
        return None
    return out.stdout.strip() + ("-dirty" if dirty.stdout.strip() else "")


def evaluate_tagger(tagger: Tagger, articles: list[Article]) -> dict:
    y_t, y_f = label_arrays(articles, tagger.schema)
    s = tagger.scores(baselines.texts_of(articles))
    return evaluate(s.topics, tagger.thresholds, y_t, s.framing, y_f, tagger.schema)


def run_baselines(cfg: dict, splits: dict[str, list[Article]], schema: LabelSchema) -> dict[str, dict]:
    feats = {"tfidf+logreg": baselines.tfidf_features()}
    if cfg["encoder"]["pretrained"]:
        feats["frozen-minilm+logreg"] = baselines.frozen_encoder_features(
            cfg["encoder"]["pretrained"], schema
        )
    out = {}
    for name, featurize in feats.items():
        model = baselines.LinearBaseline(featurize, schema, cfg["train"]["seed"])
        model.fit(baselines.texts_of(splits["train"]), *label_arrays(splits["train"], schema))
        val_t, _ = model.predict_proba(baselines.texts_of(splits["validation"]))
        thresholds = tune_thresholds(val_t, label_arrays(splits["validation"], schema)[0], schema.topics)
        test_t, test_f = model.predict_proba(baselines.texts_of(splits["test"]))
        out[name] = evaluate(test_t, thresholds, *_pair(label_arrays(splits["test"], schema), test_f), schema)
    return out


def _pair(labels: tuple[np.ndarray, np.ndarray], framing_probs: np.ndarray):
    y_t, y_f = labels
    return y_t, framing_probs, y_f


def run_training(
    cfg: dict, config_name: str, runs_dir: Path, force: bool = False, schema_path=None
) -> RunResult:
    started = time.time()
    schema = LabelSchema.load(schema_path) if schema_path else LabelSchema.load()
    paths = resolve(cfg["data"]["paths"])
    articles = load_articles(paths, schema)  # stops here, before any work, on bad label files
    splits = split_for_training(articles, schema, cfg["data"]["split"])
    print(" ".join(f"{k}: {len(v)}" for k, v in splits.items()), "articles")

    configure_threads()
    seed_everything(cfg["train"]["seed"])
    device = pick_device()
    encoder, tokenizer = build_encoder(cfg["encoder"]["pretrained"], cfg["encoder"]["random_init"])
    model = ArticleTagger(encoder, len(schema.topics), len(schema.framings), cfg["train"]["dropout"])
    w = cfg["windows"]
    train_ds = to_dataset(splits["train"], schema, tokenizer, w["max_length"], w["overlap"])
    phases = {"load": time.time() - started}
    Trainer(cfg["train"], device, tokenizer.pad_token_id).fit(model, train_ds)
    phases["train"] = time.time() - started - sum(phases.values())

    tagger = Tagger(
        model=model,
        tokenizer=tokenizer,
        schema=schema,
        max_length=w["max_length"],
        overlap=w["overlap"],
        device=device,
        bf16=cfg["train"]["bf16"],
    )
    val_t, val_f, _ = tagger.logits(baselines.texts_of(splits["validation"]))
    y_vt, y_vf = label_arrays(splits["validation"], schema)
    tagger.temperature = fit_temperature(val_f, y_vf)
    tagger.thresholds = tune_thresholds(sigmoid(val_t), y_vt, schema.topics)

    results = {"fine-tuned": evaluate_tagger(tagger, splits["test"])}
    extra = {}
    if SEEDS.exists():
        extra["Seed articles (real news)"] = evaluate_tagger(tagger, load_articles([SEEDS], schema))
    phases["calibrate_evaluate"] = time.time() - started - sum(phases.values())
    if cfg["baselines"]:
        results.update(run_baselines(cfg, splits, schema))
        phases["baselines"] = time.time() - started - sum(phases.values())

    trained_at = time.strftime("%Y-%m-%dT%H:%M:%S")
    run = {
        "config": config_name,
        "config_hash": config_hash(cfg),
        "data_hash": data_hash(paths),
        "git_commit": git_commit(),
        "seed": cfg["train"]["seed"],
        "trained_at": trained_at,
        "split_sizes": {k: len(v) for k, v in splits.items()},
        "temperature": round(tagger.temperature, 4),
        "thresholds": tagger.thresholds,
        "wall_seconds": round(time.time() - started, 1),
        "phase_seconds": {k: round(v, 1) for k, v in phases.items()},  # saving comes after
    }
    run_dir = runs_dir / trained_at.replace(":", "")
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / "config.yaml").write_text(dump(cfg))
    report = write_report(run_dir, "Training run", results, schema, run, extra)
    print(comparison_table(results))

    ours = results["fine-tuned"]
    tagger.info = {k: run[k] for k in ("trained_at", "data_hash", "config_hash", "git_commit")}
    registry = Registry(cfg["registry"]["name"])
    current = registry.promoted()
    metadata = {
        **{
            k: ours[k]
            for k in (
                "topics_macro_f1",
                "topics_micro_f1",
                "framing_macro_f1",
                "framing_accuracy",
                "framing_ece",
            )
        },
        **{k: run[k] or "" for k in ("config", "config_hash", "data_hash", "git_commit", "trained_at")},
    }
    tag = registry.save(
        tagger,
        metadata,
        {
            "config.yaml": run_dir / "config.yaml",
            "metrics.json": run_dir / "metrics.json",
            "report.md": report,
        },
    )
    ok, reason = should_promote(
        ours, registry.metadata(current) if current else None, cfg["registry"]["promote_tolerance"]
    )
    if not ok and force:
        ok, reason = True, f"forced (--force); {reason}"
    if ok:
        registry.promote(tag)
    run["model"] = tag
    write_report(run_dir, "Training run", results, schema, run, extra)
    return RunResult(tag=tag, promoted=ok, reason=reason, run_dir=run_dir, metrics=ours)
