"""The check every command that reads one file and writes another makes before any work."""

from __future__ import annotations

from pathlib import Path


def io_problem(src: Path, out: Path) -> str | None:
    """Why a command cannot read `src` and write `out` (before any work), or None; makes out's folder."""
    if not src.is_file():
        return f"{src}: {'a folder, not a file' if src.is_dir() else 'no such file'}"
    if out.resolve() == src.resolve():
        return f"{out}: the output would replace the input; write to another path"
    out.parent.mkdir(parents=True, exist_ok=True)
    return None


def kept_output(*outs: Path, overwrite: bool) -> str | None:
    """Why a command will not write its outputs: one already exists and --overwrite was not given."""
    if overwrite:
        return None
    there = [str(o) for o in outs if o.exists()]
    return f"{', '.join(there)} already exists; pass --overwrite to replace it" if there else None
