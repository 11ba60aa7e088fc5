"""`tagger score`: formats, resumability after SIGKILL, bad rows; Spark gives the same predictions."""

import json
import os
import signal
import subprocess
import sys
import time

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tagger.engine.runtime import cpu_has_int8_dot
from tagger.scoring.files import READER_VERSION, read_rows
from tagger.scoring.job import OutputExists, ScoreJob, file_sha256, job_manifest

from conftest import REPO, run_tagger


@pytest.fixture(scope="module")
def rows(small_corpus):
    out = []
    for line in small_corpus.read_text().splitlines():
        a = json.loads(line)
        out.append(
            {
                "id": a["id"],
                "title": a["title"],
                "text": a["text"],
                "outlet_country": a["outlet_country"],
                "date": a["date"],
            }
        )
    return out


FAKE_RESULT = {
    "topics": ["trade"],
    "topic_scores": {"defence": 0.1, "trade": 0.9, "diplomacy": 0.2},
    "framing": "neutral",
    "framing_scores": {"pro-alignment": 0.1, "neutral": 0.8, "india-focused": 0.1},
}


def write(path, rows):
    if path.suffix == ".parquet":
        pq.write_table(pa.Table.from_pylist(rows), path)
    elif path.suffix == ".csv":
        import csv

        with open(path, "w", newline="", encoding="utf-8") as f:
            w = csv.DictWriter(f, fieldnames=list(rows[0]))
            w.writeheader()
            w.writerows(rows)
    else:
        path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")


def read(path):
    return [r for _, r, _ in read_rows(path)]


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "parquet"])
def test_round_trip_each_format(tmp_path, rows, promoted_tiny, fmt):
    src, out = tmp_path / f"in.{fmt}", tmp_path / f"out.{fmt}"
    write(src, rows)
    res = run_tagger("score", str(src), "-o", str(out), "--model", promoted_tiny)
    assert res.returncode == 0, res.stderr[-2000:]
    got = read(out)
    assert [r["id"] for r in got] == [r["id"] for r in rows]
    assert all(
        r["text"] == s["text"] and r["outlet_country"] == s["outlet_country"] for r, s in zip(got, rows)
    )
    assert all(r["model"] == promoted_tiny and r["framing"] and "topic_score_defence" in r for r in got)
    assert (tmp_path / f"out.{fmt}.summary.png").stat().st_size > 0
    assert f"{len(rows)} articles scored" in res.stdout and "framing by outlet_country" in res.stdout
    again = run_tagger("score", str(src), "-o", str(out), "--model", promoted_tiny)
    assert again.returncode == 2 and "already exists" in again.stderr  # complete output kept
    assert "scoring with" not in again.stdout  # said before the model loads
    if fmt == "jsonl":  # --overwrite replaces it: scoring fewer rows leaves only those
        write(src, rows[:3])
        res = run_tagger("score", str(src), "-o", str(out), "--model", promoted_tiny, "--overwrite")
        assert res.returncode == 0 and [r["id"] for r in read(out)] == [r["id"] for r in rows[:3]]


@pytest.mark.skipif(not cpu_has_int8_dot(), reason="this CPU has no int8 dot products (VNNI/AMX)")
def test_int8_scoring_gives_the_same_labels(tmp_path, rows, promoted_tiny):
    src = tmp_path / "in.jsonl"
    write(src, rows)
    outs = {}
    for flags in ([], ["--int8"]):
        out = tmp_path / f"out{len(flags)}.jsonl"
        res = run_tagger("score", str(src), "-o", str(out), "--model", promoted_tiny, *flags)
        assert res.returncode == 0, res.stderr[-2000:]
        outs[bool(flags)] = read(out)
    same = [
        (a["topics"], a["framing"]) == (b["topics"], b["framing"]) for a, b in zip(outs[False], outs[True])
    ]
    assert len(same) == len(rows) and sum(same) / len(same) >= 0.95
    assert any(a["topic_score_defence"] != b["topic_score_defence"] for a, b in zip(outs[False], outs[True]))
    spark = run_tagger("score", str(src), "-o", str(tmp_path / "s"), "--engine", "spark", "--int8")
    assert spark.returncode == 2 and "--int8 is for --engine local" in spark.stderr


