"""A stored model as teacher: a smaller student learns from its scores as well as from the labels
(knowledge distillation), on the same views of each article that the student trains on."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from tagger.data.schema import LabelSchema
from tagger.engine.encoder import DEFAULT_ENCODER_PACKAGE, load_tokenizer, pretrained_dir
from tagger.engine.registry import Registry
from tagger.engine.tagger import Tagger
from training.config import LossWeights, RunConfig


class Teacher:
    """`soft_loss(windows, article, student logits)`: how far the student's scores are from the
    teacher's on the same windows (topics: cross-entropy against the teacher's probabilities;
    framing: KL divergence at a temperature, scaled by its square so its gradients keep their size)."""

    def __init__(self, tagger: Tagger, temperature: float, weights: LossWeights):
        self.tagger = tagger
        self.temperature = temperature
        self.weights = weights

    @property
    def tag(self) -> str:
        return self.tagger.info.get("tag", "")

    def logits(self, windows: list[list[int]], article: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The teacher's raw scores of these windows, pooled per article (its fastest engine here)."""
        emb = self.tagger.window_embeddings(windows)
        with torch.inference_mode():
            t, f = self.tagger.model.from_windows(emb, article.to(emb.device))
        return t.float(), f.float()

    def soft_loss(
        self,
        windows: list[list[int]],
        article: torch.Tensor,
        student_topics: torch.Tensor,
        student_framing: torch.Tensor,
    ) -> torch.Tensor:
        t, f = (x.to(student_topics.device) for x in self.logits(windows, article))
        topics = F.binary_cross_entropy_with_logits(student_topics.float(), torch.sigmoid(t))
        temp = self.temperature
        framing = F.kl_div(
            F.log_softmax(student_framing.float() / temp, dim=1),
            F.log_softmax(f / temp, dim=1),
            log_target=True,
            reduction="batchmean",
        )
        return self.weights.topics * topics + self.weights.framing * framing * temp**2


def teacher_tag(name_or_tag: str) -> str:
    """'name:version' as given, or a store's name for the model promoted in it."""
    if ":" in name_or_tag:
        return Registry().full_tag(name_or_tag)
    tag = Registry(name_or_tag).promoted()
    if tag is None:
        raise LookupError(f"no '{name_or_tag}' model is promoted: train it first (e.g. `tagger train`)")
    return tag


def load_teacher(cfg: RunConfig, schema: LabelSchema) -> Teacher | None:
    """The run's teacher (`distill.teacher`), checked to read what the student reads (the same
    labels, vocabulary and windows), or None when the run has none. Problems name the key and stop
    the run before any training."""
    if cfg.distill.teacher is None:
        return None
    try:
        tag = teacher_tag(cfg.distill.teacher)
        tagger = Registry().load(tag)
    except LookupError as e:
        raise ValueError(f"distill.teacher '{cfg.distill.teacher}': {e}") from None
    tokenizer = load_tokenizer(pretrained_dir(cfg.encoder.pretrained or DEFAULT_ENCODER_PACKAGE))
    windows = cfg.windows
    problems = []
    if (tagger.schema.topics, tagger.schema.framings) != (schema.topics, schema.framings):
        problems.append("other labels")
    if tagger.tokenizer.get_vocab() != tokenizer.get_vocab():
        problems.append("another tokenizer vocabulary")
    if (tagger.max_length, tagger.overlap) != (windows.max_length, windows.overlap):
        problems.append(
            f"{tagger.max_length}-token windows overlapping by {tagger.overlap} "
            f"(this run: {windows.max_length} by {windows.overlap})"
        )
    if problems:
        raise ValueError(
            f"distill.teacher '{tag}' has {' and '.join(problems)}: it cannot score the student's windows"
        )
    return Teacher(tagger, cfg.distill.temperature, cfg.distill.loss_weights)
