"""`tagger train` end to end, as named steps: load data -> fit -> calibrate -> evaluate (ours and
baselines, on the test split and every named evaluation set) -> report -> store and promote."""

from __future__ import annotations

import json
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from tagger.data.records import Article
from tagger.data.schema import LabelSchema
from tagger.engine.calibration import tune_thresholds
from tagger.engine.encoder import DEFAULT_ENCODER_PACKAGE
from tagger.engine.narrow import narrow_feed_forward
from tagger.engine.registry import PROMOTION_KEYS, Registry, should_promote
from tagger.engine.runtime import configure_threads, machine_name, pick_device, use_bf16
from tagger.engine.tagger import Tagger
from tagger.paths import project_dir
from training import baselines
from training.augment import pick_views, realnews_like, training_views
from training.config import RunConfig, config_hash, dump
from training.data import (
    TRAINED_ON_FILE,
    data_hash,
    label_arrays,
    load_articles,
    resolve_paths,
    seen_in_training,
    split_for_training,
    to_dataset,
    trained_on,
)
from training.distill import Teacher, load_teacher
from training.fit import Trainer, seed_everything
from training.metrics import evaluate, paired_differences
from training.report import (
    REPORT_FILE,
    comparison_table,
    intervals_line,
    paired_line,
    seen_line,
    training_metrics,
    write_report,
)
from training.start import Start, sample_windows, starting_network

OURS = "fine-tuned"
TEST = "test split"


@dataclass
class RunResult:
    tag: str
    promoted: bool
    reason: str
    run_dir: Path
    metrics: dict


@dataclass
class RunData:
    paths: list[Path]
    splits: dict[str, list[Article]]
    eval_sets: dict[str, list[Article]]  # named extra sets (real news), those whose file exists
    calibration: tuple[list[Article], list[str]] = ([], [])  # validation as rules are fitted on it
    started: float = field(default_factory=time.time)
    phases: dict[str, float] = field(default_factory=dict)

    def lap(self, name: str) -> None:
        self.phases[name] = round(time.time() - self.started - sum(self.phases.values()), 1)


def git_commit() -> str | None:
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=project_dir(), capture_output=True, text=True)
        dirty = subprocess.run(
            ["git", "status", "--porcelain"], cwd=project_dir(), capture_output=True, text=True
        )
    except OSError:
        return None
    if out.returncode:
        return None
    return out.stdout.strip() + ("-dirty" if dirty.stdout.strip() else "")


def evaluate_tagger(tagger: Tagger, articles: list[Article]) -> dict:
    y_t, y_f = label_arrays(articles, tagger.schema)
    s = tagger.predict_proba(baselines.texts_of(articles))
    return evaluate(s.topics, tagger.thresholds, y_t, s.framing, y_f, tagger.schema, [a.id for a in articles])


def load_eval_sets(cfg: RunConfig, schema: LabelSchema) -> dict[str, list[Article]]:
    """The config's named evaluation sets whose file exists (a fresh machine may have none)."""
    out = {}
    for name, path in cfg.eval_sets.items():
        [resolved] = resolve_paths([path])
        if resolved.exists():
            out[name] = load_articles([resolved], schema)
        else:
            print(f"evaluation set '{name}' skipped: {resolved} does not exist")
    return out


def load_data(cfg: RunConfig, schema: LabelSchema) -> RunData:
    paths = resolve_paths(cfg.data.paths)
    articles = load_articles(paths, schema)  # stops here, before any work, on bad label files
    data = RunData(paths, split_for_training(articles, schema, cfg.data.split), {})
    data.eval_sets = load_eval_sets(cfg, schema)
    data.calibration = calibration_set(cfg, data.splits["validation"])
    sizes = {**{k: len(v) for k, v in data.splits.items()}, **{k: len(v) for k, v in data.eval_sets.items()}}
    print(" ".join(f"{k}: {v}" for k, v in sizes.items()), "articles")
    return data


