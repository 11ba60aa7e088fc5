"""A stored model as teacher: a smaller student learns from its scores as well as from the labels
(knowledge distillation), on the same views of each article that the student trains on."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from tagger.data.schema import LabelSchema
from tagger.engine.tagger import Tagger
from training.config import LossWeights, RunConfig
from training.stored import load_stored


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


def load_teacher(cfg: RunConfig, schema: LabelSchema, tokenizer) -> Teacher | None:
    """The run's teacher (`distill.teacher`), checked to read what the student reads with `tokenizer`,
    or None when the run has none."""
    if cfg.distill.teacher is None:
        return None
    tagger = load_stored("distill.teacher", cfg.distill.teacher, cfg, schema, tokenizer)
    return Teacher(tagger, cfg.distill.temperature, cfg.distill.loss_weights)