def test_each_backend_scores_a_file_with_the_same_labels(tmp_path, rows, promoted_tiny):
    src = tmp_path / "in.jsonl"
    write(src, rows)
    labels = {}
    for backend in ("torch", "openvino"):
        out = tmp_path / f"{backend}.jsonl"
        res = run_tagger("score", str(src), "-o", str(out), "--model", promoted_tiny, "--backend", backend)
        assert res.returncode == 0, res.stderr[-2000:]
        assert f"scoring with {promoted_tiny}: {backend}, " in res.stdout  # the engine asked for ran
        labels[backend] = [(r["topics"], r["framing"]) for r in read(out)]
    same = [a == b for a, b in zip(labels["torch"], labels["openvino"])]
    assert len(same) == len(rows) and sum(same) / len(same) >= 0.95  # bf16 on both where the CPU has it
    spark = run_tagger(
        "score", str(src), "-o", str(tmp_path / "s"), "--engine", "spark", "--backend", "torch"
    )
    assert spark.returncode == 2 and "--backend is for --engine local" in spark.stderr
    local = run_tagger("score", str(src), "-o", str(tmp_path / "l.jsonl"), "--master", "local[2]")
    assert local.returncode == 2 and "--master is for --engine spark" in local.stderr
    csv_in = tmp_path / "in.csv"
    csv_in.write_text("id,text\na1,Ministers met.\n")
    spark = run_tagger("score", str(csv_in), "-o", str(tmp_path / "s"), "--engine", "spark")
    assert spark.returncode == 2 and "reads Parquet or JSON Lines, not CSV" in spark.stderr


def test_unknown_model_is_named(tmp_path, rows, promoted_tiny):
    src = tmp_path / "in.jsonl"
    write(src, rows[:2])
    res = run_tagger("score", str(src), "-o", str(tmp_path / "out.jsonl"), "--model", "nosuchversion")
    assert res.returncode == 2 and "no stored model 'article-tagger:nosuchversion'" in res.stderr
    # the default model is the --config's promoted one (accurate: article-tagger-accurate)
    config = tmp_path / "empty-store.yaml"
    config.write_text("extends: tiny\nregistry:\n  name: t-nothing-stored\n")
    res = run_tagger("score", str(src), "-o", str(tmp_path / "out.jsonl"), "--config", str(config))
    assert res.returncode == 2 and "no promoted t-nothing-stored model" in res.stderr, res.stderr
    assert f"train one with `tagger train --config {config}`" in res.stderr  # the store it would fill
    res = run_tagger("models", "--config", str(config))
    assert f"no models stored; train one with `tagger train --config {config}`" in res.stdout
    # a version stored under another config's name is pointed to
    version = promoted_tiny.split(":")[1]
    res = run_tagger("models", "--config", str(config), "--promote", version)
    assert res.returncode == 2 and f"{promoted_tiny} is stored under another name" in res.stderr, res.stderr
    res = run_tagger("evaluate", str(src), "--config", str(config), "-o", str(tmp_path / "ev"))
    assert res.returncode == 2 and f"train one with `tagger train --config {config}`" in res.stderr
    # a store's name alone is not a model: said, not looked up as 'article-tagger:article-tagger'
    res = run_tagger("score", str(src), "-o", str(tmp_path / "out.jsonl"), "--model", "article-tagger")
    assert res.returncode == 2 and "'article-tagger' names a store of models, not one" in res.stderr


def test_a_json_array_is_named_as_such_before_any_work(tmp_path, rows, promoted_tiny):
    src, out = tmp_path / "export.json", tmp_path / "out.jsonl"
    src.write_text(json.dumps(rows[:2]))  # a Label Studio-like export, not JSON Lines
    res = run_tagger("score", str(src), "-o", str(out), "--model", promoted_tiny)
    assert res.returncode == 2 and f"{src}: a JSON array (a Label Studio export?)" in res.stderr
    assert not out.exists() and not out.with_name(out.name + ".parts").exists()
    src.write_text("\n".join(json.dumps(r) for r in rows[:2]) + "\n")  # JSON Lines under .json: fine
    assert run_tagger("score", str(src), "-o", str(out), "--model", promoted_tiny).returncode == 0


def test_an_input_without_rows_is_scored_but_said(tmp_path, promoted_tiny):
    """A header-only CSV (a day with no articles, or a wrong export): an empty output, exit 0, and a warning."""
    src, out = tmp_path / "none.csv", tmp_path / "out.csv"
    src.write_text("id,text\n")
    res = run_tagger("score", str(src), "-o", str(out), "--model", promoted_tiny)
    assert res.returncode == 0 and out.exists(), res.stderr
    assert f"warning: {src} holds no rows to score (empty, or a CSV header only)" in res.stderr


