"""Label Studio interop: our JSON Lines <-> Label Studio tasks, exports and labelling config."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple
from xml.sax.saxutils import quoteattr

from tagger.data.records import Problem, validate_record
from tagger.data.schema import LabelSchema

TOPICS_CONTROL = "topics"
FRAMING_CONTROL = "framing"


# A task nobody has labelled yet: not a label, so not a problem of a label file (an export of a
# whole project holds them); `import-ls` counts them.
UNANNOTATED = "task has no annotation (skipped)"


def labelling_config(schema: LabelSchema) -> str:
    """The <View> XML analysts paste into a Label Studio project; choices come from the schema."""

    def choices(names: tuple[str, ...]) -> str:
        return "\n".join(
            f"    <Choice value={quoteattr(n)} hint={quoteattr(schema.definitions.get(n, ''))}/>"
            for n in names
        )

    return f"""<View>
  <Header value="$title"/>
  <Text name="text" value="$text"/>
  <Header value="Topics (zero or more)"/>
  <Choices name="{TOPICS_CONTROL}" toName="text" choice="multiple" showInline="true">
{choices(schema.topics)}
  </Choices>
  <Header value="Framing (exactly one)"/>
  <Choices name="{FRAMING_CONTROL}" toName="text" choice="single" required="true" showInline="true">
{choices(schema.framings)}
  </Choices>
</View>
"""


def to_task(article: dict) -> dict:
    """An unlabelled article as a Label Studio task; every field rides along in `data`."""
    data = {k: v for k, v in article.items() if k not in ("topics", "framing")}
    data.setdefault("title", "")
    return {"data": data}


def _choices(result: list[dict], control: str) -> list[str] | None:
    for r in result:
        if r.get("from_name") == control and r.get("type") == "choices":
            return list(r.get("value", {}).get("choices", []))
    return None


def data_article_id(data: dict) -> object | None:
    """The article's own id in a task's data, if it has one (null and "" are none)."""
    own = data.get("id")
    return None if own in (None, "") else own


def task_to_record(task: dict) -> tuple[dict | None, str | None]:
    """Our record from one exported task, using its latest non-cancelled annotation."""
    data = task.get("data")
    if not isinstance(data, dict):
        if "text" in task:  # our own records, or Label Studio's JSON-MIN export (fields at the top)
            return None, (
                "an article object, not a Label Studio task (no 'data' object): export from Label "
                "Studio as JSON, not JSON-MIN; our own records go in JSON Lines files (.jsonl)"
            )
        return None, "task has no 'data' object"
    annotations = [a for a in task.get("annotations", []) if not a.get("was_cancelled")]
    if not annotations:
        return None, UNANNOTATED
    latest = max(annotations, key=lambda a: (a.get("updated_at") or "", a.get("id") or 0))
    result = latest.get("result", [])
    framing = _choices(result, FRAMING_CONTROL)
    own = data_article_id(data)  # else Label Studio's task id, said on import
    record = {
        **data,
        "id": str(own if own is not None else task.get("id", "")),
        "topics": _choices(result, TOPICS_CONTROL) or [],
        "framing": framing[0] if framing and len(framing) == 1 else framing,
    }
    return record, None


def iter_export(path: Path) -> Iterator[tuple[str, dict | None, str | None, bool]]:
    """(where, record, problem, named by task id) for each task of a Label Studio JSON export; the
    last is True where the task's data has no id of its own, so Label Studio's task id names it."""
    try:
        tasks = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        yield "file", None, f"not a Label Studio JSON export: {e}", False
        return
    if not isinstance(tasks, list):
        yield "file", None, "expected a JSON list of tasks", False
        return
    for i, task in enumerate(tasks, 1):
        if not isinstance(task, dict):
            yield f"task #{i}", None, "not an object", False
            continue
        record, err = task_to_record(task)
        is_task = isinstance(task.get("data"), dict)
        own = data_article_id(task["data"]) if is_task else task.get("id")
        # the article's id (what duplicate-id problems name) and Label Studio's own task id
        ids = [f"id {own}"] if own is not None else []
        ids += [f"Label Studio task {task['id']}"] if is_task and "id" in task else []
        yield f"task #{i} ({', '.join(ids) or 'no id'})", record, err, own is None


class Imported(NamedTuple):
    records: list[dict]  # the valid ones
    problems: list[Problem]  # one per bad task
    unannotated: int  # tasks nobody has annotated yet (left out: normal in a whole project's export)
    task_ids: int  # records whose task data had no id, named by Label Studio's task id instead


def import_export(path: Path, schema: LabelSchema) -> Imported:
    """Read a Label Studio JSON export."""
    records, problems, unannotated, task_ids = [], [], 0, 0
    seen: dict[str, str] = {}  # id -> the task that has it
    for where, record, err, by_task_id in iter_export(path):
        if err == UNANNOTATED:
            unannotated += 1
            continue
        errs = [err] if err else validate_record(record, schema)
        if not errs and record["id"] in seen:  # labels check would refuse the imported file
            errs = [f"duplicate id '{record['id']}': also at {seen[record['id']]}"]
        elif not errs:
            seen[record["id"]] = where
        if errs:  # one problem per task, however many fields are wrong: the count is of tasks
            problems.append(Problem(str(path), 0, f"{where}: {'; '.join(map(str, errs))}"))
        else:
            records.append(record)
            task_ids += by_task_id
    return Imported(records, problems, unannotated, task_ids)
