"""Round trip through Label Studio's formats, using the real CLI and real files."""

import json
import xml.etree.ElementTree as ET

from conftest import run_tagger


def test_export_then_import_round_trip(tmp_path, schema):
    src = tmp_path / "unlabelled.jsonl"
    rows = [
        {
            "id": "n1",
            "title": "Port call",
            "text": "A Pakistani frigate docked at Chattogram.",
            "outlet_kind": "wire",
            "outlet_country": "BD",
            "date": "2025-11-02",
        },
        {"id": "n2", "text": "Rain floods Sylhet."},
    ]
    src.write_text("\n".join(json.dumps(r) for r in rows) + "\n{broken\n", encoding="utf-8")
    tasks_path = tmp_path / "tasks.json"
    res = run_tagger("labels", "export-ls", str(src), "-o", str(tasks_path))
    assert res.returncode == 1 and f"{src}:3: invalid JSON" in res.stderr  # bad line reported, rest kept
    tasks = json.loads(tasks_path.read_text())
    assert [t["data"]["id"] for t in tasks] == ["n1", "n2"]

    config = ET.fromstring((tmp_path / "tasks.config.xml").read_text())
    controls = {c.get("name"): [ch.get("value") for ch in c] for c in config.iter("Choices")}
    assert controls == {"topics": list(schema.topics), "framing": list(schema.framings)}

    # An analyst labels them in Label Studio; the export adds annotations.
    def ann(topics, framing, updated, cancelled=False):
        return {
            "id": 1,
            "updated_at": updated,
            "was_cancelled": cancelled,
            "result": [
                {"from_name": "topics", "to_name": "text", "type": "choices", "value": {"choices": topics}},
                {
                    "from_name": "framing",
                    "to_name": "text",
                    "type": "choices",
                    "value": {"choices": [framing]},
                },
            ],
        }

    tasks[0]["annotations"] = [
        ann(["trade"], "neutral", "2025-01-01"),
        ann(["defence"], "neutral", "2025-01-02"),
        ann(["trade"], "india-focused", "2025-01-03", cancelled=True),
    ]
    tasks[1]["annotations"] = [ann([], "neutral", "2025-01-01")]
    tasks.append(
        {"id": 99, "data": {"id": "n3", "text": "t"}, "annotations": [ann(["cricket"], "neutral", "x")]}
    )
    tasks[-1]["annotations"][0]["result"][1]["value"]["choices"] = ["pro"]  # a second problem, same task
    export = tmp_path / "export.json"
    export.write_text(json.dumps([*tasks, {**tasks[1], "id": 98}]))  # the same article twice: refused once

    out = tmp_path / "labelled.jsonl"
    res = run_tagger("labels", "import-ls", str(export), "-o", str(out))
    assert (
        res.returncode == 1
        and "task #3 (id n3, Label Studio task 99)" in res.stderr
        and "unknown label 'cricket'" in res.stderr
        and "unknown label 'pro'" in res.stderr
        and "task #4 (id n2, Label Studio task 98): duplicate id 'n2': also at task #2" in res.stderr
        and "2 task(s) skipped" in res.stdout  # tasks, not problems
    )
    got = [json.loads(x) for x in out.read_text().splitlines()]
    assert got[0] == {**rows[0], "topics": ["defence"], "framing": "neutral"}
    assert got[1]["topics"] == [] and got[1]["framing"] == "neutral"
    assert run_tagger("labels", "check", str(out)).returncode == 0
    # a whole project's export can sit under labels/: a task nobody has labelled yet is left out,
    # not a problem, while a bad label still is one
    tasks.append({"id": 100, "data": {"id": "n4", "text": "Not labelled yet."}})
    project = tmp_path / "project.json"
    project.write_text(json.dumps(tasks))
    res = run_tagger("labels", "check", str(project))
    assert (
        res.returncode == 1
        and "task #3 (id n3, Label Studio task 99)" in res.stderr
        and "id 100" not in res.stderr
    )
    project.write_text(json.dumps(tasks[:2] + tasks[3:]))
    res = run_tagger("labels", "check", str(project))
    assert res.returncode == 0 and "2 articles" in res.stdout, res.stdout + res.stderr
    # and import-ls takes such an export without failing, saying what it left out
    res = run_tagger("labels", "import-ls", str(project), "-o", str(tmp_path / "project.jsonl"))
    assert res.returncode == 0, res.stderr
    assert "wrote 2 labelled articles" in res.stdout and "1 task(s) not annotated yet left out" in res.stdout
    assert "note:" not in res.stderr  # every article had its own id
    # a task whose data has no id (or a null one) is named by Label Studio's task id, and that is said
    no_id = [{**tasks[1], "id": 7, "data": {"text": "Rain floods Sylhet.", "id": None}}]
    no_id.append({**tasks[1], "id": 8, "data": {"text": "Rain floods Sylhet again."}})
    project.write_text(json.dumps(no_id))
    res = run_tagger("labels", "import-ls", str(project), "-o", str(tmp_path / "no_id.jsonl"))
    assert res.returncode == 0 and "note: 2 task(s) have no 'id' in their data" in res.stderr, res.stderr
    assert [json.loads(x)["id"] for x in (tmp_path / "no_id.jsonl").read_text().splitlines()] == ["7", "8"]


