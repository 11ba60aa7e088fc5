"""The feedback log: schema-checked, durable appends; latest wins on read and in load_labelled."""

import json

import pytest

from tagger.data.corpus import load_labelled
from tagger.data.feedback import (
    FEEDBACK_FILE_ENV,
    FeedbackLog,
    article_id,
    correction_record,
    feedback_path,
    is_feedback_log,
)
from tagger.data.records import Article

from conftest import REPO, run_tagger

TEXT = "Pakistan's army chief received Bangladesh's principal staff officer in Rawalpindi for talks."
ANSWER = {"topics": ["trade"], "framing": "neutral"}


def _record(schema, topics, framing, **article):
    art = {"id": "fb1", "title": "Army chiefs meet", "text": TEXT, **article}
    return correction_record(art, topics, framing, "article-tagger:abc", ANSWER, schema)


def test_record_carries_time_model_and_answer_and_valid_metadata_only(schema):
    r = _record(
        schema, ["defence"], "pro-alignment", outlet_country="PK", outlet_kind="Dawn", date="2025-03-01"
    )
    assert r["model"] == "article-tagger:abc" and r["model_answer"] == ANSWER and r["corrected_at"]
    assert r["outlet_country"] == "PK" and r["date"] == "2025-03-01" and "outlet_kind" not in r
    pasted = correction_record({"title": "T", "text": TEXT}, [], "neutral", None, None, schema)
    assert pasted["id"] == article_id("T", TEXT) != article_id("T", TEXT + ".")
    assert article_id("T", TEXT) != article_id(None, TEXT)


def test_append_refuses_what_the_schema_refuses(tmp_path, schema):
    log = FeedbackLog(tmp_path / "feedback" / "corrections.jsonl", schema)
    with pytest.raises(ValueError, match="framing"):
        log.append(_record(schema, ["defence"], "hawkish"))
    with pytest.raises(ValueError, match="topics"):
        log.append(_record(schema, ["sports"], "neutral"))
    assert not log.path.exists() or log.path.read_text() == ""


def test_latest_wins_in_the_log_and_over_the_corpus(tmp_path, schema):
    corpus = tmp_path / "corpus.jsonl"
    base = {"id": "fb1", "title": "t", "text": TEXT, "topics": ["trade"], "framing": "neutral"}
    other = {
        **base,
        "id": "other",
        "text": "A different story about rice shipments from Karachi to Chattogram.",
    }
    corpus.write_text(json.dumps(base) + "\n" + json.dumps(other) + "\n")
    log = FeedbackLog(tmp_path / "feedback" / "corrections.jsonl", schema)
    log.append(_record(schema, ["diplomacy"], "neutral"))
    log.append(_record(schema, ["defence"], "pro-alignment"))
    log.append(_record(schema, [], "neutral", id="fb2"))
    assert [json.loads(x)["id"] for x in log.path.read_text().splitlines()] == ["fb1", "fb1", "fb2"]
    alone, problems = load_labelled([log.path], schema)
    assert not problems and [(a.id, a.topics) for a in alone] == [("fb1", ["defence"]), ("fb2", [])]
    articles, problems = load_labelled([corpus, log.path.parent], schema)
    assert not problems, problems
    by_id = {a.id: a for a in articles}
    assert (
        len(articles) == 3 and by_id["fb1"].topics == ["defence"] and by_id["fb1"].framing == "pro-alignment"
    )
    assert by_id["fb1"].meta["model_answer"] == ANSWER


def test_duplicates_outside_feedback_logs_are_still_errors(tmp_path, schema, monkeypatch):
    rec = {"id": "x", "text": TEXT, "topics": [], "framing": "neutral"}
    (tmp_path / "a.jsonl").write_text(json.dumps(rec) + "\n" + json.dumps(rec) + "\n")
    _, problems = load_labelled([tmp_path], schema)
    assert any("duplicate id 'x'" in str(p) for p in problems)
    # ...unless it is the log the workbench writes to ($TAGGER_FEEDBACK_FILE), wherever it sits
    monkeypatch.setenv(FEEDBACK_FILE_ENV, str(tmp_path / "a.jsonl"))
    articles, problems = load_labelled([tmp_path], schema)
    assert not problems and [a.id for a in articles] == ["x"]


