"""The network: a BERT encoder, token-mean (or [mean ; max]) pooling per window, mean+max pooling
over an article's windows, and two heads trained jointly (topics: independent sigmoids; framing: one softmax)."""

from __future__ import annotations

import torch
from torch import nn

from tagger.engine.windows import budget_batches, pad


class TaggerNetwork(nn.Module):
    POOLINGS = ("mean", "mean_max")

    def __init__(
        self, encoder: nn.Module, n_topics: int, n_framings: int, dropout: float = 0.1, pooling: str = "mean"
    ):
        super().__init__()
        if pooling not in self.POOLINGS:
            raise ValueError(f"pooling '{pooling}': expected one of {', '.join(self.POOLINGS)}")
        self.encoder = encoder
        self.pooling = pooling
        window_dim = encoder.config.hidden_size * (2 if pooling == "mean_max" else 1)
        self.dropout = nn.Dropout(dropout)
        self.topic_head = nn.Linear(2 * window_dim, n_topics)
        self.framing_head = nn.Linear(2 * window_dim, n_framings)

    def embed_windows(
        self, windows: list[list[int]], pad_id: int, max_tokens: int, encoder: nn.Module | None = None
    ) -> torch.Tensor:
        """Window embeddings in input order, computed shortest-first in groups of similar length
        (little padding, at most max_tokens padded tokens a group). Training and inference share it."""
        device = next(self.parameters()).device
        order = sorted(range(len(windows)), key=lambda i: len(windows[i]))
        groups = budget_batches(order, [len(w) for w in windows], max_tokens)
        out = []
        for group in groups:
            ids, mask = pad([windows[i] for i in group], pad_id)
            out.append(self.window_embeddings(ids.to(device), mask.to(device), encoder))
        inverse = torch.empty(len(order), dtype=torch.long)
        inverse[[i for group in groups for i in group]] = torch.arange(len(order))
        return torch.cat(out)[inverse.to(device)]

    def window_embeddings(
        self, input_ids: torch.Tensor, attention_mask: torch.Tensor, encoder: nn.Module | None = None
    ) -> torch.Tensor:
        """One embedding per window (`pool_tokens`). `encoder`: a copy of self.encoder in another
        precision (inference)."""
        enc = self.encoder if encoder is None else encoder
        hidden = enc(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        return self.pool_tokens(hidden, attention_mask)

    def pool_tokens(self, hidden: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        """Token mean per window, or [mean ; max] (mean_max: a sentence that decides a label is not
        averaged away)."""
        mean = self.token_mean(hidden, attention_mask)
        if self.pooling == "mean":
            return mean
        masked = hidden.float().masked_fill(attention_mask.unsqueeze(-1) == 0, float("-inf"))
        return torch.cat([mean, masked.amax(1)], dim=1)

    @staticmethod
    def token_mean(hidden: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        hidden = hidden.float()  # pooled in fp32 whatever the encoder ran in
        mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
        return (hidden * mask).sum(1) / mask.sum(1).clamp(min=1)

    @staticmethod
    def pool_articles(win: torch.Tensor, window_article: torch.Tensor) -> torch.Tensor:
        """[mean ; max] of each article's window embeddings, so a cue in any one window can count."""
        win = win.float()
        n, d = int(window_article.max()) + 1, win.shape[1]
        idx = window_article.unsqueeze(1).expand(-1, d)
        mean = torch.zeros(n, d, device=win.device).scatter_reduce(0, idx, win, "mean", include_self=False)
        top = torch.zeros(n, d, device=win.device).scatter_reduce(0, idx, win, "amax", include_self=False)
        return torch.cat([mean, top], dim=1)

    def heads(self, article_emb: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        emb = self.dropout(article_emb)
        return self.topic_head(emb), self.framing_head(emb)

    def forward(
        self, windows: list[list[int]], window_article: torch.Tensor, pad_id: int, max_tokens: int
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Topic and framing logits per article, from all its windows (token ids)."""
        return self.from_windows(self.embed_windows(windows, pad_id, max_tokens), window_article)

    def from_windows(
        self, win: torch.Tensor, window_article: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        return self.heads(self.pool_articles(win, window_article))