def test_import_and_export_refuse_what_they_cannot_do_and_never_empty_a_label_file(tmp_path):
    labels = tmp_path / "mine.jsonl"
    labels.write_text('{"id": "a", "text": "Ministers met.", "topics": [], "framing": "neutral"}\n')
    before = labels.read_text()
    not_export = tmp_path / "notes.json"
    not_export.write_text('{"hello": 1}')
    records = tmp_path / "records.json"  # our own records in a JSON array: not tasks
    records.write_text(
        json.dumps([{"id": "a", "text": "Ministers met.", "topics": [], "framing": "neutral"}])
    )
    cases = [
        (
            ("import-ls", str(records), "-o", str(tmp_path / "r.jsonl")),
            1,
            "task #1 (id a): an article object, not a Label Studio task",
        ),
        (("import-ls", str(not_export), "-o", str(labels)), 2, "mine.jsonl already exists; pass --overwrite"),
        (("import-ls", str(not_export), "-o", str(labels), "--overwrite"), 1, "nothing imported from"),
        (("export-ls", str(not_export), "-o", str(labels)), 2, "mine.jsonl already exists; pass --overwrite"),
        (
            ("doubts", str(tmp_path / "none"), "-o", str(labels)),
            2,
            "mine.jsonl already exists; pass --overwrite",
        ),
        (("import-ls", str(labels), "-o", str(labels)), 2, "the output would replace the input"),
        (("import-ls", str(tmp_path / "nope.json"), "-o", str(labels)), 2, "nope.json: no such file"),
        (("export-ls", str(tmp_path / "nope.jsonl"), "-o", str(tmp_path / "t.json")), 2, "no such file"),
        (("export-ls", str(tmp_path / "in.csv"), "-o", str(tmp_path / "t.json")), 2, "no such file"),
    ]
    for args, code, message in cases:
        res = run_tagger("labels", *args)
        assert res.returncode == code and message in res.stderr and "Traceback" not in res.stderr, (
            args,
            res.stderr,
        )
    assert labels.read_text() == before
    (tmp_path / "in.csv").write_text("id,text\na,b\n")
    res = run_tagger("labels", "export-ls", str(tmp_path / "in.csv"), "-o", str(tmp_path / "t.json"))
    assert res.returncode == 2 and "export-ls reads JSON Lines" in res.stderr
    # an output folder that does not exist yet is made, as `tagger score` does
    res = run_tagger("labels", "export-ls", str(labels), "-o", str(tmp_path / "new" / "tasks.json"))
    assert res.returncode == 0 and (tmp_path / "new" / "tasks.json").exists()
    # imported back before anyone labelled them: nothing to write, and the reason said
    res = run_tagger(
        "labels", "import-ls", str(tmp_path / "new" / "tasks.json"), "-o", str(tmp_path / "i.jsonl")
    )
    assert res.returncode == 1 and "1 task(s) not annotated yet left out" in res.stderr, res.stderr
    assert not (tmp_path / "i.jsonl").exists()


def test_a_label_file_in_another_format_is_named_not_read_line_by_line(tmp_path):
    src = tmp_path / "articles.csv"
    src.write_text("id,text\n" + "".join(f"a{i},Ministers met.\n" for i in range(30)))
    res = run_tagger("labels", "check", str(src))
    assert res.returncode == 1
    assert res.stderr.count(str(src)) == 1 and "not '.csv'" in res.stderr and "invalid JSON" not in res.stderr
    # inside a labels folder too: such a file is named, never skipped in silence, and a .JSONL is read
    folder = tmp_path / "labels"
    folder.mkdir()
    src.rename(folder / "articles.csv")
    (folder / "NOTES.md").write_text("our notes, not labels")
    (folder / "more.JSONL").write_text('{"id": "m1"}\n')
    res = run_tagger("labels", "check", str(folder))
    assert res.returncode == 1 and "articles.csv: label files are JSON Lines" in res.stderr, res.stderr
    assert "more.JSONL:1:" in res.stderr and "NOTES.md" not in res.stderr
