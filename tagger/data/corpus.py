"""Reading labelled files (JSON Lines, Label Studio exports) into articles, every problem located."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

from tagger.data.feedback import is_feedback_log, torn_last_line
from tagger.data.labelstudio import UNANNOTATED, iter_export  # Label Studio exports: a list of tasks
from tagger.data.records import Article, Problem, iter_json_lines, to_article, validate_record
from tagger.data.schema import LabelSchema

LABEL_SUFFIXES = (".jsonl", ".ndjson", ".json")  # ours (JSON Lines), and Label Studio exports
# data a user may well drop into a labels folder meaning it as labels: named, never skipped in silence
# (.md, .yaml and .tsv files there are our documents, schema and audit tables)
OTHER_DATA_SUFFIXES = (".csv", ".parquet", ".xlsx", ".txt")


def label_files(paths: Iterable[str | Path]) -> list[Path]:
    """Expand folders into the label files below them (sorted, so runs are reproducible)."""
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            out += sorted(f for f in p.rglob("*") if f.suffix.lower() in LABEL_SUFFIXES + OTHER_DATA_SUFFIXES)
        else:
            out.append(p)
    return out


def _records(path: Path) -> Iterator[tuple[int, str, dict | None, str | None]]:
    """(line, prefix, object, problem) per record: JSON Lines, or a Label Studio export (*.json)."""
    if path.suffix.lower() == ".json":
        for where, obj, err, _ in iter_export(path):
            if err != UNANNOTATED:
                yield 0, f"{where}: ", obj, err
        return
    for n, obj, err in iter_json_lines(path):
        yield n, "", obj, err


def load_labelled(paths: Iterable[str | Path], schema: LabelSchema) -> tuple[list[Article], list[Problem]]:
    """Read every file fully; return the valid articles and all problems (never stops at the first).

    Ids must be unique across label files, except in feedback logs (tagger/data/feedback.py):
    there the latest record per id wins, and it replaces the label file's article with that id.
    """
    articles: list[Article] = []
    problems: list[Problem] = []
    seen: dict[str, str] = {}
    corrections: dict[str, Article] = {}
    for path in label_files(paths):
        if not path.exists():
            problems.append(Problem(str(path), 0, "no such file"))
            continue
        if path.suffix.lower() not in LABEL_SUFFIXES:
            problems.append(
                Problem(
                    str(path),
                    0,
                    f"label files are JSON Lines (.jsonl) or Label Studio exports (.json), not '{path.suffix}'",
                )
            )
            continue
        feedback = is_feedback_log(path)
        torn = torn_last_line(path) if feedback else 0
        for n, prefix, obj, err in _records(path):
            if n and n == torn and err:
                continue  # a write cut short by a crash, never acknowledged
            source = f"{path}:{n}" if n else f"{path} {prefix.rstrip(': ')}"
            errs = [err] if err else validate_record(obj, schema)
            if not feedback and obj is not None and isinstance(obj.get("id"), str):
                if obj["id"] in seen:
                    errs.append(
                        f"duplicate id '{obj['id']}': also at {seen[obj['id']]} (ids are unique across label files)"
                    )
                else:
                    seen[obj["id"]] = source
            problems += [Problem(str(path), n, f"{prefix}{e}") for e in errs]
            if not errs and feedback:
                corrections.pop(obj["id"], None)  # latest wins, and moves to the end
                corrections[obj["id"]] = to_article(obj, source)
            elif not errs:
                articles.append(to_article(obj, source))
    articles = [corrections.pop(a.id, a) for a in articles]
    return articles + list(corrections.values()), problems


class LabelFileError(ValueError):
    """Raised by callers that need clean data (training): carries every problem found."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        shown = "\n".join(map(str, problems[:50]))
        more = f"\n... and {len(problems) - 50} more" if len(problems) > 50 else ""
        super().__init__(f"{len(problems)} problem(s) in label files:\n{shown}{more}")
