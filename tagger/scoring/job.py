"""`tagger score`: resumable, streaming batch scoring of JSON Lines, CSV or Parquet.

Output is committed in chunks of `chunk_size` input rows, each written to a temporary file and
renamed into `<output>.parts/` (atomic). A run killed at any point, SIGKILL included, and started
again skips the committed chunks and redoes only the unfinished one: no row lost, none repeated.
When all chunks are in, they are merged into `<output>` and the parts folder is removed.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import islice
from numbers import Number
from pathlib import Path

from tqdm.auto import tqdm

from tagger.data.records import json_type
from tagger.results.isolation import model_failure, predict_isolated
from tagger.results.language import article_warnings
from tagger.scoring.files import (
    READER_VERSION,
    count_rows,
    detect_format,
    merge_chunks,
    read_rows,
    write_chunk,
)

EXT = {"jsonl": ".jsonl", "csv": ".csv", "parquet": ".parquet"}


class OutputExists(Exception):
    pass


def row_error(row: dict) -> str | None:
    if isinstance(row.get("_corrupt_record"), str):  # Spark's JSON reader: a line it could not parse
        return f"not valid JSON: {row['_corrupt_record'][:80]}"
    if "text" not in row or row["text"] is None:
        return "missing 'text'"
    if not isinstance(row["text"], str):
        return f"'text' must be a string, got {json_type(row['text'])}"
    if not row["text"].strip():
        return "empty 'text'"
    if "id" not in row or row["id"] in (None, ""):
        return "missing 'id'"
    if isinstance(row["id"], bool) or not isinstance(row["id"], str | Number):  # numpy's too (Spark)
        return f"'id' must be a string or a number, got {json_type(row['id'])}"
    return None


def prediction_column_names(schema) -> list[str]:
    """The columns `prediction_columns` writes, in order, for a label schema."""
    return [
        "topics",
        *(f"topic_score_{t}" for t in schema.topics),
        "framing",
        *(f"framing_score_{f}" for f in schema.framings),
        "warnings",
        "model",
    ]


def prediction_columns(result: dict, model_tag: str) -> dict:
    """Flat columns, the same in every format: topics, topic_score_<t>, framing, framing_score_<f>,
    warnings, model."""
    cols = {"topics": result["topics"]}
    cols.update({f"topic_score_{k}": v for k, v in result["topic_scores"].items()})
    cols["framing"] = result["framing"]
    cols.update({f"framing_score_{k}": v for k, v in result["framing_scores"].items()})
    cols["warnings"] = result.get("warnings", [])
    cols["model"] = model_tag
    return cols


def scored(row: dict, cols: dict) -> dict:
    """The input row plus the model's columns. An input field they would replace (a labelled
    file's own `topics` or `framing`) is kept beside them as input_<name>."""
    names = kept_names(list(row), cols)
    return {**{names[k]: v for k, v in row.items()}, **cols}


def kept_names(columns: list[str], predicted) -> dict[str, str]:
    """Each input column's name in the output: input_<name> where a predicted column takes the
    name, prefixed again while that names another input column. So a scored file scored again
    keeps its `input_topics` (the labels) and its earlier `topics` as `input_input_topics`."""
    names = {}
    for column in columns:
        name = column
        while name in predicted or (name != column and name in columns):
            name = f"input_{name}"
        names[column] = name
    return names


def with_warnings(article: dict, result: dict) -> dict:
    """A model's result plus the warnings a REST result carries (another script, a very short text)."""
    return {**result, "warnings": article_warnings(article)}


@dataclass
class ScoreResult:
    failed: int = 0
    resumed_rows: int = 0
    errors_path: Path | None = None
    output: Path | None = None


def parts_folder(out: Path) -> Path:
    """Where a run keeps its committed chunks until the output is whole."""
    return out.with_name(out.name + ".parts")


def job_manifest(src: Path, out: Path, model_tag: str, chunk_size: int) -> dict:
    """What makes two runs the same job: only the same job carries on from another's chunks."""
    return {
        "input": str(src.resolve()),
        "input_bytes": src.stat().st_size,
        "input_sha256": file_sha256(src),  # an input edited in place, its size unchanged
        "model": model_tag,
        "chunk_size": chunk_size,
        "format": detect_format(out),
        "reader": READER_VERSION,
    }


MANIFEST_FLAGS = {
    "model": "--model",
    "chunk_size": "--chunk-size",
    "format": "output format",
    "input_sha256": "input content (sha256)",
}


def file_sha256(path: Path) -> str:
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()[:16]


