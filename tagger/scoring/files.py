"""Streaming readers and chunk writers for JSON Lines, CSV and Parquet.

Readers yield (row number, record or None, problem or None) one row at a time, so memory stays
flat whatever the file size. Row numbers are 1-based lines for JSON Lines and CSV (the header is
line 1) and 1-based rows for Parquet.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
from collections.abc import Iterable, Iterator
from pathlib import Path

from tagger.data.records import BOM, iter_json_lines

READER_VERSION = 2  # rows are resumed by count: a reader that splits a file differently is another job
FORMATS = {".jsonl": "jsonl", ".json": "jsonl", ".csv": "csv", ".parquet": "parquet", ".pq": "parquet"}


def detect_format(path: Path) -> str:
    try:
        return FORMATS[path.suffix.lower()]
    except KeyError:
        raise ValueError(f"{path}: unknown format '{path.suffix}' (use .jsonl, .csv or .parquet)") from None


def check_input(path: Path) -> str:
    """The input file's format, or a ValueError saying why it cannot be read (before any work):
    not a file, an unknown extension, a JSON array where JSON Lines are read (label files call a
    `.json` file a Label Studio export), a CSV or Parquet file without a `text` or `id` column."""
    if path.is_dir():
        raise ValueError(f"{path}: a folder, not a file (Spark reads folders: --engine spark)")
    fmt = detect_format(path)
    if fmt != "parquet":
        with open(path, "rb") as f:
            head = f.read(4096)
        if problem := _text_problem(head, fmt):
            raise ValueError(f"{path}: {problem}")
    if fmt == "jsonl":
        if head.removeprefix(BOM).lstrip().startswith(b"["):
            raise ValueError(
                f"{path}: a JSON array (a Label Studio export?), but scoring reads JSON Lines: "
                "one article object per line"
            )
        return fmt
    columns = _columns(path, fmt)
    if columns is not None and (missing := [c for c in ("id", "text") if c not in columns]):
        raise ValueError(
            f"{path}: no {' or '.join(repr(c) for c in missing)} column; its columns are "
            + (", ".join(repr(c) for c in columns) or "none")
        )
    if columns is not None and (repeated := sorted({c for c in columns if columns.count(c) > 1})):
        raise ValueError(
            f"{path}: column {', '.join(map(repr, repeated))} appears more than once in the header; "
            "give each column its own name (only one of them would be read)"
        )
    return fmt


def _text_problem(head: bytes, fmt: str) -> str | None:
    """Why the start of a CSV or JSON Lines file is not text this reads (UTF-8, LF or CRLF lines)."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in head:
        return "UTF-16 text, but this reads UTF-8: save it as UTF-8 (in Excel: 'CSV UTF-8')"
    first = head.split(b"\n", 1)[0]
    if fmt == "csv" and b"\r" in first.rstrip(b"\r"):
        return "lines end in a bare carriage return (old Mac style); save it with LF or CRLF line endings"
    return None


def _columns(path: Path, fmt: str) -> list[str] | None:
    """The column names of a CSV (its header; None for an empty file) or Parquet file."""
    if fmt == "csv":
        with open(path, "rb") as f:
            first = f.readline()
        return _csv_header(first) if first else None
    import pyarrow.parquet as pq

    try:
        return pq.read_schema(path).names
    except Exception as e:  # pyarrow says "magic bytes not found" and the like
        raise ValueError(f"{path}: not a readable Parquet file ({e})") from None


def _csv_header(first_line: bytes) -> list[str]:
    return next(csv.reader([first_line.decode("utf-8-sig", errors="replace")]), [])


def count_rows(path: Path) -> int | None:
    """Rows to expect, for the progress bar: a CSV's records (a quoted field may span lines), a
    JSON Lines file's lines."""
    fmt = detect_format(path)
    if fmt == "parquet":
        import pyarrow.parquet as pq

        return pq.ParquetFile(path).metadata.num_rows
    if fmt == "csv":
        csv.field_size_limit(max(csv.field_size_limit(), MAX_FIELD))
        with open(path, encoding="utf-8", errors="replace", newline="") as f:
            try:
                return max(0, sum(1 for _ in csv.reader(f)) - 1)
            except csv.Error:  # reading the rows reports where; the bar goes without a total
                return None
    with open(path, "rb") as f:
        return sum(buf.count(b"\n") for buf in iter(lambda: f.read(1 << 20), b""))