def test_inputs_that_cannot_be_scored_are_refused_before_any_work(tmp_path, rows, promoted_tiny):
    """Each refused with one line naming the file and what is wrong, before the model loads and
    before anything is written (the input is never overwritten)."""
    src = tmp_path / "in.jsonl"
    write(src, rows[:2])
    no_text, fake = tmp_path / "notext.csv", tmp_path / "fake.parquet"
    no_text.write_text("id,body\na1,Ministers met.\n")
    fake.write_text("not parquet")
    twice, mac, utf16 = tmp_path / "twice.csv", tmp_path / "mac.csv", tmp_path / "u16.jsonl"
    twice.write_text("id,text,text\na1,Ministers met.,Another text\n")  # one would be lost
    mac.write_bytes(b"id,text\ra1,Ministers met.\r")
    utf16.write_bytes('{"id": "a1", "text": "Ministers met."}\n'.encode("utf-16"))
    cases = [
        ([str(tmp_path), "-o", str(tmp_path / "o.jsonl")], "a folder, not a file"),
        ([str(src), "-o", str(src), "--overwrite"], "the output would replace the input"),
        ([str(src), "-o", str(tmp_path / "o.jsonl"), "--chunk-size", "0"], "--chunk-size must be at least 1"),
        ([str(src), "-o", str(tmp_path / "o.txt")], "unknown format '.txt'"),
        (
            [str(no_text), "-o", str(tmp_path / "o.csv")],
            f"{no_text}: no 'text' column; its columns are 'id', 'body'",
        ),
        ([str(fake), "-o", str(tmp_path / "o.parquet")], f"{fake}: not a readable Parquet file"),
        ([str(twice), "-o", str(tmp_path / "o.csv")], f"{twice}: column 'text' appears more than once"),
        ([str(mac), "-o", str(tmp_path / "o.csv")], f"{mac}: lines end in a bare carriage return"),
        ([str(utf16), "-o", str(tmp_path / "o.csv")], f"{utf16}: UTF-16 text, but this reads UTF-8"),
    ]
    for args, message in cases:
        res = run_tagger("score", *args, "--model", promoted_tiny)
        assert res.returncode == 2 and message in res.stderr and "Traceback" not in res.stderr, (
            args,
            res.stderr,
        )
    inputs = ["fake.parquet", "in.jsonl", "mac.csv", "notext.csv", "twice.csv", "u16.jsonl"]
    assert sorted(p.name for p in tmp_path.iterdir()) == inputs
    assert read(src) == [{k: r[k] for k in ("id", "title", "text")} | r for r in rows[:2]]


def test_parquet_chunks_with_different_column_types_merge_into_one_file(tmp_path):
    """Chunk by chunk a field may be only empty lists, ints then floats, text then numbers: the
    merged file widens the type where Arrow can (null to list, int to float) and keeps text where
    it cannot; a run in which every row fails still ends with a readable (empty) file."""
    src, out = tmp_path / "in.jsonl", tmp_path / "out.parquet"
    write(src, [
        {"id": "p1", "text": "one", "tags": [], "n": 1, "when": "2025-01-05"},
        {"id": "p2", "text": "two", "tags": ["a"], "n": 2.5, "when": 20250106},
        {"id": "p3", "text": "three", "tags": "b", "n": 2**70, "when": None},
    ])  # fmt: skip
    ScoreJob(lambda arts: [FAKE_RESULT for _ in arts], "m:1", chunk_size=1).run(src, out, progress=False)
    got = pq.read_table(out).to_pylist()
    assert [r["id"] for r in got] == ["p1", "p2", "p3"]
    assert [r["n"] for r in got] == ["1", "2.5", str(2**70)]  # int, float, too big for int64: text
    assert [r["when"] for r in got] == ["2025-01-05", "20250106", None]
    assert [r["tags"] for r in got] == ["[]", '["a"]', "b"]
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "x", "text": ""}\n{"id": "y"}\n')
    result = ScoreJob(lambda arts: [FAKE_RESULT for _ in arts], "m:1").run(
        bad, tmp_path / "none.parquet", progress=False
    )
    assert result.failed == 2 and read(tmp_path / "none.parquet") == []


