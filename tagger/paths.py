"""Where the project's files are: one place, read when asked (never from where the source sits).

The project folder is $TAGGER_HOME, else the working directory. Under it: `labels/` (label files
and schema.yaml) and `runs/` (training reports). Config paths are relative to it, and each
command takes flags to point elsewhere.
"""

from __future__ import annotations

import os
from pathlib import Path

HOME_ENV = "TAGGER_HOME"


def project_dir() -> Path:
    return Path(os.environ.get(HOME_ENV) or os.getcwd())


def labels_dir() -> Path:
    return project_dir() / "labels"


def schema_path() -> Path:
    return labels_dir() / "schema.yaml"


def runs_dir() -> Path:
    return project_dir() / "runs"


def resolve(path: str | Path) -> Path:
    """A path from a config or the environment: absolute as given, else relative to the project folder."""
    path = Path(path)
    return path if path.is_absolute() else project_dir() / path
