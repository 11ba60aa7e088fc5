"""`tagger labels check` reports every planted problem with file:line and fails."""

import json

from tagger.data.shortcuts import ENFORCED_FROM

from conftest import run_tagger

GOOD = {
    "id": "a1",
    "title": "t",
    "text": "Some text about trade.",
    "topics": ["trade"],
    "framing": "neutral",
    "outlet_kind": "wire",
    "outlet_country": "PK",
    "date": "2025-02-01",
}


def line(**kw) -> bytes:
    rec = {**GOOD, **kw}
    rec = {k: v for k, v in rec.items() if v is not ...}
    return (json.dumps(rec) + "\n").encode()


def test_planted_errors_are_all_reported_with_file_and_line(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_bytes(
        b"\xef\xbb\xbf"
        + line(id="ok-1")  # 1 valid, after a byte-order mark
        + b'{"id": "broken", "text": \n'  # 2 invalid JSON
        + b'{"id": "latin", "text": "caf\xe9"}\n'  # 3 not UTF-8
        + line(id="x3", topics=["defence", "sport"])  # 4 unknown topic
        + line(id="x4", framing=...)  # 5 missing framing
        + line(id="x5", framing=["neutral", "india-focused"])  # 6 several framings
        + line(id="x6", text="   ")  # 7 empty text
        + line(id="ok-1")  # 8 duplicate id
        + line(id="x8", framing="hawkish")  # 9 unknown framing
        + line(id="x9", outlet_country="Mars", date="Jan 2025")  # 10 bad metadata
        + line(id="x10", date="2026-02-30")  # 11 no such day
        + line(id=12)  # 12 a numeric id
    )
    res = run_tagger("labels", "check", str(bad))
    assert res.returncode != 0
    err = res.stderr
    expected = {
        2: "invalid JSON: Expecting value (column 26)",  # where the line ends, not past it
        3: "not valid UTF-8",
        4: "unknown label 'sport'",
        5: "field 'framing': missing",
        6: "several framings",
        7: "field 'text': empty",
        8: "duplicate id 'ok-1'",
        9: "unknown label 'hawkish'",
        10: "field 'outlet_country'",
        12: "field 'id': expected a string, got a number",
    }
    for n, msg in expected.items():
        hits = [ln for ln in err.splitlines() if ln.startswith(f"{bad}:{n}:")]
        assert hits and any(msg in h for h in hits), f"line {n}: expected '{msg}' in {hits}\n{err}"
    assert f"{bad}:10:" in err and "field 'date'" in err
    assert f"{bad}:11: field 'date': expected a real date as YYYY-MM-DD, got '2026-02-30'" in err
    assert f"{bad}:1:" not in err
    assert "FAILED: 12 problem(s)" in err


def test_problems_across_files_and_duplicate_ids_between_files(tmp_path):
    (tmp_path / "a.jsonl").write_bytes(line(id="same"))
    (tmp_path / "b.jsonl").write_bytes(line(id="other") + line(id="same"))
    res = run_tagger("labels", "check", str(tmp_path))
    assert res.returncode == 1
    assert f"{tmp_path / 'b.jsonl'}:2: duplicate id 'same': also at {tmp_path / 'a.jsonl'}:1" in res.stderr


def test_valid_file_passes_and_prints_summary(tmp_path):
    f = tmp_path / "ok.jsonl"
    f.write_bytes(line(id="1") + line(id="2", topics=[], framing="india-focused", text="A flood in Sylhet."))
    res = run_tagger("labels", "check", str(f))
    assert res.returncode == 0, res.stderr
    assert "2 articles" in res.stdout
    assert "none " in res.stdout and "OK: 2 articles valid" in res.stdout


def test_missing_file_is_reported(tmp_path):
    res = run_tagger("labels", "check", str(tmp_path / "nope.jsonl"))
    assert res.returncode == 1 and "no such file" in res.stderr


WORDS = "rice cargo port treaty envoy frigate tariff summit border visa garment jute cotton".split()


def varied_text(i: int) -> str:
    """A distinct text per i (no two share a 5-word shingle), of a length unrelated to anything."""
    return " ".join(f"{WORDS[(i * 7 + k) % len(WORDS)]}{i}x{k}" for k in range(40))


def test_near_copies_are_listed_by_id_and_fail_the_check(tmp_path):
    f = tmp_path / "c.jsonl"
    base = "Pakistan and Bangladesh agreed on Tuesday to open a direct shipping line between Karachi and Chittagong, officials said after talks in Dhaka that lasted two days."
    f.write_bytes(
        line(id="orig", text=base)
        + line(id="copy", text=base.replace("Tuesday", "Wednesday"))
        + line(id="other", text=varied_text(1))
    )
    res = run_tagger("labels", "check", str(f))
    rows = [r for r in res.stdout.splitlines() if "copy" in r or "orig" in r]
    assert len(rows) == 1 and "orig" in rows[0] and "copy" in rows[0], res.stdout
    assert "other" not in res.stdout.split("near-duplicate", 1)[1].split("\n\n")[0]
    # and the check fails, at the later copy's line, naming where the first one is
    assert res.returncode == 1 and f"{f}:2: 'copy' is a near-copy of 'orig' ({f}:1;" in res.stderr, res.stderr


def test_a_corpus_whose_outlet_gives_the_framing_away_fails(tmp_path):
    """The shortcut probe: framing follows the outlet's country, so the check fails naming it; a
    folder of a few hundred articles gets the figure without the failure (it is noisy there)."""
    by_country = {"PK": "pro-alignment", "BD": "neutral", "IN": "india-focused"}
    rows = [
        line(id=f"s{i}", text=varied_text(i), outlet_country=c, framing=by_country[c])
        for i in range(ENFORCED_FROM)
        for c in [list(by_country)[i % 3]]
    ]
    small, whole = tmp_path / "small.jsonl", tmp_path / "shortcut.jsonl"
    small.write_bytes(b"".join(rows[:240]))
    res = run_tagger("labels", "check", str(small))
    assert res.returncode == 0 and "high (not enforced below 1,000 articles: noisy)" in res.stdout, res.stdout
    whole.write_bytes(b"".join(rows))
    res = run_tagger("labels", "check", str(whole))
    assert res.returncode == 1 and "framing is guessable from outlet country + kind alone" in res.stderr
    assert "TOO HIGH" in res.stdout


def test_a_near_copy_in_a_label_studio_export_is_named_by_its_task():
    from tagger.data.corpus_check import duplicate_problems
    from tagger.data.records import Article

    def art(id_: str, source: str) -> Article:
        return Article(id=id_, text="t", topics=[], framing="neutral", source=source)

    articles = [art("a", "labels/corpus/x.jsonl:3"), art("b", "labels/ls.json task #2 (id b:1)")]
    [problem] = duplicate_problems([("a", "b", 0.9)], articles)
    assert (problem.path, problem.line) == ("labels/ls.json task #2 (id b:1)", 0)
    assert "near-copy of 'a' (labels/corpus/x.jsonl:3;" in str(problem)
    [problem] = duplicate_problems([("b", "a", 0.9)], articles)
    assert (problem.path, problem.line) == ("labels/corpus/x.jsonl", 3)


def test_named_files_are_checked_against_the_training_data(tmp_path):
    """An id or a near-copy that clashes with the config's data fails here, not at training."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    story = "The two commerce ministers signed a protocol on rice exports at the port city on Monday morning."
    (corpus / "old.jsonl").write_bytes(line(id="old-1", text=story) + line(id="old-2"))
    cfg = tmp_path / "c.yaml"
    cfg.write_text(f"extends: tiny\ndata: {{paths: [{corpus}]}}\n")
    new = tmp_path / "new.jsonl"
    new.write_bytes(
        line(id="old-2", text="A flood in Sylhet.") + line(id="new-1", text=story + " Officials said.")
    )
    res = run_tagger("labels", "check", "--config", str(cfg), str(new))
    assert res.returncode == 1
    assert f"{new}:1: duplicate id 'old-2': also at {corpus / 'old.jsonl'}:2" in res.stderr
    assert f"{new}:2: 'new-1' is a near-copy of 'old-1' ({corpus / 'old.jsonl'}:1;" in res.stderr
    assert "FAILED: 2 problem(s)" in res.stderr  # the data's own articles are not re-listed
    assert "checked against the 1 other label file(s) of --config" in res.stdout
    assert res.stdout.startswith("2 articles")  # the summary is of the named file
    assert run_tagger("labels", "check", "--config", str(cfg), "--alone", str(new)).returncode == 0
    # a file of the data itself is checked against the rest of it, not against itself
    res = run_tagger("labels", "check", "--config", str(cfg), str(corpus / "old.jsonl"))
    assert res.returncode == 0 and "OK: 2 articles valid" in res.stdout, res.stderr
    assert "reads no other label files: checked alone" in res.stdout
    # a correction in the data's feedback log (read after everything else) is still a near-copy
    # of the named article; a name that merely starts like a data file's is not one of them
    (corpus / "feedback").mkdir()
    (corpus / "feedback" / "corrections.jsonl").write_bytes(
        line(id="wb-1", text=story + " A spokesman said.")
    )
    odd = tmp_path / "corpus" / "old.jsonl copy.jsonl"
    odd.write_bytes(line(id="new-2", text=story + " Officials agreed."))
    res = run_tagger("labels", "check", "--config", str(cfg), str(odd))
    assert res.returncode == 1 and f"{odd}:1: 'new-2' is a near-copy of 'old-1'" in res.stderr, res.stderr
    assert f"{odd}:1: 'new-2' is a near-copy of 'wb-1'" in res.stderr
    assert "OK" not in res.stdout and res.stdout.startswith("1 articles")


def test_a_string_left_open_is_named_as_such(tmp_path):
    from tagger.data.records import iter_json_lines

    f = tmp_path / "open.jsonl"
    f.write_bytes(b'{"id": "a1", "text": "Ministers met\n{"id": "a2"}\r\n')
    assert list(iter_json_lines(f)) == [
        (1, None, "invalid JSON: Unterminated string starting at (column 22)"),
        (2, {"id": "a2"}, None),
    ]


def test_a_schema_flag_naming_no_schema_is_said_in_one_line(tmp_path):
    not_schema = tmp_path / "config.yaml"
    not_schema.write_text("train: {epochs: 3}\n")
    res = run_tagger("labels", "check", "--schema", str(not_schema), "seeds/seeds.jsonl")
    assert res.returncode == 2 and "Traceback" not in res.stderr
    assert f"error: {not_schema}: not a label schema" in res.stderr and "KeyError: 'topics'" in res.stderr
    res = run_tagger("labels", "check", "--schema", str(tmp_path / "nope.yaml"), "seeds/seeds.jsonl")
    assert res.returncode == 2 and res.stderr.strip() == f"error: {tmp_path / 'nope.yaml'}: no such file"
