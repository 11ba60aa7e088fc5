"""A student trained against a teacher's scores (training/distill.py, `distill:` in the config)."""

import json

import pytest
import torch

from conftest import run_tagger, train_tiny


@pytest.fixture(scope="module")
def teacher(small_corpus, tmp_path_factory) -> str:
    """A tiny model promoted in its own store: the teacher of the students below."""
    from tagger.engine.registry import Registry

    res = train_tiny(small_corpus, "t-teacher", "--runs-dir", str(tmp_path_factory.mktemp("teacher-runs")))
    assert res.returncode == 0, res.stderr[-3000:]
    return Registry("t-teacher").promoted()


def test_the_soft_loss_pulls_the_student_to_the_teachers_scores(teacher):
    """At the teacher's own logits the soft loss has no gradient; away from them its gradient
    points back towards them, on both heads."""
    from tagger.engine.registry import Registry
    from tagger.engine.windows import make_windows
    from training.config import LossWeights
    from training.distill import Teacher

    tagger = Registry("t-teacher").load(teacher)
    t = Teacher(tagger, temperature=2.0, weights=LossWeights())
    texts = ["Pakistan and Bangladesh signed a trade pact in Dhaka.", "India protested the naval drill."]
    win = make_windows(tagger.tokenizer, texts, tagger.max_length, tagger.overlap)
    article = torch.tensor(win.article_index)
    t_topics, t_framing = t.logits(win.input_ids, article)

    def grads(s_topics, s_framing):
        s_topics, s_framing = s_topics.clone().requires_grad_(), s_framing.clone().requires_grad_()
        t.soft_loss(win.input_ids, article, s_topics, s_framing).backward()
        return s_topics.grad, s_framing.grad

    g_t, g_f = grads(t_topics, t_framing)
    assert g_t.abs().max() < 1e-6 and g_f.abs().max() < 1e-6
    g_t, g_f = grads(t_topics + 1.0, t_framing + torch.tensor([3.0, 0.0, 0.0]))
    assert (g_t > 0).all()  # too high: the loss falls as the student's topic logits fall
    assert (g_f[:, 0] > 0).all() and (g_f[:, 1:] < 0).all()
    t.weights = LossWeights(topics=0.0, framing=1.0)  # distill.loss_weights: framing only
    g_t, g_f = grads(t_topics + 1.0, t_framing + torch.tensor([3.0, 0.0, 0.0]))
    assert (g_t == 0).all() and (g_f[:, 0] > 0).all()


def test_a_distilled_student_trains_and_names_its_teacher(small_corpus, teacher, tmp_path):
    from tagger.engine.registry import Registry

    res = train_tiny(
        small_corpus,
        "t-student",
        "--set",
        "encoder.layers=1",
        "--set",
        "distill.teacher=t-teacher",
        "--runs-dir",
        str(tmp_path),
    )
    assert res.returncode == 0, res.stderr[-3000:]
    student = Registry("t-student").load()
    assert student.model.encoder.config.num_hidden_layers == 1
    assert student.info["teacher"] == teacher  # the store's name resolved to the model it promoted
    assert Registry("t-student").metadata(student.info["tag"])["teacher"] == teacher
    [run_dir] = tmp_path.iterdir()
    assert json.loads((run_dir / "metrics.json").read_text())["run"]["teacher"] == teacher
    assert f"- teacher: `{teacher}`" in (run_dir / "report.md").read_text()