def test_a_partial_run_of_another_job_says_what_differs(tmp_path, rows, promoted_tiny):
    src, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    write(src, rows[:6])
    parts = out.with_name(out.name + ".parts")
    ScoreJob(lambda arts: [FAKE_RESULT for _ in arts], "m:1", chunk_size=2).run(src, out, progress=False)
    out.unlink()
    parts.mkdir()
    (parts / "manifest.json").write_text(
        json.dumps({"input": str(src.resolve()), "input_bytes": src.stat().st_size, "model": "m:1",
                    "input_sha256": file_sha256(src), "chunk_size": 2, "format": "jsonl",
                    "reader": READER_VERSION})
    )  # fmt: skip
    with pytest.raises(
        OutputExists, match=r"a different job \(--chunk-size 2 there, 3 now\); run it again as it was"
    ):
        ScoreJob(lambda arts: [FAKE_RESULT for _ in arts], "m:1", chunk_size=3).run(src, out, progress=False)
    # tagger score says so before it loads the model, naming its flags
    res = run_tagger("score", str(src), "-o", str(out), "--model", promoted_tiny, "--chunk-size", "3")
    assert res.returncode == 2 and "scoring with" not in res.stdout, res.stdout
    assert f"(--model m:1 there, {promoted_tiny} now; --chunk-size 2 there, 3 now)" in res.stderr, res.stderr


def test_a_partial_run_is_not_carried_on_over_an_input_edited_in_place(tmp_path, rows):
    """One character changed, the size the same: the chunks already scored are of other text."""
    src, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    write(src, rows[:6])
    job = ScoreJob(lambda arts: [FAKE_RESULT for _ in arts], "m:1", chunk_size=2)
    job.run(src, out, progress=False)
    out.unlink()
    parts = out.with_name(out.name + ".parts")
    parts.mkdir()
    (parts / "manifest.json").write_text(json.dumps(job_manifest(src, out, "m:1", 2)))
    text = src.read_text()
    src.write_text(text.replace("a", "b", 1))
    assert src.stat().st_size == len(text.encode())
    with pytest.raises(OutputExists, match=r"input content \(sha256\) \w+ there, \w+ now"):
        job.run(src, out, progress=False)


def test_bad_rows_reported_with_line_numbers_and_good_rows_scored(tmp_path, rows, promoted_tiny):
    src = tmp_path / "in.jsonl"
    lines = [json.dumps(r) for r in rows[:5]]
    lines[1] = '{"id": "x", "text": "   "}'
    lines[3] = "{not json"
    src.write_bytes(
        ("\n".join(lines[:4]) + "\n").encode()
        + b'{"id": "enc", "text": "caf\xe9"}\n'
        + (lines[4] + "\n" + json.dumps({"id": "nt"}) + "\n").encode()
    )
    out = tmp_path / "out.jsonl"
    res = run_tagger("score", str(src), "-o", str(out), "--model", promoted_tiny)
    assert res.returncode == 1 and "4 row(s) failed" in res.stderr
    errors = [json.loads(x) for x in (tmp_path / "out.jsonl.errors.jsonl").read_text().splitlines()]
    assert [(e["line"], e["error"].split(":")[0]) for e in errors] == [
        (2, "empty 'text'"),
        (4, "invalid JSON"),
        (5, "not valid UTF-8"),
        (7, "missing 'text'"),
    ]
    assert [r["id"] for r in read(out)] == [rows[0]["id"], rows[2]["id"], rows[4]["id"]]


def test_csv_is_read_as_python_csv_reads_it_and_a_bad_row_costs_only_itself(tmp_path):
    """A stray inch mark is text (it used to swallow the rest of the file silently); a quote left
    open to the end of the file costs its own row and reading resumes on the next line; a quoted
    field broken by an inner quote is an error (its rest too, never an article of its own); a byte that is not UTF-8 costs its row; Excel's BOM is dropped; an article
    longer than csv's default field limit is read whole."""
    src = tmp_path / "in.csv"
    src.write_bytes(
        b"\xef\xbb\xbfid,text\n"
        b'a1,The navy tested a 12" gun off Karachi.\n'
        b'a2,"A report over\ntwo lines, with a comma"\n'
        b'a3,"He said, "no" today\nand left"\n'
        b'a4,"caf\xe9\nsecond line"\n'
        b'a5,"' + b"word " * 30_000 + b'\nlast line of a long article"\n'
        b"a6,Port officials welcomed a ship.\n"
        b'a7,"An opening quote that never closes\n'
        b"a8,Ministers met in Islamabad.\n"
    )
    got = [(n, row["id"] if row else err) for n, row, err in read_rows(src)]
    assert got == [
        (2, "a1"),
        (3, "a2"),
        (5, "not a CSV row: ',' expected after '\"', on this line"),
        (6, "expected 2 columns, got 1"),  # the rest of that field: an error, not a made-up article
        (7, "not valid UTF-8: byte 0xe9 at column 8"),
        (9, "a5"),
        (11, "a6"),
        (12, 'an unmatched " on this line leaves a quoted field open to the end of the file'),
        (13, "a8"),
    ]
    rows = {r["id"]: r for r in read(src) if r}
    assert rows["a1"]["text"] == 'The navy tested a 12" gun off Karachi.'
    assert rows["a2"]["text"] == "A report over\ntwo lines, with a comma"
    assert len(rows["a5"]["text"]) > 150_000


