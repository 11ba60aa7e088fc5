"""What an analyst gets back for an article: labels, calibrated scores, evidence and warnings.

Plain code, used by the BentoML service; request validation lives here too so it is tested alone.
"""

from __future__ import annotations

from tagger.data.records import FieldProblem, json_type
from tagger.engine.tagger import Tagger
from tagger.results.evidence import pick_evidence, split_sentences
from tagger.results.language import article_warnings

MAX_TEXT_CHARS = 100_000
MAX_CHARS = {"text": MAX_TEXT_CHARS, "title": 2_000, "id": 500}  # per field, on every route
MAX_BATCH_ITEMS = 64
MAX_SYNC_CHARS = 200_000  # text per synchronous call: more goes to an async job, so no caller holds the model
# An async job runs in parts between other callers' calls; its bound is memory and the task store:
# about 6,000 articles of 500 words, some minutes of work on 2 cores.
MAX_JOB_ITEMS = 10_000
MAX_JOB_CHARS = 20_000_000
# An id may be a whole number too (echoed as given): files `tagger score` reads often number rows.
ARTICLE_FIELDS = {"text": (str,), "title": (str,), "id": (str, int)}


def article_problem(obj: object) -> FieldProblem | None:
    """Why an article object is unusable, and which field; None when it is fine."""
    if not isinstance(obj, dict):
        return FieldProblem(None, f"expected an object with a 'text' field, got {json_type(obj)}")
    unknown = sorted(set(obj) - set(ARTICLE_FIELDS))
    if unknown:
        names = ", ".join(map(repr, unknown))
        return FieldProblem(unknown[0], f"unknown field(s) {names}; allowed: text, title, id")
    if "text" not in obj:
        return FieldProblem.at("text", "missing")
    for name, kinds in ARTICLE_FIELDS.items():
        value = obj.get(name)
        if value is not None and (isinstance(value, bool) or not isinstance(value, kinds)):
            expected = "a string or a whole number" if len(kinds) > 1 else "a string"
            return FieldProblem.at(name, f"expected {expected}, got {json_type(value)}")
    if not obj["text"].strip():
        return FieldProblem.at("text", "empty or only whitespace")
    for name, limit in MAX_CHARS.items():
        if isinstance(obj.get(name), str) and len(obj[name]) > limit:
            return FieldProblem.at(name, f"{len(obj[name])} characters, over the limit of {limit}")
    return None


def text_chars(articles: list) -> int:
    """Characters of text (`text` and `title`, where strings) in a batch's items."""
    return sum(
        len(a[name])
        for a in articles
        if isinstance(a, dict)
        for name in ("text", "title")
        if isinstance(a.get(name), str)
    )


def too_much_text(articles: list, limit: int, unit: str, instead: str) -> str | None:
    """Why one `unit` (a call, a job) of these articles is refused for its size, or None."""
    if (chars := text_chars(articles)) <= limit:
        return None
    return f"{chars:,} characters of text and titles in one {unit}, over the limit of {limit:,}: {instead}"


class Annotator:
    """annotate(articles) -> results: labels, scores, evidence, warnings, model; articles must
    already pass `article_problem`."""

    def __init__(self, tagger: Tagger, evidence_per_label: int = 2):
        self.tagger = tagger
        self.evidence_per_label = evidence_per_label

    @property
    def model_info(self) -> dict:
        return {
            "tag": self.tagger.info.get("tag"),
            "trained_at": self.tagger.info.get("trained_at"),
            "precision": self.tagger.precision,
            "backend": self.tagger.runs_on,
        }

    def annotate(self, articles: list[dict], evidence: bool = True) -> list[dict]:
        """evidence=False skips scoring every sentence on its own: about half the work of a call."""
        if not articles:
            return []
        results = self.tagger.predict(articles)
        if evidence:
            self._add_evidence(articles, results)
        for art, res in zip(articles, results):
            res["warnings"] = article_warnings(art)
            res["model"] = self.model_info
        return results

    def _add_evidence(self, articles: list[dict], results: list[dict]) -> None:
        sentences = [split_sentences(a["text"]) for a in articles]
        flat = [s.text for sents in sentences for s in sents]
        s = self.tagger.predict_proba(flat) if flat else None
        pos = 0
        for res, sents in zip(results, sentences):
            labels = [*res["topics"], res["framing"]]
            per_sentence = [self._sentence_scores(s, pos + i) for i in range(len(sents))]
            pos += len(sents)
            res["evidence"] = pick_evidence(sents, per_sentence, labels, self.evidence_per_label)

    def _sentence_scores(self, s, i: int) -> dict[str, float]:
        schema = self.tagger.schema
        return {
            **dict(zip(schema.topics, map(float, s.topics[i]))),
            **dict(zip(schema.framings, map(float, s.framing[i]))),
        }