def read_rows(path: Path) -> Iterator[tuple[int, dict | None, str | None]]:
    """Every row of a file (`check_input` first, for a user's file)."""
    fmt = detect_format(path)
    if fmt == "jsonl":
        yield from iter_json_lines(path, blank_lines_are_errors=True)
    elif fmt == "csv":
        yield from _read_csv(path)
    else:
        yield from _read_parquet(path)


def _read_csv(path: Path):
    """Rows as Python's csv module reads them in strict mode (a stray quote inside an unquoted field
    is text). A quoted field left open at the end of the file costs only the row it opened in:
    reading resumes on the next line. One that runs on over lines and then breaks the CSV costs one
    error naming those lines (lines inside a quoted field are never read as rows of their own). A
    line that is not UTF-8 costs the row it is in. Excel's byte-order mark is dropped."""
    csv.field_size_limit(max(csv.field_size_limit(), MAX_FIELD))  # an article may be long
    with open(path, "rb") as raw:
        first = raw.readline()
        header = _csv_header(first)
        line, offset = 2, len(first)  # the line where the next row starts, and its byte offset
        while offset is not None:
            raw.seek(offset)
            lines = _Lines(raw, line)
            reader = csv.reader(lines, strict=True)
            offset = None
            while True:
                start = line
                try:
                    values = next(reader)
                except StopIteration:
                    return
                except csv.Error as e:
                    line = lines.next_line
                    if str(e) == "unexpected end of data":  # left open to the end: resume after it
                        yield (
                            start,
                            None,
                            'an unmatched " on this line leaves a quoted field open to the end of the file',
                        )
                        line, offset = start + 1, lines.offsets[start + 1]
                        break
                    lines.row_read(start, line)
                    where = (
                        "this line"
                        if line - start == 1
                        else f"lines {start}-{line - 1} (a quoted field runs on)"
                    )
                    yield start, None, f"not a CSV row: {e}, on {where}"
                    continue
                line = lines.next_line
                if problem := lines.row_read(start, line):
                    yield start, None, problem
                elif len(values) != len(header):
                    spans = f" (a quoted field spans lines {start}-{line - 1})" if line - start > 1 else ""
                    yield start, None, f"expected {len(header)} columns, got {len(values)}{spans}"
                else:
                    yield start, dict(zip(header, values)), None


MAX_FIELD = 2**31 - 1  # csv's default limit is 131,072 characters per field


class _Lines:
    """Decoded lines for csv.reader, remembering where each starts and which were not UTF-8 (decoded
    with replacement characters, so the row they belong to can be refused, not the file)."""

    def __init__(self, raw, first_line: int):
        self.raw, self.next_line = raw, first_line
        self.offsets: dict[int, int] = {first_line: raw.tell()}
        self.bad: dict[int, str] = {}

    def __iter__(self):
        return self

    def __next__(self) -> str:
        data = self.raw.readline()
        if not data:
            raise StopIteration
        n = self.next_line
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as e:
            self.bad[n] = f"not valid UTF-8: byte 0x{data[e.start]:02x} at column {e.start + 1}"
            text = data.decode("utf-8", errors="replace")
        self.next_line = n + 1
        self.offsets[n + 1] = self.offsets[n] + len(data)
        return text

    def row_read(self, start: int, end: int) -> str | None:
        """Forget the lines of the row just read (start to end - 1); the first of them not UTF-8, if any."""
        problem = next(
            (
                self.bad[n] + ("" if n == start else f" on line {n}")
                for n in range(start, end)
                if n in self.bad
            ),
            None,
        )
        for n in range(start, end):
            self.offsets.pop(n, None)
            self.bad.pop(n, None)
        return problem


def _read_parquet(path: Path):
    import pyarrow.parquet as pq

    n = 0
    for batch in pq.ParquetFile(path).iter_batches(batch_size=1024):
        for row in batch.to_pylist():
            n += 1
            yield n, row, None


def columns_of(rows: Iterable[Iterable[str]]) -> list[str]:
    """Every field of these rows (dicts, or headers), in order of first appearance: rows need not
    share their fields."""
    return list(dict.fromkeys(k for r in rows for k in r))


