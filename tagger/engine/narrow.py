"""Narrower feed-forward blocks: keep the units of each layer that pass on the most on our text.

A cheaper encoder that keeps all its layers: each layer's feed-forward block (hidden -> units ->
hidden) keeps the `width` units whose mean |activation| on sample windows, times the norm of their
output weights, is largest (what each unit adds to the layer's output on text like the corpus).
Chosen this way from the fine-tuned default, 640 of 1,536 units kept its real-news framing before
any further training (topics 0.03 lower); chosen by weight norms alone they lost 0.10 framing and
0.06 topics (accuracy_notes.md).
The narrowed size is written into the encoder's config, so a stored model is rebuilt at its width."""

from __future__ import annotations

import torch
from transformers.pytorch_utils import prune_linear_layer


def unit_importance(encoder, windows: list[list[int]]) -> list[torch.Tensor]:
    """Per layer, per feed-forward unit: mean |activation| over the windows' tokens x |output weights|.
    Windows run one at a time, so no padding is counted."""
    layers = encoder.encoder.layer
    sums = [torch.zeros(layer.intermediate.dense.out_features) for layer in layers]

    def hook(i: int):
        def add(_module, _inputs, out):
            sums[i] += out[0].abs().float().sum(0).cpu()

        return add

    hooks = [layer.intermediate.register_forward_hook(hook(i)) for i, layer in enumerate(layers)]
    device = next(encoder.parameters()).device
    was_training = encoder.training
    encoder.eval()
    try:
        with torch.inference_mode():
            for ids in windows:
                encoder(input_ids=torch.tensor([ids], device=device))
    finally:
        for h in hooks:
            h.remove()
        encoder.train(was_training)
    tokens = max(1, sum(len(w) for w in windows))
    return [
        s / tokens * layer.output.dense.weight.detach().norm(dim=0).cpu() for s, layer in zip(sums, layers)
    ]


def narrow_feed_forward(encoder, width: int, windows: list[list[int]]):
    """Keep `width` feed-forward units per layer (BERT-style layers: intermediate.dense then
    output.dense), ranked by `unit_importance` on `windows` (token ids). Returns the encoder,
    changed in place, with its config's intermediate_size set."""
    full = encoder.config.intermediate_size
    if not 0 < width <= full:
        raise ValueError(f"encoder.intermediate_size {width} must be between 1 and the encoder's {full}")
    if not windows:
        raise ValueError("encoder.intermediate_size: no sample windows to rank the feed-forward units on")
    importance = unit_importance(encoder, windows)
    with torch.no_grad():
        for layer, score in zip(encoder.encoder.layer, importance):
            units = score.topk(width).indices.sort().values.to(layer.output.dense.weight.device)
            layer.intermediate.dense = prune_linear_layer(layer.intermediate.dense, units, dim=0)
            layer.output.dense = prune_linear_layer(layer.output.dense, units, dim=1)
    encoder.config.intermediate_size = width
    return encoder
