"""The feedback log: analysts' corrections, appended as label records under labels/feedback/.

A correction is an ordinary label record (it passes `validate_record`) plus `corrected_at`,
`model` (the tag that was corrected) and `model_answer` (what that model said). The log is
append-only: each record is one line written with a single `write`, then fsync'ed, under an
exclusive lock, so a crash loses at most the line being written and never an acknowledged one.

Latest wins: `load_labelled` treats every `.jsonl` file in a folder named `feedback`, and the
file $TAGGER_FEEDBACK_FILE names, as a feedback log. Within the logs, a later record replaces an
earlier one with the same id (files in sorted order, lines in file order), and a correction
replaces the corpus article with that id.
A final line that lacks its newline and does not parse is a write cut short by a crash: readers
skip it and the next append removes it.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
from datetime import UTC, datetime
from pathlib import Path

from tagger.data.dedup import closest_copy
from tagger.data.records import Article, FieldError, validate_record
from tagger.data.schema import LabelSchema
from tagger.paths import labels_dir, resolve

FEEDBACK_DIR = "feedback"
FEEDBACK_FILE_ENV = "TAGGER_FEEDBACK_FILE"
METADATA_FIELDS = ("outlet_kind", "outlet_country", "date")


def feedback_path() -> Path:
    """$TAGGER_FEEDBACK_FILE (a relative one in the project folder, as config paths are), else
    labels/feedback/corrections.jsonl in the project folder."""
    env = os.environ.get(FEEDBACK_FILE_ENV)
    return resolve(env) if env else labels_dir() / FEEDBACK_DIR / "corrections.jsonl"


def is_feedback_log(path: Path) -> bool:
    """A .jsonl file in a folder named `feedback`, or the file $TAGGER_FEEDBACK_FILE names."""
    if path.suffix.lower() not in (".jsonl", ".ndjson"):
        return False
    return path.parent.name == FEEDBACK_DIR or path.resolve() == feedback_path().resolve()


def article_id(title: str | None, text: str) -> str:
    """A stable id for a pasted article without one: the same text always gets the same id."""
    digest = hashlib.sha256(f"{title or ''}\n{text}".encode()).hexdigest()[:16]
    return f"wb-{digest}"


def place(record: dict, known: dict[str, Article]) -> str | None:
    """Give a correction the id it is logged under, and say why when that is not its own. `known`
    holds the labelled articles (corpus and earlier corrections) by id.
    - Its own id, when the labels hold no article under it or hold the same text (whitespace aside).
    - The id of a labelled article whose text it near-copies: it is a correction of that article
      (under its own id, the copy would fail `tagger labels check`).
    - Its id with a hash of its text, when the labels hold another article under its id (two scored
      files both numbering rows 1..N), so it never replaces that article in training.
    A correction of a labelled article keeps that article's metadata (outlet, date): it changes labels.
    """
    given, text = record["id"], record["text"] or ""
    same = known.get(given)
    if not (same and same.text.split() == text.split()):
        copy = closest_copy(text, {i: a.text for i, a in known.items()})  # its own, edited, included
        if copy:
            record["id"], same = copy[0], known[copy[0]]
        elif same:
            record["id"], same = f"{given}-{hashlib.sha256(text.encode()).hexdigest()[:8]}", None
    for key in METADATA_FIELDS:
        if same and key in same.meta:
            record[key] = same.meta[key]
    if record["id"] == given:
        return None
    if same:
        return (
            f"the labels hold this article as '{record['id']}': saved as a correction of it, not as '{given}'"
        )
    return f"id '{given}' already names another article in the labels: saved as '{record['id']}'"


def correction_record(
    article: dict,
    topics: list[str],
    framing: str,
    model: str | None,
    model_answer: dict | None,
    schema: LabelSchema,
) -> dict:
    """The label record for one correction; the article's metadata rides along where the schema
    allows its value (an analyst file's own outlet names are left out, not refused)."""
    record = {
        "id": str(article["id"])
        if article.get("id") not in (None, "")
        else article_id(article.get("title"), article.get("text") or ""),
        "title": article.get("title") or "",
        "text": article.get("text"),
        "topics": list(topics),
        "framing": framing,
    }
    for key in METADATA_FIELDS:
        if article.get(key) not in (None, "") and not validate_record({**record, key: article[key]}, schema):
            record[key] = article[key]
    record["corrected_at"] = datetime.now(UTC).isoformat(timespec="milliseconds")
    record["model"] = model
    record["model_answer"] = model_answer
    return record


class FeedbackLog:
    """append(record) after checking it against the schema; records() reads back latest-wins."""

    def __init__(self, path: Path, schema: LabelSchema):
        self.path = path
        self.schema = schema

    def append(self, record: dict) -> None:
        """Raise FieldError (naming the first bad field) listing the problems, or write the record durably."""
        if errs := validate_record(record, self.schema):
            raise FieldError(errs[0].field, "; ".join(map(str, errs)))
        line = (json.dumps(record, ensure_ascii=False) + "\n").encode()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            _end_torn_tail(fd)
            os.write(fd, line)
            os.fsync(fd)
        finally:
            os.close(fd)  # closing releases the lock
        _fsync_dir(self.path.parent)  # a new file's name is durable too


def torn_last_line(path: Path) -> int:
    """The number of the file's last line when it lacks its newline (a torn write), else 0."""
    data = path.read_bytes()
    if not data or data.endswith(b"\n"):
        return 0
    return data.count(b"\n") + 1


def _end_torn_tail(fd: int) -> None:
    """Before appending: cut a torn last line (it never parsed), or end a whole one with its newline."""
    size = os.lseek(fd, 0, os.SEEK_END)
    if size == 0 or os.pread(fd, 1, size - 1) == b"\n":
        return
    start = size
    while start > 0 and b"\n" not in os.pread(fd, 1, start - 1):
        start -= 1
    try:
        json.loads(os.pread(fd, size - start, start))
    except (UnicodeDecodeError, json.JSONDecodeError):
        os.ftruncate(fd, start)
    else:
        os.write(fd, b"\n")


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
