"""Narrower feed-forward blocks: keep the units of each layer that carry the most weight.

A cheaper encoder that keeps all its layers: each layer's feed-forward block (hidden -> units ->
hidden) keeps the `width` units whose input and output weights have the largest norms, so the
encoder does less work per token while every layer still sees its pretrained weights. Fine-tuning
then adapts what is left. The narrowed size is written into the encoder's config, so a stored model
is rebuilt at its own width."""

from __future__ import annotations

import torch
from torch import nn
from transformers.pytorch_utils import prune_linear_layer


def unit_importance(into: nn.Linear, out_of: nn.Linear) -> torch.Tensor:
    """Per feed-forward unit: |input weights| x |output weights| (how much it can pass on)."""
    return into.weight.norm(dim=1) * out_of.weight.norm(dim=0)


def narrow_feed_forward(encoder, width: int):
    """Keep `width` feed-forward units per layer (BERT-style layers: intermediate.dense then
    output.dense). Returns the encoder, changed in place, with its config's intermediate_size set."""
    full = encoder.config.intermediate_size
    if not 0 < width <= full:
        raise ValueError(f"encoder.intermediate_size {width} must be between 1 and the encoder's {full}")
    with torch.no_grad():
        for layer in encoder.encoder.layer:
            into, out_of = layer.intermediate.dense, layer.output.dense
            units = unit_importance(into, out_of).topk(width).indices.sort().values
            layer.intermediate.dense = prune_linear_layer(into, units, dim=0)
            layer.output.dense = prune_linear_layer(out_of, units, dim=1)
    encoder.config.intermediate_size = width
    return encoder
