"""Evidence: the sentences of an article that most support each assigned label, with offsets."""

from __future__ import annotations

import re
from dataclasses import dataclass

# A sentence ends at . ! ? (optionally followed by a closing quote) or at a line break.
SENTENCE_RE = re.compile(r"[^\s].*?(?:[.!?][\"'”’)]?(?=\s|$)|(?=\n)|$)", re.S)
MIN_WORDS = 4


@dataclass(frozen=True)
class Sentence:
    start: int
    end: int
    text: str


def split_sentences(text: str) -> list[Sentence]:
    """Sentences with character offsets into `text`; fragments under MIN_WORDS words are skipped."""
    out = []
    for m in SENTENCE_RE.finditer(text):
        s = m.group().strip()
        if len(s.split()) >= MIN_WORDS:
            start = m.start() + (len(m.group()) - len(m.group().lstrip()))
            out.append(Sentence(start, start + len(s), s))
    return out


def pick_evidence(
    sentences: list[Sentence], scores: list[dict[str, float]], labels: list[str], per_label: int = 2
) -> dict[str, list[dict]]:
    """For each label, the `per_label` sentences whose own score for it is highest (best first)."""
    evidence = {}
    for label in labels:
        ranked = sorted(range(len(sentences)), key=lambda i: -scores[i][label])[:per_label]
        evidence[label] = [
            {
                "text": sentences[i].text,
                "start": sentences[i].start,
                "end": sentences[i].end,
                "score": round(scores[i][label], 4),
            }
            for i in ranked
        ]
    return evidence
