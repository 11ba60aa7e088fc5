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
    export = tmp_path / "export.json"
    export.write_text(json.dumps(tasks))

    out = tmp_path / "labelled.jsonl"
    res = run_tagger("labels", "import-ls", str(export), "-o", str(out))
    assert res.returncode == 1 and "task #3 (id 99)" in res.stderr and "unknown label 'cricket'" in res.stderr
    got = [json.loads(x) for x in out.read_text().splitlines()]
    assert got[0] == {**rows[0], "topics": ["defence"], "framing": "neutral"}
    assert got[1]["topics"] == [] and got[1]["framing"] == "neutral"
    assert run_tagger("labels", "check", str(out)).returncode == 0