@pytest.mark.parametrize("chunk_size", [1, 256])
@pytest.mark.parametrize("fmt", ["jsonl", "csv", "parquet"])
def test_rows_with_different_fields_keep_every_column_in_its_place(tmp_path, fmt, chunk_size):
    """Rows need not share their fields, within a chunk or across chunks: every field is carried
    through in its own column (a Parquet field whose type differs between rows becomes text)."""
    src, out = tmp_path / "in.jsonl", tmp_path / f"out.{fmt}"
    rows = [
        {"id": "h1", "text": "plain"},
        {"id": "h2", "text": "second", "outlet_country": "PK", "date": "2025-01-05"},
        {"id": "h3", "text": "third", "date": 20250106},
    ]
    write(src, rows)
    result = ScoreJob(lambda arts: [FAKE_RESULT for _ in arts], "m:1", chunk_size=chunk_size).run(
        src, out, progress=False
    )
    assert result.failed == 0
    got = {r["id"]: r for r in read(out)}
    assert [got[i].get("outlet_country") or None for i in ("h1", "h2", "h3")] == [None, "PK", None]
    assert [str(got[i]["date"]) if got[i].get("date") else None for i in ("h1", "h2", "h3")] == [
        None,
        "2025-01-05",
        "20250106",
    ]
    assert all(got[i]["framing"] == "neutral" and float(got[i]["topic_score_trade"]) == 0.9 for i in got)


def test_an_article_the_model_fails_on_costs_only_its_row(tmp_path, rows):
    """The model fails on one article of a chunk: the chunk is scored one article at a time, the
    failing row goes to the errors file with its line, and every other row is scored."""
    calls = []

    def predict(articles):
        calls.append(len(articles))
        if any(a["id"] == rows[2]["id"] for a in articles):
            raise RuntimeError("out of memory")
        return [FAKE_RESULT for _ in articles]

    src, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    write(src, rows[:5])
    result = ScoreJob(predict, "m:1", chunk_size=4).run(src, out, progress=False)
    assert calls == [4, 1, 1, 1, 1, 1]  # the failed chunk, its four articles alone, the second chunk
    assert result.failed == 1
    [error] = [json.loads(x) for x in result.errors_path.read_text().splitlines()]
    assert error == {
        "line": 3,
        "id": rows[2]["id"],
        "error": "the model failed on this article (RuntimeError: out of memory)",
    }
    assert [r["id"] for r in read(out)] == [r["id"] for i, r in enumerate(rows[:5]) if i != 2]


def test_spark_submit_names_the_model_by_its_tag(tmp_path):
    from tagger.scoring.spark import tag_of

    assert tag_of(tmp_path / "models" / "article-tagger" / "abc123") == "article-tagger:abc123"