def test_a_torn_last_line_is_skipped_then_repaired(tmp_path, schema):
    log = FeedbackLog(tmp_path / "feedback" / "corrections.jsonl", schema)
    log.append(_record(schema, ["defence"], "neutral"))
    with open(log.path, "ab") as f:
        f.write(b'{"id": "fb9", "text": "cut sho')  # a crash mid-write
    articles, problems = load_labelled([log.path], schema)
    assert not problems and [a.id for a in articles] == ["fb1"]
    log.append(_record(schema, [], "neutral", id="fb2"))
    lines = log.path.read_text().splitlines()
    assert [json.loads(x)["id"] for x in lines] == ["fb1", "fb2"]


def test_labels_check_accepts_a_feedback_log_beside_the_corpus(tmp_path, schema):
    log = FeedbackLog(tmp_path / "labels" / "feedback" / "corrections.jsonl", schema)
    corpus = REPO / "labels" / "corpus"
    first = json.loads(next(iter(sorted(corpus.glob("*.jsonl")))).read_text().splitlines()[0])
    log.append(correction_record(first, first["topics"], first["framing"], "m", ANSWER, schema))
    log.append(correction_record(first, first["topics"], first["framing"], "m", ANSWER, schema))
    res = run_tagger("labels", "check", str(corpus), str(log.path))
    assert res.returncode == 0, res.stderr[-2000:]
    n = len(load_labelled([corpus], schema)[0])
    assert f"OK: {n} articles valid" in res.stdout  # the correction replaced its article, not added one


def test_a_correction_never_takes_the_id_of_another_article():
    """Two scored files both numbering rows 1..N: the second correction of id '1' is another
    article, logged under its own id, while a second correction of the same article keeps it."""
    from tagger.data.feedback import place

    def placed(rid: str, text: str) -> tuple[str, str | None]:
        record = {"id": rid, "text": text}
        note = place(record, known)
        return record["id"], note

    known = {
        "1": Article("1", "Ministers met in Dhaka.", [], "neutral"),
        "b01-004": Article("b01-004", "A frigate docked.", ["defence"], "neutral"),
    }
    assert placed("1", "Ministers met in Dhaka. ") == ("1", None)  # the same article
    assert placed("1", "Ministers  met\r\nin Dhaka.") == ("1", None)  # other whitespace
    other, note = placed("1", "Floods hit Sylhet.")
    assert other.startswith("1-") and other not in known and "already names another article" in note
    assert placed("1", "Floods hit Sylhet.")[0] == other  # stable
    assert placed("new", "x") == ("new", None)


def test_a_correction_of_a_labelled_article_under_another_id_corrects_it(schema):
    """A scored file's row that near-copies a corpus article is that article: logged under its id
    (a copy under the row's id would fail `labels check`), keeping its outlet and date."""
    from tagger.data.feedback import place

    text = " ".join(
        f"Officials in Dhaka and Islamabad discussed item {i} of the new trade plan." for i in range(30)
    )
    known = {
        "b02-002": Article(
            "b02-002", text, ["trade"], "neutral", meta={"outlet_kind": "wire", "date": "2025-01-02"}
        )
    }
    row = {"id": "r7", "text": text.replace("item 3 ", "point 3 "), "title": "", "outlet_country": "PK"}
    record = correction_record(row, ["diplomacy"], "neutral", "m", ANSWER, schema)
    note = place(record, known)
    assert record["id"] == "b02-002" and "saved as a correction of it, not as 'r7'" in note
    assert record["outlet_kind"] == "wire" and record["date"] == "2025-01-02"
    assert record["outlet_country"] == "PK"  # the row's, where the labelled article has none
    # the same article under its own id keeps the labelled metadata over the row's
    row = {"id": "b02-002", "text": text, "outlet_kind": "opinion"}
    record = correction_record(row, ["trade"], "neutral", "m", ANSWER, schema)
    assert place(record, known) is None and record["outlet_kind"] == "wire"


def test_a_relative_feedback_file_lies_in_the_project_folder(tmp_path, monkeypatch):
    """As config paths do, so training (which reads data.paths from the project folder) finds the
    log the server writes, whatever folder either was started in."""
    monkeypatch.setenv("TAGGER_HOME", str(tmp_path))
    monkeypatch.setenv(FEEDBACK_FILE_ENV, "notes/fixes.jsonl")
    monkeypatch.chdir(tmp_path.parent)
    assert feedback_path() == tmp_path / "notes" / "fixes.jsonl"
    assert is_feedback_log(tmp_path / "notes" / "fixes.jsonl")
