"""The label schema: read once from labels/schema.yaml, passed around as a value."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

from tagger.paths import HOME_ENV, schema_path


class SchemaError(ValueError):
    """A schema file that is not one: said by the CLI as an error line, not a traceback."""


@dataclass(frozen=True)
class LabelSchema:
    topics: tuple[str, ...]
    framings: tuple[str, ...]
    definitions: dict[str, str] = field(default_factory=dict, compare=False)
    outlet_kinds: tuple[str, ...] = ()
    outlet_countries: tuple[str, ...] = ()

    @classmethod
    def from_dict(cls, raw: dict) -> LabelSchema:
        topics = raw["topics"]["labels"]
        framings = raw["framing"]["labels"]
        meta = raw.get("metadata", {})
        return cls(
            topics=tuple(topics),
            framings=tuple(framings),
            definitions={**topics, **framings},
            outlet_kinds=tuple(meta.get("outlet_kind", ())),
            outlet_countries=tuple(meta.get("outlet_country", ())),
        )

    @classmethod
    def load(cls, path: str | Path | None = None) -> LabelSchema:
        """From a schema file; by default the project's labels/schema.yaml (tagger.paths)."""
        named = path is not None
        path = Path(path or schema_path())
        if not path.is_file():  # unnamed, most often: tagger run outside the project folder
            why = (
                "no such file"
                if named
                else f"no label schema here; run tagger in the project folder or set {HOME_ENV}"
            )
            raise FileNotFoundError(2, why, str(path))
        with open(path, encoding="utf-8") as f:
            raw = yaml.safe_load(f)
        try:
            return cls.from_dict(raw)
        except (KeyError, TypeError, AttributeError) as e:
            raise SchemaError(
                f"{path}: not a label schema (expected 'topics: {{labels: ...}}' and "
                f"'framing: {{labels: ...}}'; {type(e).__name__}: {e})"
            ) from None

    def to_dict(self) -> dict:
        """Inverse of from_dict, so a stored model carries the schema it was trained with."""
        return {
            "topics": {
                "kind": "multi-label",
                "labels": {t: self.definitions.get(t, "") for t in self.topics},
            },
            "framing": {
                "kind": "single-label",
                "labels": {f: self.definitions.get(f, "") for f in self.framings},
            },
            "metadata": {
                "outlet_kind": list(self.outlet_kinds),
                "outlet_country": list(self.outlet_countries),
            },
        }

    def combination(self, topics: list[str] | tuple[str, ...]) -> str:
        """Canonical name of a topic set, e.g. 'defence+diplomacy' or 'none'."""
        return "+".join(t for t in self.topics if t in topics) or "none"

    def all_combinations(self) -> list[str]:
        n = len(self.topics)
        combos = [[t for i, t in enumerate(self.topics) if mask >> i & 1] for mask in range(2**n)]
        return [self.combination(c) for c in sorted(combos, key=len)]
