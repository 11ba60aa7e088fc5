"""Long articles as overlapping token windows: one implementation for training, evaluation,
the service and batch scoring. Nothing is truncated: every token lands in at least one window."""

from __future__ import annotations

from dataclasses import dataclass

import torch


def article_text(text: str, title: str | None = None) -> str:
    return f"{title.strip()}\n\n{text}" if title and title.strip() else text


@dataclass
class Windowed:
    """Windows of a batch of articles: token ids per window and which article each belongs to."""

    input_ids: list[list[int]]
    article_index: list[int]

    def windows_per_article(self, n_articles: int) -> list[int]:
        counts = [0] * n_articles
        for i in self.article_index:
            counts[i] += 1
        return counts


def make_windows(tokenizer, texts: list[str], max_length: int, overlap: int) -> Windowed:
    """Each article's tokens in windows of `max_length` ([CLS] and [SEP] included), each repeating
    the last `overlap` tokens of the one before, the last one ending at the article's end. Sliced
    here, not by the tokenizer's overflow option: its windows changed between tokenizers releases
    (0.23.2 and 0.23.3 cut the same article differently), and a model must read the same windows
    on every machine it runs on."""
    if not 0 <= overlap < max_length - 2:
        raise ValueError(f"window overlap {overlap} must be >= 0 and < max_length - 2 ({max_length - 2})")
    width, step = max_length - 2, max_length - 2 - overlap
    cls, sep = tokenizer.cls_token_id, tokenizer.sep_token_id
    if cls is None or sep is None:
        raise ValueError(f"{type(tokenizer).__name__} has no [CLS]/[SEP] tokens to open and close a window")
    tokens = tokenizer(texts, add_special_tokens=False, truncation=False, verbose=False)["input_ids"]
    windows, index = [], []
    for i, ids in enumerate(tokens):
        for start in range(0, max(len(ids) - overlap, 1), step):
            windows.append([cls, *ids[start : start + width], sep])
            index.append(i)
    return Windowed(input_ids=windows, article_index=index)


def pad(input_ids: list[list[int]], pad_id: int) -> tuple[torch.Tensor, torch.Tensor]:
    """(ids, attention mask), padded to the longest window in this group only (dynamic padding)."""
    width = max(len(ids) for ids in input_ids)
    ids = torch.full((len(input_ids), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(input_ids), width), dtype=torch.long)
    for row, seq in enumerate(input_ids):
        ids[row, : len(seq)] = torch.tensor(seq, dtype=torch.long)
        mask[row, : len(seq)] = 1
    return ids, mask


def budget_batches(
    order: list[int], lengths: list[int], max_tokens: int, max_padding: float = 0.2
) -> list[list[int]]:
    """Consecutive groups of (length-sorted) windows whose padded size stays within max_tokens and
    whose padding stays under max_padding of it (a 512-token window and a 100-token tail of the
    same article are not worth running padded together)."""
    batches, cur, real = [], [], 0
    for i in order:
        padded = lengths[i] * (len(cur) + 1)
        if cur and (padded > max_tokens or 1 - (real + lengths[i]) / padded > max_padding):
            batches.append(cur)
            cur, real = [], 0
        cur.append(i)
        real += lengths[i]
    return batches + [cur] if cur else batches
