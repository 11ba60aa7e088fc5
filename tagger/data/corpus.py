"""Reading labelled files (JSON Lines, Label Studio exports) into articles, every problem located."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

from tagger.data.labelstudio import iter_export  # Label Studio exports: a list of tasks
from tagger.data.records import Article, Problem, iter_json_lines, to_article, validate_record
from tagger.data.schema import LabelSchema

LABEL_SUFFIXES = (".jsonl", ".json")  # ours, and Label Studio exports


def label_files(paths: Iterable[str | Path]) -> list[Path]:
    """Expand folders into the label files below them (sorted, so runs are reproducible)."""
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            out += sorted(f for f in p.rglob("*") if f.suffix in LABEL_SUFFIXES)
        else:
            out.append(p)
    return out


def _records(path: Path) -> Iterator[tuple[int, str, dict | None, str | None]]:
    """(line, prefix, object, problem) per record: JSON Lines, or a Label Studio export (*.json)."""
    if path.suffix == ".json":
        for where, obj, err in iter_export(path):
            yield 0, f"{where}: ", obj, err
        return
    for n, obj, err in iter_json_lines(path):
        yield n, "", obj, err


def load_labelled(paths: Iterable[str | Path], schema: LabelSchema) -> tuple[list[Article], list[Problem]]:
    """Read every file fully; return the valid articles and all problems (never stops at the first)."""
    articles: list[Article] = []
    problems: list[Problem] = []
    seen: dict[str, str] = {}
    for path in label_files(paths):
        if not path.exists():
            problems.append(Problem(str(path), 0, "no such file"))
            continue
        for n, prefix, obj, err in _records(path):
            source = f"{path}:{n}" if n else f"{path} {prefix.rstrip(': ')}"
            errs = [err] if err else validate_record(obj, schema)
            if obj is not None and isinstance(obj.get("id"), str):
                if obj["id"] in seen:
                    errs.append(f"duplicate id '{obj['id']}' (first at {seen[obj['id']]})")
                else:
                    seen[obj["id"]] = source
            problems += [Problem(str(path), n, prefix + e) for e in errs]
            if not errs:
                articles.append(to_article(obj, source))
    return articles, problems


class LabelFileError(ValueError):
    """Raised by callers that need clean data (training): carries every problem found."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        shown = "\n".join(map(str, problems[:50]))
        more = f"\n... and {len(problems) - 50} more" if len(problems) > 50 else ""
        super().__init__(f"{len(problems)} problem(s) in label files:\n{shown}{more}")