def other_partial_run(parts: Path, manifest: dict) -> str | None:
    """Why the chunks in `parts` cannot be carried on by this job, naming what differs by its flag
    (said before the model loads, and again by the job itself); None if they can, or there are none."""
    if not parts.exists():
        return None
    path = parts / "manifest.json"
    old = json.loads(path.read_text()) if path.exists() else {}
    if old == manifest:
        return None
    differ = "; ".join(
        f"{MANIFEST_FLAGS.get(k, k)} {old.get(k)} there, {v} now"
        for k, v in manifest.items()
        if old.get(k) != v
    )
    return (
        f"{parts} holds a partial run of a different job ({differ}); run it again as it was to carry "
        "on, or pass --overwrite to start again"
    )


def complete_output(out: Path, overwrite: bool) -> str | None:
    """Why a run must refuse `out` (said before the model loads, and again by the job itself)."""
    if not overwrite and out.exists() and not parts_folder(out).exists():
        return f"{out} already exists and is complete; pass --overwrite to replace it"
    return None


class ScoreJob:
    def __init__(self, predict: Callable[[list[dict]], list[dict]], model_tag: str, chunk_size: int = 256):
        self.predict = predict  # articles -> results (Tagger.predict)
        self.model_tag = model_tag
        self.chunk_size = chunk_size

    def run(
        self,
        src: Path,
        out: Path,
        overwrite: bool = False,
        progress: bool = True,
        manifest: dict | None = None,
    ) -> ScoreResult:
        """`manifest`: this job's `job_manifest`, when the caller has made it already (it hashes the
        whole input)."""
        out_fmt = detect_format(out)
        parts = parts_folder(out)
        errors_path = out.with_name(out.name + ".errors.jsonl")
        manifest = manifest or job_manifest(src, out, self.model_tag, self.chunk_size)
        done = self._prepare(out, parts, manifest, overwrite)
        result = ScoreResult(output=out, resumed_rows=done * self.chunk_size)
        total = count_rows(src)
        bar = tqdm(
            total=total,
            initial=min(total or 0, result.resumed_rows),
            unit="article",
            desc="scoring",
            disable=not progress,
            smoothing=0.1,
        )
        rows = islice(read_rows(src), done * self.chunk_size, None)
        k = done
        while chunk := list(islice(rows, self.chunk_size)):
            self._commit_chunk(k, chunk, parts, out_fmt)
            bar.update(len(chunk))
            k += 1
        bar.close()
        data_parts = [parts / f"part-{i:06d}{EXT[out_fmt]}" for i in range(k)]
        error_parts = [p for i in range(k) if (p := parts / f"part-{i:06d}.errors.jsonl").exists()]
        merge_chunks(data_parts, out, out_fmt)
        if error_parts:
            merge_chunks(error_parts, errors_path, "jsonl")
            result.errors_path = errors_path
        elif errors_path.exists():
            errors_path.unlink()
        result.failed = sum(1 for p in error_parts for _ in open(p, encoding="utf-8"))
        shutil.rmtree(parts)
        return result

    def _prepare(self, out: Path, parts: Path, manifest: dict, overwrite: bool) -> int:
        """Number of chunks already committed by an earlier run of the same job (0 for a fresh start)."""
        if overwrite:
            shutil.rmtree(parts, ignore_errors=True)
        elif problem := complete_output(out, overwrite):
            raise OutputExists(problem)
        if parts.exists():
            if problem := other_partial_run(parts, manifest):
                raise OutputExists(problem)
            done = 0
            while (parts / f"part-{done:06d}{EXT[manifest['format']]}").exists():
                done += 1
            return done
        parts.mkdir(parents=True)
        (parts / "manifest.json").write_text(json.dumps(manifest))
        return 0

    def _commit_chunk(self, k: int, chunk: list[tuple[int, dict | None, str | None]], parts: Path, fmt: str):
        errors, valid = [], []
        for n, row, err in chunk:
            err = err or row_error(row)
            if err:
                errors.append({"line": n, "id": row.get("id") if row else None, "error": err})
            else:
                valid.append((n, row))
        articles = [{"id": r["id"], "text": r["text"], "title": _title(r)} for _, r in valid]
        rows = []
        for (n, row), art, res in zip(valid, articles, predict_isolated(self.predict, articles)):
            if isinstance(res, Exception):
                errors.append({"line": n, "id": row["id"], "error": model_failure(res)})
            else:
                rows.append(scored(row, prediction_columns(with_warnings(art, res), self.model_tag)))
        errors.sort(key=lambda e: e["line"])
        err_part = parts / f"part-{k:06d}.errors.jsonl"
        if errors:
            write_chunk(err_part, errors, "jsonl")  # before the data part: the data part marks the chunk done
        elif err_part.exists():
            err_part.unlink()
        write_chunk(parts / f"part-{k:06d}{EXT[fmt]}", rows, fmt)


def _title(row: dict) -> str | None:
    t = row.get("title")
    return t if isinstance(t, str) else None


def iter_output(path: Path) -> Iterator[dict]:
    for _, row, _ in read_rows(path):
        if row is not None:
            yield row
