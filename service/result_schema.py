"""The 200 answers of /classify, /classify_batch and /submit/get as /docs.json declares them
(BentoML only says "an object"): what `Annotator.annotate` returns, and a batch item's error. CI's
schemathesis run checks every answer against these, so a result field added or renamed without
them fails the build."""

from __future__ import annotations

REF = "#/components/schemas/"
SCORES = {
    "type": "object",
    "additionalProperties": {"type": "number", "minimum": 0, "maximum": 1},
}
EVIDENCE_ITEM = {
    "type": "object",
    "required": ["text", "start", "end", "score"],
    "properties": {
        "text": {"type": "string"},
        "start": {"type": "integer", "description": "Character offset of the sentence in `text`"},
        "end": {"type": "integer"},
        "score": {"type": "number", "description": "The sentence's own score for the label"},
    },
    "additionalProperties": False,
}
RESULT_SCHEMA = {
    "type": "object",
    "title": "Result",
    "description": "One article's labels; label names are those of the schema the served model was trained with",
    "required": ["id", "topics", "topic_scores", "framing", "framing_scores", "windows", "warnings", "model"],
    "properties": {
        "id": {"description": "Your id as sent (a string, a whole number, or null when none was sent)"},
        "topics": {"type": "array", "items": {"type": "string"}, "description": "Zero or more topics"},
        "topic_scores": {**SCORES, "description": "Calibrated score per topic"},
        "framing": {"type": "string", "description": "Exactly one framing"},
        "framing_scores": {**SCORES, "description": "Probability per framing (they sum to 1)"},
        "windows": {"type": "integer", "minimum": 1, "description": "512-token windows read"},
        "evidence": {
            "type": "object",
            "additionalProperties": {"type": "array", "items": EVIDENCE_ITEM},
            "description": "Per assigned label, the sentences that most support it (left out with evidence false)",
        },
        "warnings": {"type": "array", "items": {"type": "string"}},
        "model": {
            "type": "object",
            "required": ["tag", "trained_at", "precision", "backend"],
            "properties": {
                "tag": {"type": "string"},
                "trained_at": {"type": "string", "nullable": True},
                "precision": {"type": "string", "enum": ["fp32", "bf16", "int8"]},
                "backend": {"type": "string", "enum": ["torch", "openvino"]},
            },
            "additionalProperties": False,
        },
    },
    "additionalProperties": False,
}
ITEM_ERROR_SCHEMA = {
    "type": "object",
    "title": "ItemError",
    "description": "A batch item that was not scored, in its place: which, and why",
    "required": ["index", "id", "field", "error"],
    "properties": {
        "index": {"type": "integer"},
        "id": {"description": "The item's id as sent, if it was an object with one"},
        "field": {"type": "string", "nullable": True},
        "error": {"type": "string"},
    },
    "additionalProperties": False,
}
BATCH_ANSWERS = ("/classify_batch", "/submit/get")


def declare_results(doc: dict) -> None:
    """Put the result schemas into the document and point the 200 answers at them."""
    doc.setdefault("components", {}).setdefault("schemas", {}).update(
        Result=RESULT_SCHEMA, ItemError=ITEM_ERROR_SCHEMA
    )
    result = {"$ref": REF + "Result"}
    item = {"anyOf": [result, {"$ref": REF + "ItemError"}]}
    answers = {"/classify": result, **{path: {"type": "array", "items": item} for path in BATCH_ANSWERS}}
    for path, schema in answers.items():
        for op in doc.get("paths", {}).get(path, {}).values():
            ok = op.get("responses", {}).get("200")
            if ok is not None:
                ok["content"] = {"application/json": {"schema": schema}}
