"""Streaming readers and chunk writers for JSON Lines, CSV and Parquet.

Readers yield (row number, record or None, problem or None) one row at a time, so memory stays
flat whatever the file size. Row numbers are 1-based lines for JSON Lines and CSV (the header is
line 1) and 1-based rows for Parquet.
"""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Iterator
from pathlib import Path

from tagger.data.records import iter_json_lines

FORMATS = {".jsonl": "jsonl", ".json": "jsonl", ".csv": "csv", ".parquet": "parquet", ".pq": "parquet"}


def detect_format(path: Path) -> str:
    try:
        return FORMATS[path.suffix.lower()]
    except KeyError:
        raise ValueError(f"{path}: unknown format '{path.suffix}' (use .jsonl, .csv or .parquet)") from None


def check_input(path: Path) -> str:
    """The input file's format, or a ValueError saying why it cannot be read (before any work).
    Label files call a `.json` file a Label Studio export (a JSON array); here `.json` is JSON Lines."""
    fmt = detect_format(path)
    if fmt == "jsonl":
        with open(path, "rb") as f:
            if f.read(4096).lstrip().startswith(b"["):
                raise ValueError(
                    f"{path}: a JSON array (a Label Studio export?), but scoring reads JSON Lines: "
                    "one article object per line"
                )
    return fmt


def count_rows(path: Path) -> int | None:
    fmt = detect_format(path)
    if fmt == "parquet":
        import pyarrow.parquet as pq

        return pq.ParquetFile(path).metadata.num_rows
    with open(path, "rb") as f:
        n = sum(buf.count(b"\n") for buf in iter(lambda: f.read(1 << 20), b""))
    return max(0, n - 1) if fmt == "csv" else n


def read_rows(path: Path) -> Iterator[tuple[int, dict | None, str | None]]:
    fmt = check_input(path)
    if fmt == "jsonl":
        yield from iter_json_lines(path, blank_lines_are_errors=True)
    elif fmt == "csv":
        yield from _read_csv(path)
    else:
        yield from _read_parquet(path)


def _read_csv(path: Path):
    with open(path, "rb") as raw:
        header_line = raw.readline()
        header = next(csv.reader([header_line.decode("utf-8", errors="replace")]), [])
        # Decode line by line so one bad byte costs one row, not the file. Quoted fields may span
        # lines; a row ends where csv says it ends.
        buf, start = "", 2
        for n, rawline in enumerate(raw, 2):
            try:
                buf += rawline.decode("utf-8")
            except UnicodeDecodeError as e:
                yield n, None, f"not valid UTF-8: byte 0x{rawline[e.start]:02x} at column {e.start + 1}"
                buf, start = "", n + 1
                continue
            if buf.count('"') % 2:  # inside a quoted field: keep reading
                continue
            for values in csv.reader(io.StringIO(buf)):
                if len(values) != len(header):
                    yield start, None, f"expected {len(header)} columns, got {len(values)}"
                else:
                    yield start, dict(zip(header, values)), None
            buf, start = "", n + 1


def _read_parquet(path: Path):
    import pyarrow.parquet as pq

    n = 0
    for batch in pq.ParquetFile(path).iter_batches(batch_size=1024):
        for row in batch.to_pylist():
            n += 1
            yield n, row, None


def write_chunk(path: Path, rows: list[dict], fmt: str) -> None:
    """Write rows to `path` atomically: a temporary file, fsync, then one rename."""
    tmp = path.with_name(path.name + ".tmp")
    if fmt == "parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq

        pq.write_table(pa.Table.from_pylist(rows), tmp)
    else:
        with open(tmp, "w", encoding="utf-8", newline="") as f:
            if fmt == "csv":
                w = csv.DictWriter(f, fieldnames=list(rows[0]) if rows else [])
                w.writeheader()
                w.writerows([{k: _csv_value(v) for k, v in r.items()} for r in rows])
            else:
                f.writelines(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
    with open(tmp, "rb") as f:
        os.fsync(f.fileno())
    tmp.replace(path)


def _csv_value(v):
    return ";".join(v) if isinstance(v, list) else v


def merge_chunks(parts: list[Path], out: Path, fmt: str) -> None:
    """Concatenate committed chunks into the final file (streaming), atomically."""
    tmp = out.with_name(out.name + ".tmp")
    if fmt == "parquet":
        import pyarrow.parquet as pq

        writer = None
        for p in parts:
            table = pq.read_table(p)
            if table.num_rows == 0:
                continue
            if writer is None:
                writer = pq.ParquetWriter(tmp, table.schema)
            writer.write_table(table.cast(writer.schema))
        if writer is None:
            import pyarrow as pa

            pq.write_table(pa.table({}), tmp)
        else:
            writer.close()
    else:
        with open(tmp, "wb") as f:
            header_done = False
            for p in parts:
                with open(p, "rb") as src:
                    if fmt == "csv":
                        header = src.readline()
                        if not header_done and header.strip():
                            f.write(header)
                            header_done = True
                    while buf := src.read(1 << 20):
                        f.write(buf)
    tmp.replace(out)