def test_spark_partitions_isolate_an_article_the_model_fails_on(rows, monkeypatch, schema):
    """The function each Spark worker runs on a partition (no Spark session needed): a bad row and
    an article the model fails on get their error column; the others are scored."""
    import pandas as pd

    from tagger.scoring import spark

    class FailsOnOne:
        def predict(self, articles):
            if any(a["id"] == rows[2]["id"] for a in articles):
                raise RuntimeError("out of memory")
            return [FAKE_RESULT for _ in articles]

    failing = FailsOnOne()
    failing.schema = schema
    monkeypatch.setattr(spark, "_TAGGER", failing)
    pdf = pd.DataFrame([{k: r[k] for k in ("id", "title", "text")} for r in rows[:5]])
    pdf.loc[0, "text"] = " "
    pdf["framing"] = "india-focused"  # a labelled input's own column, kept beside the model's
    pdf["input_framing"] = "neutral"  # and one an earlier scoring kept: neither is lost
    [out] = list(spark.make_scorer("unused", "m:1")(iter([pdf])))
    assert (
        list(out["input_input_framing"]) == ["india-focused"] * 5 and list(out.columns).count("framing") == 1
    )
    assert list(out["input_framing"]) == ["neutral"] * 5
    from pyspark.sql.types import StringType, StructField, StructType  # the schema Spark is told

    declared = spark.output_schema(StructType([StructField(c, StringType()) for c in pdf.columns]), schema)
    assert declared.fieldNames() == list(out.columns)
    assert out["warnings"][3] == [] and out["warnings"][0] is None
    assert out["error"][0] == "empty 'text'" and pd.isna(out["error"][1])
    assert out["error"][2] == "the model failed on this article (RuntimeError: out of memory)"
    assert out["error"][3:].isna().all() and list(out["framing"][3:]) == ["neutral", "neutral"]
    assert (
        out["framing"][1] == "neutral"
        and pd.isna(out["framing"][2])
        and list(out["model"][3:]) == ["m:1"] * 2
    )
    assert out["topics"][0] is None and out["topics"][2] is None  # null, not NaN: Arrow needs a list or null