def write_chunk(path: Path, rows: list[dict], fmt: str) -> None:
    """Write rows to `path` atomically: a temporary file, fsync, then one rename."""
    tmp = path.with_name(path.name + ".tmp")
    if fmt == "parquet":
        import pyarrow.parquet as pq

        pq.write_table(_arrow_table(rows), tmp)
    else:
        with open(tmp, "w", encoding="utf-8", newline="") as f:
            if fmt == "csv":
                w = csv.DictWriter(f, fieldnames=columns_of(rows))
                w.writeheader()
                w.writerows([{k: _csv_value(k, v) for k, v in r.items()} for r in rows])
            else:
                f.writelines(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
    with open(tmp, "rb") as f:
        os.fsync(f.fileno())
    tmp.replace(path)


def _csv_value(column: str, v):
    """Topic names (`topics`, `input_topics`, ...) as 'a;b', as spreadsheets read them; every other
    list (warnings, whose sentences hold ';' themselves, or a carried list) and object as JSON, so a
    column is written one way in every row (an empty list too: '[]', not a missing value)."""
    if column.endswith("topics") and isinstance(v, list) and all(isinstance(x, str) for x in v):
        return ";".join(v)
    return _as_text(v) if isinstance(v, list | dict) else v


def _arrow_table(rows: list[dict]):
    """A column per field of any row (missing values null). A carried-through field whose values
    differ in type between rows (a date given as text here and as a number there) is kept as text."""
    import pyarrow as pa

    columns = {}
    for name in columns_of(rows):
        values = [r.get(name) for r in rows]
        try:
            columns[name] = pa.array(values)
        except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError):
            columns[name] = pa.array([_as_text(v) for v in values], pa.string())
    return pa.table(columns)


def _as_text(v) -> str | None:
    return v if v is None or isinstance(v, str) else json.dumps(v, ensure_ascii=False, default=str)


def merge_chunks(parts: list[Path], out: Path, fmt: str) -> None:
    """Concatenate committed chunks into the final file (streaming), atomically. Chunks may differ
    in their columns (a field first seen in a later chunk): the file gets every column."""
    tmp = out.with_name(out.name + ".tmp")
    if fmt == "parquet":
        _merge_parquet(parts, tmp)
    elif fmt == "csv":
        _merge_csv(parts, tmp)
    else:
        with open(tmp, "wb") as f:
            for p in parts:
                with open(p, "rb") as src:
                    shutil.copyfileobj(src, f, 1 << 20)
    tmp.replace(out)


def _merge_csv(parts: list[Path], tmp: Path) -> None:
    headers = []
    for p in parts:
        with open(p, encoding="utf-8", newline="") as f:
            headers.append(next(csv.reader(f), []))
    columns = columns_of(headers)
    with open(tmp, "w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=columns)
        if columns:
            writer.writeheader()
        for p, header in zip(parts, headers):
            with open(p, encoding="utf-8", newline="") as src:
                if header == columns:  # the common case: copy as is
                    src.readline()
                    shutil.copyfileobj(src, f, 1 << 20)
                else:
                    writer.writerows(csv.DictReader(src))


def _merge_parquet(parts: list[Path], tmp: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    schemas = [pq.read_schema(p) for p in parts if pq.ParquetFile(p).metadata.num_rows]
    if not schemas:
        pq.write_table(pa.table({}), tmp)
        return
    schema = _common_schema(schemas)
    with pq.ParquetWriter(tmp, schema) as writer:
        for p in parts:
            table = pq.read_table(p)
            if table.num_rows:
                writer.write_table(_conform(table, schema))


def _common_schema(schemas: list):
    """Each column's type across the chunks, as Arrow widens types (null to anything, int to
    float, ...); a column whose chunks cannot be reconciled is text."""
    import pyarrow as pa

    fields: dict[str, list] = {}
    for schema in schemas:
        for f in schema:
            fields.setdefault(f.name, []).append(f.type)
    out = []
    for name, types in fields.items():
        try:
            kind = (
                pa.unify_schemas(
                    [pa.schema([pa.field(name, t)]) for t in types], promote_options="permissive"
                )
                .field(name)
                .type
            )
        except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
            kind = pa.string()
        out.append(pa.field(name, kind))
    return pa.schema(out)


def _conform(table, schema):
    """The chunk's columns in the file's schema: missing ones null, others cast (or made text)."""
    import pyarrow as pa

    columns = []
    for f in schema:
        if f.name not in table.column_names:
            columns.append(pa.nulls(table.num_rows, f.type))
            continue
        col = table.column(f.name)
        try:
            columns.append(col if col.type == f.type else col.cast(f.type))
        except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
            columns.append(pa.array([_as_text(v) for v in col.to_pylist()], pa.string()))
    return pa.table(columns, schema=schema)