def fit_tagger(
    cfg: RunConfig,
    data: RunData,
    start: Start,
    schema: LabelSchema,
    provenance: dict,
    teacher: Teacher | None,
) -> Tagger:
    """Fine-tune the starting network on the training split, each epoch on one view per article
    (and, with a teacher, on its scores of those views too)."""
    configure_threads()
    seed_everything(cfg.train.seed)
    device = pick_device()
    model, tokenizer = start.model, start.tokenizer
    w = cfg.windows
    aug = cfg.augment
    views = training_views(data.splits["train"], aug, cfg.train.seed)
    train_ds = to_dataset(data.splits["train"], schema, tokenizer, w.max_length, w.overlap, views)
    if width := cfg.encoder.intermediate_size:
        narrow_feed_forward(model.encoder, width, sample_windows(train_ds, cfg.train.seed))
    data.lap("load")
    Trainer(cfg.train, device, tokenizer.pad_token_id).fit(
        model, train_ds, lambda rng: pick_views(views, aug, rng), teacher, cfg.distill.weight
    )
    data.lap("train")
    return Tagger(
        model=model,
        tokenizer=tokenizer,
        schema=schema,
        max_length=w.max_length,
        overlap=w.overlap,
        device=device,
        bf16=cfg.train.bf16,
        info=provenance,
    )


def calibration_set(cfg: RunConfig, articles: list[Article]) -> tuple[list[Article], list[str]]:
    """Validation articles as the rules are fitted on: as real pages arrive (whole and as excerpts,
    headlines often missing) when calibration.realnews_like, else as written."""
    if not cfg.calibration.realnews_like:
        return articles, baselines.texts_of(articles)
    pairs = realnews_like(articles, cfg.augment, cfg.train.seed)
    return [a for a, _ in pairs], [t for _, t in pairs]


def calibrate(tagger: Tagger, cfg: RunConfig, data: RunData) -> None:
    """The tagger fits its own decision rules on the validation split (as real pages arrive)."""
    articles, texts = data.calibration
    y_topics, y_framing = label_arrays(articles, tagger.schema)
    c = cfg.calibration
    tagger.calibrate(
        texts,
        y_topics,
        y_framing,
        framing_bias=c.framing_bias,
        topic_threshold=c.topic_threshold,
        threshold_beta=c.threshold_beta,
    )


def evaluate_all(tagger: Tagger, cfg: RunConfig, data: RunData) -> dict[str, dict[str, dict]]:
    """{set name: {model name: metrics}}: ours and the baselines on the test split and each named set."""
    sets = {TEST: data.splits["test"], **data.eval_sets}
    results = {name: {OURS: evaluate_tagger(tagger, arts)} for name, arts in sets.items()}
    data.lap("calibrate_evaluate")
    if cfg.baselines:
        for model_name, per_set in run_baselines(cfg, data, tagger.schema, sets).items():
            for set_name, metrics in per_set.items():
                results[set_name][model_name] = metrics
        data.lap("baselines")
    return results


def frozen_baseline_name(pretrained: str) -> str:
    """The frozen-embedding baseline is named for the encoder it embeds with."""
    name = "minilm" if pretrained == DEFAULT_ENCODER_PACKAGE else Path(pretrained).name
    return f"frozen-{name}+logreg"


