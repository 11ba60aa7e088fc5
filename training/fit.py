"""The training loop: joint topics (BCE) + framing (CE) loss over whole articles' windows."""

from __future__ import annotations

import random
from collections.abc import Callable
from contextlib import nullcontext
from typing import TYPE_CHECKING

import datasets
import numpy as np
import torch
from tqdm.auto import tqdm

from tagger.engine.network import TaggerNetwork
from tagger.engine.runtime import use_bf16
from training.config import TrainConfig

if TYPE_CHECKING:
    from training.distill import Teacher

STEP_TOKENS = 1 << 30  # no cap on a training step's padded tokens: a batch is 8 articles


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def loss_weights(
    ds: datasets.Dataset, n_framings: int, mode: str
) -> tuple[torch.Tensor | None, torch.Tensor | None]:
    """'balanced': topic positives and framing classes weighted by inverse frequency (capped)."""
    if mode in (None, "none"):
        return None, None
    topics = np.asarray(ds["topics"], dtype=np.float64)
    pos = topics.sum(0).clip(min=1)
    pos_weight = np.clip((len(topics) - pos) / pos, 0.5, 5.0)
    counts = np.bincount(np.asarray(ds["framing"]), minlength=n_framings).clip(min=1)
    class_weight = np.clip(len(topics) / (n_framings * counts), 0.2, 5.0)
    return torch.tensor(pos_weight, dtype=torch.float32), torch.tensor(class_weight, dtype=torch.float32)


def article_batches(
    n_tokens: list[int], rows: list[int], batch_size: int, rng: random.Random
) -> list[list[int]]:
    """Shuffled batches of similar-length rows (less padding), in a seeded random order."""
    order = sorted(rows, key=lambda i: (n_tokens[i], rng.random()))
    batches = [order[i : i + batch_size] for i in range(0, len(order), batch_size)]
    rng.shuffle(batches)
    return batches


class Trainer:
    """fit(model, train dataset) with the `train:` section of the run config."""

    def __init__(self, cfg: TrainConfig, device: torch.device, pad_id: int):
        self.cfg = cfg
        self.device = device
        self.pad_id = pad_id

    def fit(
        self,
        model: TaggerNetwork,
        ds: datasets.Dataset,
        epoch_rows: Callable[[random.Random], list[int]] | None = None,
        teacher: Teacher | None = None,
        teacher_weight: float = 0.0,
    ) -> list[float]:
        """`epoch_rows(rng)`: which rows an epoch trains on (one view per article); default all.
        `teacher`: its scores on the same windows are a `teacher_weight` share of the loss."""
        cfg = self.cfg
        rng = random.Random(cfg.seed)
        epoch_rows = epoch_rows or (lambda _rng: list(range(len(ds))))
        n_tokens = ds["n_tokens"]
        pos_weight, class_weight = loss_weights(ds, model.framing_head.out_features, cfg.class_weights)
        bce = torch.nn.BCEWithLogitsLoss(
            pos_weight=None if pos_weight is None else pos_weight.to(self.device)
        )
        ce = torch.nn.CrossEntropyLoss(weight=None if class_weight is None else class_weight.to(self.device))
        w = cfg.loss_weights

        steps_per_epoch = -(-len(epoch_rows(random.Random(0))) // cfg.batch_size)
        total = steps_per_epoch * cfg.epochs
        if cfg.max_steps:
            total = min(total, cfg.max_steps)
        opt = self._optimizer(model)
        warmup = int(cfg.warmup_ratio * total)
        sched = torch.optim.lr_scheduler.LambdaLR(
            opt,
            lambda s: (
                (s + 1) / max(1, warmup) if s < warmup else max(0.0, (total - s) / max(1, total - warmup))
            ),
        )
        autocast = (
            torch.autocast(self.device.type, dtype=torch.bfloat16)
            if use_bf16(self.device, cfg.bf16)
            else nullcontext()
        )
        model.to(self.device).train()
        losses: list[float] = []
        bar = tqdm(total=total, desc="training", unit="step")
        for epoch in range(cfg.epochs):
            for batch_ids in article_batches(n_tokens, epoch_rows(rng), cfg.batch_size, rng):
                if len(losses) >= total:
                    break
                rows = ds.select(batch_ids)
                y_t = torch.tensor(rows["topics"], dtype=torch.float32, device=self.device)
                y_f = torch.tensor(rows["framing"], dtype=torch.long, device=self.device)
                windows = [w for ws in rows["windows"] for w in ws]
                article = torch.tensor(
                    [a for a, ws in enumerate(rows["windows"]) for _ in ws], device=self.device
                )
                with autocast:  # all windows of the step's articles, in groups of similar length
                    t_logits, f_logits = model(windows, article, self.pad_id, max_tokens=STEP_TOKENS)
                loss = w.topics * bce(t_logits.float(), y_t) + w.framing * ce(f_logits.float(), y_f)
                if teacher is not None:
                    soft = teacher.soft_loss(windows, article, t_logits, f_logits)
                    loss = (1 - teacher_weight) * loss + teacher_weight * soft
                opt.zero_grad(set_to_none=True)
                loss.backward()
                torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
                opt.step()
                sched.step()
                losses.append(loss.item())
                bar.update(1)
                bar.set_postfix(epoch=epoch + 1, loss=f"{np.mean(losses[-20:]):.3f}")
        bar.close()
        model.eval()
        return losses

    def _optimizer(self, model: TaggerNetwork) -> torch.optim.Optimizer:
        freeze(model, self.cfg.freeze_embeddings, self.cfg.freeze_layers)
        set_encoder_dropout(model, self.cfg.encoder_dropout)
        heads = [p for n, p in model.named_parameters() if not n.startswith("encoder.")]
        groups = [{"params": heads, "lr": self.cfg.head_learning_rate}]
        layers = model.encoder.encoder.layer
        decay = self.cfg.layer_decay
        for depth, layer in enumerate(reversed(layers)):  # top layer first: full learning rate
            params = [p for p in layer.parameters() if p.requires_grad]
            if params:
                groups.append({"params": params, "lr": self.cfg.learning_rate * decay**depth})
        in_layers = {id(p) for layer in layers for p in layer.parameters()}
        rest = [p for p in model.encoder.parameters() if p.requires_grad and id(p) not in in_layers]
        if rest:  # embeddings, when not frozen: below the lowest layer
            groups.append({"params": rest, "lr": self.cfg.learning_rate * decay ** len(layers)})
        return torch.optim.AdamW(groups, weight_decay=self.cfg.weight_decay)


def freeze(model: TaggerNetwork, embeddings: bool, layers: int) -> None:
    """Keep the embeddings and the lowest layers fixed: on CPU this nearly halves step time
    (the 30k-word embedding matrix is half of MiniLM's weights) at little cost in accuracy."""
    if embeddings:
        model.encoder.embeddings.requires_grad_(False)
    for layer in model.encoder.encoder.layer[:layers]:
        layer.requires_grad_(False)


def set_encoder_dropout(model: TaggerNetwork, p: float | None) -> None:
    """Override the encoder's own dropout. At 0, SDPA takes its fused attention kernel in training
    too; attention-probability dropout forces the unfused path and was two thirds of a CPU step."""
    if p is None:
        return
    for module in model.encoder.modules():
        if isinstance(module, torch.nn.Dropout):
            module.p = p
