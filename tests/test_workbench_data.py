"""The workbench's server side without a server: uploads read as `tagger score` reads them, chart
numbers equal to summarize_scores, scored files in every format."""

import io
import json

import pyarrow.parquet as pq
import pytest

from tagger.scoring.charts import chart_data
from tagger.scoring.summary import summarize_scores
from tagger.scoring.uploads import parse_upload, scored_row, write_scored

RESULT = {
    "topics": ["trade"],
    "topic_scores": {"defence": 0.1, "trade": 0.8, "diplomacy": 0.2},
    "framing": "neutral",
    "framing_scores": {"pro-alignment": 0.2, "neutral": 0.7, "india-focused": 0.1},
    "model": {"tag": "article-tagger:x"},
}


def test_jsonl_upload_gives_line_numbers_and_reasons_like_the_errors_file():
    lines = [
        json.dumps({"id": "a", "text": "one"}),
        "{broken",
        json.dumps({"id": "b", "text": " "}),
        json.dumps({"id": "c", "text": "ok"}),
    ]
    parsed = parse_upload(("\n".join(lines) + "\n").encode(), "day.jsonl")
    assert [r["line"] for r in parsed.rows] == [1, 4]
    assert [(e["line"], e["id"]) for e in parsed.errors] == [(2, None), (3, "b")]
    assert (
        parsed.errors[0]["error"].startswith("invalid JSON") and parsed.errors[1]["error"] == "empty 'text'"
    )


def test_csv_upload_counts_the_header_as_line_1():
    parsed = parse_upload(b"id,text\na,hello there\nb,\n", "x.csv")
    assert [r["line"] for r in parsed.rows] == [2] and parsed.errors == [
        {"line": 3, "id": "b", "error": "empty 'text'"}
    ]


def test_scored_rows_round_trip_in_every_format(schema):
    rows = [scored_row({"id": "a", "text": "t", "date": "2025-01-02", "outlet_country": "PK"}, RESULT)]
    assert rows[0]["model"] == "article-tagger:x" and rows[0]["topic_score_trade"] == 0.8
    assert json.loads(write_scored(rows, "jsonl"))["framing"] == "neutral"
    assert write_scored(rows, "csv").decode().splitlines()[1].startswith("a,t,2025-01-02,PK,trade,")
    assert pq.read_table(io.BytesIO(write_scored(rows, "parquet"))).num_rows == 1


def test_chart_numbers_are_summarize_scores_numbers(schema):
    rows = []
    for i in range(12):
        res = {**RESULT, "framing": schema.framings[i % 3], "topics": ["defence"] if i % 2 else []}
        rows.append(
            scored_row(
                {
                    "id": str(i),
                    "text": "t",
                    "date": f"2025-0{1 + i % 3}-01",
                    "outlet_country": "PK" if i < 6 else "BD",
                },
                res,
            )
        )
    data = chart_data(rows, schema)
    summary = summarize_scores(rows)
    assert data["n"] == 12 and data["counts"] == {k: summary.labels[k] for k in data["counts"]}
    assert set(data["over_time"]) == {"all", "PK", "BD"}
    for point in data["over_time"]["all"]:
        c = summary.by_month[point["month"]]
        assert point["n"] == sum(c.values())
        assert all(abs(point["share"][f] - c[f] / point["n"]) < 1e-9 for f in schema.framings)
    pk = summarize_scores(r for r in rows if r["outlet_country"] == "PK")
    assert [p["n"] for p in data["over_time"]["PK"]] == [
        sum(pk.by_month[m].values()) for m in sorted(pk.by_month)
    ]


def test_an_upload_in_an_unknown_format_is_refused_naming_it():
    with pytest.raises(
        ValueError, match=r"notes\.txt: unknown format '\.txt' \(use \.jsonl, \.csv or \.parquet\)"
    ):
        parse_upload(b"id,text\n", "notes.txt")


def test_an_upload_without_a_text_column_is_one_error_naming_its_columns():
    with pytest.raises(ValueError, match=r"^articles\.csv: no 'text' column; its columns are 'id', 'body'$"):
        parse_upload(b"id,body\na1,one\na2,two\n", "articles.csv")