def test_sigkill_mid_run_then_resume_equals_uninterrupted(tmp_path, rows, promoted_tiny):
    # enough chunks (~100) that the kill lands mid-run on a fast machine too
    many = [dict(r, id=f"{r['id']}-{k}") for k in range(20) for r in rows]
    src = tmp_path / "in.jsonl"
    write(src, many)
    ref = tmp_path / "ref.jsonl"
    assert (
        run_tagger(
            "score", str(src), "-o", str(ref), "--model", promoted_tiny, "--chunk-size", "8"
        ).returncode
        == 0
    )

    out = tmp_path / "out.jsonl"
    cmd = [
        sys.executable,
        "-m",
        "tagger.cli",
        "score",
        str(src),
        "-o",
        str(out),
        "--model",
        promoted_tiny,
        "--chunk-size",
        "8",
    ]
    proc = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    parts = tmp_path / "out.jsonl.parts"
    deadline = time.time() + 120
    while time.time() < deadline and len(list(parts.glob("part-*.jsonl"))) < 3:
        time.sleep(0.01)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    committed = len(list(parts.glob("part-*.jsonl")))
    assert 3 <= committed < -(-len(many) // 8), "the kill should land mid-run"
    assert not out.exists()

    res = run_tagger("score", str(src), "-o", str(out), "--model", promoted_tiny, "--chunk-size", "8")
    assert res.returncode == 0, res.stderr[-2000:]
    assert f"the first {committed * 8} input rows were already committed" in res.stdout
    assert read(out) == read(ref)  # identical rows: none lost, none repeated
    assert not parts.exists()


def test_ctrl_c_mid_run_says_how_to_carry_on_and_the_rerun_does(tmp_path, rows, promoted_tiny):
    many = [dict(r, id=f"{r['id']}-{k}") for k in range(20) for r in rows]
    src, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    write(src, many)
    cmd = [sys.executable, "-m", "tagger.cli", "score", str(src), "-o", str(out), "--model", promoted_tiny,
           "--chunk-size", "8"]  # fmt: skip
    proc = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    parts = tmp_path / "out.jsonl.parts"
    deadline = time.time() + 120
    while time.time() < deadline and len(list(parts.glob("part-*.jsonl"))) < 2:
        time.sleep(0.01)
    os.kill(proc.pid, signal.SIGINT)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130 and "Traceback" not in stderr, stderr[-2000:]
    assert f"interrupted: the chunks committed so far are kept in {out}.parts; run the same command" in stderr
    res = run_tagger("score", str(src), "-o", str(out), "--model", promoted_tiny, "--chunk-size", "8")
    assert res.returncode == 0 and "input rows were already committed" in res.stdout
    assert [r["id"] for r in read(out)] == [r["id"] for r in many]


def test_spark_local_mode_matches_tagger_score(tmp_path, rows, promoted_tiny):
    pytest.importorskip("pyspark")
    many = [dict(r, id=f"{r['id']}-{k}") for k in range(8) for r in rows][:300]
    src, folder = tmp_path / "in.parquet", tmp_path / "in_parts"  # Spark reads a folder of parts
    write(src, many)
    folder.mkdir()
    write(folder / "part-0.parquet", many)
    local, spark_out = tmp_path / "local.parquet", tmp_path / "spark_out"
    assert run_tagger("score", str(src), "-o", str(local), "--model", promoted_tiny).returncode == 0
    res = run_tagger(
        "score",
        str(folder),
        "-o",
        str(spark_out),
        "--model",
        promoted_tiny,
        "--engine",
        "spark",
        "--master",
        "local[2]",
    )
    assert res.returncode == 0, res.stderr[-3000:]
    a = {r["id"]: r for r in read(local)}
    b = {r["id"]: r for r in pq.read_table(spark_out).to_pylist()}
    assert a.keys() == b.keys() and len(a) == len(many)
    assert {r["model"] for r in b.values()} == {promoted_tiny}
    for k, r in a.items():
        assert list(r["topics"]) == list(b[k]["topics"]) and r["framing"] == b[k]["framing"]
        for col in r:
            if col.startswith(("topic_score_", "framing_score_")):
                assert abs(r[col] - b[k][col]) < 1e-3
    # input without a text column: a one-line error naming the file and what it has, no traceback
    bad = tmp_path / "no_text.jsonl"
    bad.write_text('{"id": "a1", "body": "words"}\n')
    res = run_tagger(
        "score", str(bad), "-o", str(tmp_path / "x"), "--model", promoted_tiny, "--engine", "spark"
    )
    assert res.returncode == 2 and f"error: {bad}: no 'text' column (columns: body, id)" in res.stderr
    # rows without usable text, and a broken line, get an error and the job goes on (a real session)
    mixed, mixed_out = tmp_path / "mixed.jsonl", tmp_path / "mixed_out"
    good = [{k: r[k] for k in ("id", "text")} for r in rows[:3]]
    lines = [json.dumps(r) for r in good]
    lines += ['{"id": "blank", "text": "  "}', '{"id": "none", "text": null}', '{"id": "absent"}', "{broken"]
    mixed.write_text("\n".join(lines) + "\n")
    res = run_tagger("score", str(mixed), "-o", str(mixed_out), "--model", promoted_tiny, "--engine", "spark")
    # failed rows are said and give exit code 1, as with the local engine
    assert res.returncode == 1 and "4 row(s) failed: their `error` column says why" in res.stderr, res.stderr
    got = {r["id"]: r for r in pq.read_table(mixed_out).to_pylist()}
    assert all(got[r["id"]]["error"] is None and got[r["id"]]["framing"] for r in good)
    assert got["blank"]["error"] == "empty 'text'" and got["blank"]["topics"] is None
    assert got["none"]["error"] == got["absent"]["error"] == "missing 'text'"
    assert got[None]["error"] == "not valid JSON: {broken"
    # an existing output is kept unless --overwrite says otherwise
    spark = ("--model", promoted_tiny, "--engine", "spark", "--master", "local[1]")
    before = sorted(p.name for p in spark_out.iterdir())
    res = run_tagger("score", str(bad), "-o", str(spark_out), *spark)
    assert res.returncode == 2 and f"{spark_out} already exists: pass --overwrite" in res.stderr, res.stderr
    assert sorted(p.name for p in spark_out.iterdir()) == before
    # --overwrite replaces it: only the new input's rows are there afterwards
    res = run_tagger("score", str(mixed), "-o", str(spark_out), *spark, "--overwrite")
    assert res.returncode == 1 and "scored 7 rows with Spark" in res.stdout, res.stderr[-3000:]
    assert {r["id"] for r in pq.read_table(spark_out).to_pylist()} == set(got)
    # a folder of CSV parts is named as CSV, not read line by line as broken JSON
    parts = tmp_path / "csv_parts"
    parts.mkdir()
    (parts / "part-0.csv").write_text("id,text\na1,Ministers met.\n")
    res = run_tagger("score", str(parts), "-o", str(tmp_path / "csv_out"), *spark)
    assert (
        res.returncode == 2 and f"{parts}: Spark scoring reads Parquet or JSON Lines, not CSV" in res.stderr
    )


def test_csv_output_writes_carried_objects_as_json(tmp_path):
    from tagger.scoring.files import write_chunk

    out = tmp_path / "o.csv"
    row = {"id": "a", "topics": ["trade", "defence"], "meta": {"k": 9}, "tags": [1, 2], "warnings": ["x; y"]}
    other = {"id": "b", "topics": [], "meta": {}, "tags": ["p", "q"], "warnings": []}
    write_chunk(out, [row, other], "csv")
    # topic names joined with ';'; any other list as JSON in every row, whatever its items
    lines = out.read_text().splitlines()
    assert lines[1] == 'a,trade;defence,"{""k"": 9}","[1, 2]","[""x; y""]"'
    assert lines[2] == 'b,,{},"[""p"", ""q""]",[]'


@pytest.mark.parametrize("fmt", ["jsonl", "parquet"])
def test_a_labelled_file_keeps_its_own_labels_and_gets_each_rows_warnings(tmp_path, rows, promoted_tiny, fmt):
    """Scoring a file that already holds labels (to compare) keeps them as input_topics and
    input_framing; the warnings a REST result carries (another script, a short text) are a column."""
    labelled = [{**r, "topics": ["trade", "diplomacy"], "framing": "india-focused"} for r in rows[:3]]
    labelled[1]["text"] = "Talks held."
    labelled[2]["text"] = "ঢাকায় পাকিস্তানের সঙ্গে বাণিজ্য আলোচনা হয়েছে এবং দুই দেশের মন্ত্রীরা বৈঠক করেছেন। " * 3
    src, out = tmp_path / f"in.{fmt}", tmp_path / f"out.{fmt}"
    write(src, labelled)
    res = run_tagger("score", str(src), "-o", str(out), "--model", promoted_tiny)
    assert res.returncode == 0, res.stderr[-2000:]
    got = read(out)
    assert all(list(r["input_topics"]) == ["trade", "diplomacy"] for r in got)
    assert all(
        r["input_framing"] == "india-focused" and r["framing"] in FAKE_RESULT["framing_scores"] for r in got
    )
    assert list(got[0]["warnings"]) == [] and "only 2 words" in got[1]["warnings"][0]
    assert any("Bengali script" in w for w in got[2]["warnings"])


def test_a_scored_file_scored_again_keeps_its_labels_and_its_earlier_predictions():
    """Input columns a prediction would replace are kept as input_<name>, prefixed again where that
    names another input column: re-scoring last month's output loses neither the labels it kept
    (input_topics) nor its earlier predictions (topics, now input_input_topics)."""
    from tagger.scoring.job import kept_names, scored

    predicted = {"topics": ["trade"], "framing": "neutral"}
    row = {"id": "a", "topics": ["defence"], "input_topics": ["trade", "diplomacy"], "text": "t"}
    out = scored(row, predicted)
    assert out["input_topics"] == ["trade", "diplomacy"] and out["input_input_topics"] == ["defence"]
    assert out["topics"] == ["trade"] and len(out) == len(row) + len(predicted)  # nothing dropped
    names = kept_names(["topics", "input_topics", "input_input_topics", "framing"], [*predicted, "error"])
    assert len(set(names.values())) == 4 and not set(names.values()) & {*predicted, "error"}


def test_the_summary_finds_the_outlet_column_in_any_row_and_aligns_its_tables(schema):
    from tagger.scoring.summary import format_score_summary, summarize_scores

    rows = [{"topics": [], "framing": "neutral"}]  # JSON Lines rows vary: the first has no outlet
    rows += [
        {"topics": ["trade"], "framing": f, "outlet_country": c}
        for f, c in [("neutral", "PK"), ("pro-alignment", "BD")]
    ]
    text = format_score_summary(summarize_scores(rows), schema)
    table = text.split("\n\n")[-1].splitlines()
    assert table[0].startswith("framing by outlet_country") and [r.split()[0] for r in table[1:]] == [
        "BD",
        "PK",
    ]
    assert len({len(line) for line in table}) == 1  # every line as wide as its header


def test_an_id_must_be_a_string_or_a_number():
    import numpy as np

    from tagger.scoring.job import row_error

    for good in ("a1", 7, np.int64(7)):
        assert row_error({"id": good, "text": "Ministers met."}) is None
    assert (
        row_error({"id": ["a"], "text": "Ministers met."}) == "'id' must be a string or a number, got a list"
    )
    assert row_error({"id": True, "text": "x"}) == "'id' must be a string or a number, got true/false"


def test_the_progress_total_counts_csv_records_not_lines(tmp_path):
    from tagger.scoring.files import count_rows

    src = tmp_path / "in.csv"
    src.write_text('id,text\r\na,"one\nlong\narticle"\r\nb,short\r\n')
    assert count_rows(src) == 2
    src.write_text('id,text\na,"left open\nb,short\n')
    assert count_rows(src) == 1  # one row runs to the end; reading it says where it opened