def run_baselines(
    cfg: RunConfig, data: RunData, schema: LabelSchema, sets: dict[str, list[Article]]
) -> dict[str, dict[str, dict]]:
    """Each baseline fitted on the training split, per-topic thresholds tuned on the same validation
    texts as ours (their better rule: a fixed 0.5 scored TF-IDF + LR 0.005 lower on real-news dev),
    then scored on every set: {baseline: {set: metrics}}."""
    feats = {"tfidf+logreg": baselines.tfidf_features()}
    if cfg.encoder.pretrained:
        feats[frozen_baseline_name(cfg.encoder.pretrained)] = baselines.frozen_encoder_features(
            cfg.encoder.pretrained, schema
        )
    val_articles, val_texts = data.calibration
    out = {}
    for name, featurize in feats.items():
        model = baselines.LinearBaseline(featurize, schema, cfg.train.seed)
        model.fit(baselines.texts_of(data.splits["train"]), *label_arrays(data.splits["train"], schema))
        val_t, _ = model.predict_proba(val_texts)
        beta = cfg.calibration.threshold_beta
        thresholds = tune_thresholds(val_t, label_arrays(val_articles, schema)[0], schema.topics, beta)
        out[name] = {}
        for set_name, arts in sets.items():
            probs_t, probs_f = model.predict_proba(baselines.texts_of(arts))
            y_t, y_f = label_arrays(arts, schema)
            out[name][set_name] = evaluate(probs_t, thresholds, y_t, probs_f, y_f, schema)
    return out


def promotion_comparison(
    results: dict[str, dict[str, dict]], cfg: RunConfig, promoted: dict | None
) -> tuple[str, dict, dict | None]:
    """(set, this run's figures, the promoted model's figures) to decide promotion on: the set
    registry.promote_on when this run and the promoted model both have figures on it (like with
    like), else the test split."""
    basis = cfg.registry.promote_on
    if basis and basis != TEST and basis in results:
        before = None if promoted is None else {k: promoted.get(f"{basis}/{k}") for k in PROMOTION_KEYS}
        if before is None or None not in before.values():
            return basis, results[basis][OURS], before
    return TEST, results[TEST][OURS], promoted


def paired_with(model_dir: Path, set_name: str, ours: dict, schema: LabelSchema) -> dict | None:
    """This run against a stored model on the articles both were scored on in `set_name` (the
    stored run's per-article decisions), or None when that run kept none."""
    theirs = training_metrics(model_dir).get(set_name, {}).get(OURS, {}).get("decisions")
    if not theirs:
        return None
    return paired_differences(ours.get("decisions", {}), theirs, len(schema.topics), len(schema.framings))


def decide_promotion(
    registry: Registry, cfg: RunConfig, results: dict, schema: LabelSchema, force: bool
) -> tuple[str, bool, str]:
    """(set compared on, promote?, why): this run against the promoted model, before anything is
    stored, so the run's report and the stored model's copy of it both carry the verdict."""
    current = registry.promoted()
    basis, chosen, previous = promotion_comparison(
        results, cfg, registry.metadata(current) if current else None
    )
    paired = paired_with(registry.path(current), basis, chosen, schema) if current else None
    rule = paired if cfg.registry.promote_rule == "paired" else None
    ok, reason = should_promote(chosen, previous, cfg.registry.promote_tolerance, rule)
    reason = f"on {basis}: {reason}"
    if rule is None and (line := paired_line(paired)):  # the paired rule's verdict already cites them
        reason += f"; {line}"
    if not ok and force:
        ok, reason = True, f"forced (--force); {reason}"
    return basis, ok, reason


def store(registry: Registry, tagger: Tagger, run: dict, results: dict, run_dir: Path, basis: str) -> str:
    """The model, its headline figures as metadata, and the run's files beside its weights."""
    keys = ("topics_macro_f1", "topics_micro_f1", "framing_macro_f1", "framing_accuracy", "framing_ece")
    metadata = {
        **{k: results[TEST][OURS][k] for k in keys},
        **{f"{name}/{k}": results[name][OURS][k] for name in results if name != TEST for k in keys},
        "promote_on": basis,
        **{k: run[k] or "" for k in ("config", "config_hash", "data_hash", "git_commit", "trained_at")},
        **{k: run[k] for k in ("init_from", "teacher") if k in run},
    }
    names = ("config.yaml", "metrics.json", REPORT_FILE, TRAINED_ON_FILE)
    return registry.save(tagger, metadata, {name: run_dir / name for name in names}, tag=run["model"])


