"""One labelled record: the Article it becomes, and what can be wrong with it (file:line)."""

from __future__ import annotations

import datetime
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from tagger.data.schema import LabelSchema

DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True)
class Problem:
    path: str
    line: int
    message: str

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where}: {self.message}"


class FieldProblem(NamedTuple):
    """What is wrong with a record or request item, and the field it concerns (None: the whole item)."""

    field: str | None
    message: str  # the whole message: "field 'text': empty"

    @classmethod
    def at(cls, field: str, what: str) -> FieldProblem:
        return cls(field, f"field '{field}': {what}")

    def __str__(self) -> str:
        return self.message


class FieldError(ValueError):
    """A record or request field that is missing or wrong; `field` names it for API answers."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


@dataclass
class Article:
    id: str
    text: str
    topics: list[str]
    framing: str
    title: str = ""
    meta: dict = field(default_factory=dict)  # outlet_kind, outlet_country, date and any extra fields
    source: str = ""  # "path:line", for messages

    def to_record(self) -> dict:
        return {
            "id": self.id,
            "title": self.title,
            "text": self.text,
            "topics": self.topics,
            "framing": self.framing,
            **self.meta,
        }


BOM = b"\xef\xbb\xbf"  # the UTF-8 byte-order mark Excel and some editors write


def json_type(value) -> str:
    """A value's kind as JSON names it, for messages ("got null", not "got NoneType")."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    names = {int: "a number", float: "a number", str: "a string", list: "a list", dict: "an object"}
    return names.get(type(value), type(value).__name__)


def iter_json_lines(
    path: Path, blank_lines_are_errors: bool = False
) -> Iterator[tuple[int, dict | None, str | None]]:
    """Yield (line number, object, None) or (line number, None, problem) per line; blank lines are
    skipped, or reported when every line is meant to be a row (batch scoring). A UTF-8 byte-order
    mark is dropped."""
    with open(path, "rb") as f:
        for n, raw in enumerate(f, 1):
            if n == 1:
                raw = raw.removeprefix(BOM)
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as e:
                yield n, None, f"not valid UTF-8: byte 0x{raw[e.start]:02x} at column {e.start + 1}"
                continue
            if not line.strip():
                if blank_lines_are_errors:
                    yield n, None, "empty line"
                continue
            try:
                # without its newline, or a string left open would read as "Invalid control character"
                obj = json.loads(line.rstrip("\r\n"))
            except json.JSONDecodeError as e:
                column = e.pos + 1  # a missing brace is found at the line's end
                yield n, None, f"invalid JSON: {e.msg} (column {column})"
                continue
            if not isinstance(obj, dict):
                yield n, None, f"expected a JSON object, got {json_type(obj)}"
                continue
            yield n, obj, None


def validate_record(obj: dict, schema: LabelSchema) -> list[FieldProblem]:
    """What is wrong with one labelled record (empty list when it is valid)."""
    errs = [p for name in ("id", "text") if (p := _string_problem(obj, name))]
    if obj.get("title") is not None and not isinstance(obj["title"], str):
        errs.append(FieldProblem.at("title", "expected a string or null (no headline)"))
    errs += topic_errors(obj, schema) + framing_errors(obj, schema) + _metadata_errors(obj, schema)
    return errs


def _string_problem(obj: dict, name: str) -> FieldProblem | None:
    """A required non-blank string field that is missing, of another type, or blank."""
    value = obj.get(name)
    if value is None:
        return FieldProblem.at(name, "missing")
    if not isinstance(value, str):
        return FieldProblem.at(name, f"expected a string, got {json_type(value)}")
    return None if value.strip() else FieldProblem.at(name, "empty")


def topic_errors(obj: dict, schema: LabelSchema) -> list[FieldProblem]:
    if "topics" not in obj:
        return [FieldProblem.at("topics", "missing (use [] for an article with no topic)")]
    topics = obj["topics"]
    if not isinstance(topics, list) or not all(isinstance(t, str) for t in topics):
        return [FieldProblem.at("topics", "expected a list of label names")]
    errs = [
        FieldProblem.at("topics", f"unknown label {t!r} (known: {', '.join(schema.topics)})")
        for t in topics
        if t not in schema.topics
    ]
    if len(set(topics)) != len(topics):
        errs.append(FieldProblem.at("topics", "a label is repeated"))
    return errs


def framing_errors(obj: dict, schema: LabelSchema) -> list[FieldProblem]:
    framing = obj.get("framing")
    if framing is None or framing == [] or framing == "":
        return [FieldProblem.at("framing", "missing (exactly one required)")]
    if isinstance(framing, list):
        if len(framing) > 1:
            return [FieldProblem.at("framing", f"several framings {framing} (exactly one required)")]
        framing = framing[0]
    if framing not in schema.framings:
        return [
            FieldProblem.at("framing", f"unknown label {framing!r} (known: {', '.join(schema.framings)})")
        ]
    return []


def _is_date(value: object) -> bool:
    if not (isinstance(value, str) and DATE_RE.match(value)):
        return False
    try:
        datetime.date.fromisoformat(value)
    except ValueError:  # 2026-02-30
        return False
    return True


def _metadata_errors(obj: dict, schema: LabelSchema) -> list[FieldProblem]:
    errs = []
    for key, allowed in (("outlet_kind", schema.outlet_kinds), ("outlet_country", schema.outlet_countries)):
        if key in obj and obj[key] not in allowed:
            errs.append(FieldProblem.at(key, f"unknown value {obj[key]!r} (known: {', '.join(allowed)})"))
    if obj.get("date") not in (None, "") and not _is_date(obj["date"]):
        errs.append(FieldProblem.at("date", f"expected a real date as YYYY-MM-DD, got {obj['date']!r}"))
    return errs


def to_article(obj: dict, source: str) -> Article:
    framing = obj["framing"][0] if isinstance(obj["framing"], list) else obj["framing"]
    core = {"id", "title", "text", "topics", "framing"}
    return Article(
        id=obj["id"],
        text=obj["text"],
        topics=list(obj["topics"]),
        framing=framing,
        title=obj.get("title") or "",
        meta={k: v for k, v in obj.items() if k not in core},
        source=source,
    )
