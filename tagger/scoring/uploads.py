"""An uploaded file to score: parsed exactly as `tagger score` reads it, and scored rows written
back in any of its formats."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from tagger.scoring.files import check_input, detect_format, read_rows, write_chunk
from tagger.scoring.job import prediction_columns, row_error, scored


@dataclass
class ParsedUpload:
    rows: list[dict] = field(default_factory=list)  # {"line": n, "row": {...}} for each usable row
    errors: list[dict] = field(default_factory=list)  # {"line": n, "id", "error"}, as OUT.errors.jsonl


def parse_upload(data: bytes, filename: str) -> ParsedUpload:
    """Rows and errors as `tagger score` would find them (same line numbers, same reasons)."""
    detect_format(Path(filename))  # an unknown format is refused before anything is written
    suffix = Path(filename).suffix.lower()
    out = ParsedUpload()
    with tempfile.TemporaryDirectory(prefix="tagger-upload-") as tmp:
        path = Path(tmp) / f"upload{suffix}"
        path.write_bytes(data)
        try:
            check_input(path)  # a file without a text column is one error, not one per row
        except ValueError as e:
            raise ValueError(str(e).replace(str(path), filename)) from None
        for n, row, err in read_rows(path):
            err = err or row_error(row)
            if err:
                out.errors.append({"line": n, "id": row.get("id") if row else None, "error": err})
            else:
                out.rows.append({"line": n, "row": row})
    return out


def request_article(row: dict) -> dict:
    """What the service's /submit job takes for one row: id, text and title (as `tagger score`)."""
    title = row.get("title")
    return {"id": str(row["id"]), "text": row["text"], "title": title if isinstance(title, str) else None}


def scored_row(row: dict, result: dict) -> dict:
    """A row of `tagger score`'s output: the input row plus its prediction columns."""
    tag = result.get("model", {}).get("tag") if isinstance(result.get("model"), dict) else result.get("model")
    return scored(row, prediction_columns(result, tag))


def write_scored(rows: list[dict], fmt: str) -> bytes:
    """Scored rows as the bytes of a .jsonl, .csv or .parquet file (`tagger score`'s writer)."""
    if fmt not in ("jsonl", "csv", "parquet"):
        raise ValueError(f"unknown format '{fmt}' (use jsonl, csv or parquet)")
    with tempfile.TemporaryDirectory(prefix="tagger-download-") as tmp:
        path = Path(tmp) / f"scored.{fmt}"
        write_chunk(path, rows, fmt)
        return path.read_bytes()