def warn_seen(sets: dict[str, list[Article]], trained: dict[str, list[str]]) -> dict[str, dict[str, int]]:
    """Named evaluation sets holding articles the model trains on: said, and kept in the record."""
    seen = seen_in_training(sets, trained)
    for name, n in seen.items():
        print(f"warning: evaluation set '{name}': {seen_line(n, len(sets[name]))}")
    return seen


def same_inputs(registry: Registry, provenance: dict) -> list[str]:
    """Stored models trained from the same config (seed included), label data, starting model and
    teacher as this run."""
    keys = ("config_hash", "data_hash", "init_from", "teacher")
    return [m.tag for m in registry.list() if all(m.metadata.get(k) == provenance.get(k) for k in keys)]


def run_training(
    cfg: RunConfig, config_name: str, runs_dir: Path, force: bool = False, schema_path=None
) -> RunResult:
    schema = LabelSchema.load(schema_path)
    data = load_data(cfg, schema)
    start = starting_network(cfg, schema)
    teacher = load_teacher(cfg, schema, start.tokenizer)
    provenance = {
        "trained_at": time.strftime("%Y-%m-%dT%H:%M:%S"),
        "data_hash": data_hash(data.paths),
        "config_hash": config_hash(cfg),
        "git_commit": git_commit(),
        # by full tag: a store's name in the config resolves to the model it promoted
        **({"init_from": start.init_from} if start.init_from else {}),
        **({"teacher": teacher.tag} if teacher else {}),
    }
    registry = Registry(cfg.registry.name)
    if twins := same_inputs(registry, provenance):
        print(
            f"note: {', '.join(twins)} was trained from this same config and data; this run trains "
            "another, stored beside it (the same seed gives the same figures on the same CPU class)"
        )
    tagger = fit_tagger(cfg, data, start, schema, provenance, teacher)
    calibrate(tagger, cfg, data)
    results = evaluate_all(tagger, cfg, data)

    run = {
        "config": config_name,
        **provenance,
        "seed": cfg.train.seed,
        # bf16 kernels differ by CPU class, so the same config, data and seed give other figures there
        "machine": machine_name(device := pick_device()),
        "train_precision": "bf16" if use_bf16(device, cfg.train.bf16) else "fp32",
        "split_sizes": {k: len(v) for k, v in data.splits.items()},
        "eval_sets": {k: len(v) for k, v in data.eval_sets.items()},
        "temperature": round(tagger.temperature, 4),
        "framing_bias": tagger.framing_bias,
        "thresholds": tagger.thresholds,
        "wall_seconds": round(time.time() - data.started, 1),
        "phase_seconds": data.phases,  # saving comes after
    }
    trained = trained_on(data.splits)
    if seen := warn_seen(data.eval_sets, trained):
        run["seen_in_training"] = seen
    if twins:
        run["same_config_and_data_as"] = twins
    run_dir = runs_dir / provenance["trained_at"].replace(":", "")
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / "config.yaml").write_text(dump(cfg))
    (run_dir / TRAINED_ON_FILE).write_text(json.dumps(trained))
    run["model"] = registry.new_tag()
    basis, promoted, reason = decide_promotion(registry, cfg, results, schema, force)
    write_report(run_dir, "Training run", results, schema, run, promotion=(promoted, reason))
    try:
        tag = store(registry, tagger, run, results, run_dir, basis)
        if promoted:
            registry.promote(tag)
    except BaseException as e:  # the report gave the verdict in advance: say what happened instead
        failed = f"{type(e).__name__}: {e} (the verdict would have been: {reason})"
        write_report(run_dir, "Training run", results, schema, run, promotion=(None, failed))
        raise
    for name, per_model in results.items():
        print(f"\n{name}:\n" + comparison_table(per_model) + "\n" + intervals_line(per_model))
    return RunResult(tag=tag, promoted=promoted, reason=reason, run_dir=run_dir, metrics=results[TEST][OURS])