def test_a_student_starts_from_a_stored_model_and_narrows_it(small_corpus, teacher, tmp_path):
    """encoder.init_from: the run starts from the stored model's own encoder and heads (with a
    learning rate too small to move them, the student is the teacher: heads equal, every kept
    feed-forward unit one of the teacher's), narrowed by encoder.intermediate_size; the run names
    the model it started from."""
    from tagger.engine.registry import Registry

    still = ("train.learning_rate=1e-12", "train.head_learning_rate=1e-12", "train.max_steps=1")
    settings = ("encoder.init_from=t-teacher", "encoder.intermediate_size=16", *still)
    res = train_tiny(
        small_corpus, "t-started", *[x for s in settings for x in ("--set", s)], "--runs-dir", str(tmp_path)
    )
    assert res.returncode == 0, res.stderr[-3000:]
    student, source = Registry("t-started").load(), Registry("t-teacher").load(teacher)
    s_net, t_net = student.model, source.model
    for head in ("topic_head", "framing_head"):
        assert torch.allclose(getattr(s_net, head).weight, getattr(t_net, head).weight, atol=1e-6)
    assert s_net.encoder.config.intermediate_size == 16
    for s_layer, t_layer in zip(s_net.encoder.encoder.layer, t_net.encoder.encoder.layer, strict=True):
        s_rows, t_rows = s_layer.intermediate.dense.weight, t_layer.intermediate.dense.weight
        gaps = (s_rows[:, None] - t_rows[None]).abs().amax(-1)  # (16 kept, 64 of the teacher's)
        assert gaps.min(dim=1).values.max() < 1e-6  # each kept unit is one of the teacher's, unchanged
    assert student.info["init_from"] == teacher
    assert Registry("t-started").metadata(student.info["tag"])["init_from"] == teacher
    [run_dir] = tmp_path.iterdir()
    assert json.loads((run_dir / "metrics.json").read_text())["run"]["init_from"] == teacher
    assert f"- init_from: `{teacher}`" in (run_dir / "report.md").read_text()


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        (["distill.teacher=t-nobody"], "distill.teacher 't-nobody': no 't-nobody' model is promoted"),
        (["distill.teacher=t-teacher:nosuchversion"], "no stored model 't-teacher:nosuchversion'"),
        (["windows.max_length=48"], "has 64-token windows overlapping by 16 (this run: 48 by 16)"),
        (["encoder.init_from=t-nobody"], "encoder.init_from 't-nobody': no 't-nobody' model is promoted"),
        (
            ["encoder.init_from=t-teacher", "encoder.pooling=mean_max"],
            "pools windows by mean (this run: encoder.pooling mean_max)",
        ),
        (
            ["encoder.init_from=t-teacher", "encoder.layers=3"],
            "encoder.layers 3 must be between 1 and the encoder's 2",
        ),
    ],
)
def test_a_stored_model_that_cannot_be_used_stops_the_run_before_training(
    small_corpus, teacher, tmp_path, setting, message
):
    extra = [x for s in ["distill.teacher=t-teacher", *setting] for x in ("--set", s)]
    res = train_tiny(small_corpus, "t-untaught", *extra, "--runs-dir", str(tmp_path))
    assert res.returncode == 2 and message in res.stderr, res.stderr[-3000:]
    assert "training" not in res.stderr  # no progress bar: nothing started
    assert not any(tmp_path.iterdir())  # and no run folder


def test_a_model_built_from_a_since_replaced_base_is_named(teacher):
    """`tagger serve` warns when the served model was started from, or taught by, a model its store
    has since replaced (a fast model after the default was retrained); full tags are the user's."""
    from training.config import load_config
    from training.stored import outdated_bases

    cfg = load_config("tiny", ["encoder.init_from=t-teacher", "distill.teacher=t-teacher"])
    assert outdated_bases(cfg, {"init_from": teacher, "teacher": teacher}) == []
    assert outdated_bases(cfg, {"init_from": "t-teacher:older", "teacher": teacher}) == [
        f"encoder.init_from: built from t-teacher:older, while the promoted t-teacher model is now {teacher}"
    ]
    assert outdated_bases(cfg, {}) == []  # a model built from nothing stored
    pinned = load_config("tiny", ["encoder.init_from=t-teacher:older"])
    assert outdated_bases(pinned, {"init_from": "t-teacher:older"}) == []


def test_scoring_a_model_cut_from_a_since_replaced_base_warns(small_corpus, teacher, tmp_path):
    """`tagger score` (and `tagger serve`) with the promoted model of a config that starts from a
    store's promoted model: after that store promotes a newer model, the user is told, with the
    command that retrains; the scoring still runs."""
    from tagger.engine.registry import Registry

    still = ("encoder.init_from=t-teacher", "train.max_steps=1")
    res = train_tiny(
        small_corpus, "t-cut", *[x for s in still for x in ("--set", s)], "--runs-dir", str(tmp_path)
    )
    assert res.returncode == 0, res.stderr[-3000:]
    cut = Registry("t-cut").promoted()
    config = tmp_path / "cut.yaml"
    config.write_text("extends: tiny\nencoder:\n  init_from: t-teacher\nregistry:\n  name: t-cut\n")
    src, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    src.write_text(json.dumps({"id": "a", "text": "Pakistan and Bangladesh signed a rice deal."}) + "\n")
    res = run_tagger("score", str(src), "-o", str(out), "--config", str(config))
    assert res.returncode == 0 and "warning" not in res.stderr, res.stderr[-3000:]
    res = train_tiny(small_corpus, "t-teacher", "--set", "train.seed=7", "--runs-dir", str(tmp_path))
    assert res.returncode == 0, res.stderr[-3000:]
    teachers = Registry("t-teacher")
    [newer] = [m.tag for m in teachers.list() if m.tag != teacher]
    teachers.promote(newer)
    try:
        res = run_tagger("score", str(src), "-o", str(out), "--config", str(config), "--overwrite")
    finally:
        teachers.promote(teacher)  # the other tests' teacher
    assert res.returncode == 0 and out.exists(), res.stderr[-3000:]
    assert (
        f"warning: {cut}: encoder.init_from: built from {teacher}, while the promoted t-teacher model is "
        f"now {newer}; retrain it with `tagger train --config {config}`"
    ) in res.stderr
