"""The wheel is the product: installed in a fresh virtual environment, away from the checkout,
the adapter converts, validates, forecasts and serves with nothing but what the wheel holds.

The wheel is built from a copy of what it is made of (pyproject.toml, README.md, mpox_adapter/
and the licence files setuptools picks up by default): a build inside the checkout would reuse
its build/ folder, whose stale files end up in the wheel, and would rewrite the egg-info the
editable install uses. Building
and installing need the package index (pip's cache makes it quick); where it cannot be reached
the tests skip, or fail under CI=true.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from mpox_adapter.fhir.definitions import Definitions
from tests.conftest import skip_or_fail

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
WHEEL_SOURCES = ("pyproject.toml", "README.md", "mpox_adapter")
LICENCE_FILES = ("LICEN[CS]E*", "COPYING*", "NOTICE*", "AUTHORS*")  # setuptools' defaults
DATA = ROOT / "tests" / "data"
MAPPING = "no-municipal-vaccinations"
SAMPLE = ROOT / "examples" / f"{MAPPING}.csv"
OFFLINE = (
    "Network is unreachable",
    "Temporary failure in name resolution",
    "Failed to establish a new connection",
    "Max retries exceeded",
    "No matching distribution found",
    "Could not find a version that satisfies",
    "ConnectionError",
    "ReadTimeoutError",
)


@dataclass(frozen=True)
class Installed:
    bin: Path
    env: Mapping[str, str]

    def run(self, *args: str, cwd: Path, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(self.bin / args[0]), *args[1:]],
            cwd=cwd,
            env=dict(self.env),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )


def _pip(args: list[str], what: str, timeout: float) -> None:
    result = subprocess.run(args, capture_output=True, text=True, timeout=timeout, check=False)
    if result.returncode != 0:
        output = result.stdout + result.stderr
        if any(sign in output for sign in OFFLINE):
            skip_or_fail(f"{what}: the package index cannot be reached")
        pytest.fail(f"{what} failed:\n{output}")


def _clean_environment(home: Path, core_cache_dir: Path) -> dict[str, str]:
    """This process's environment without anything that could lead back to the checkout
    (PYTHONPATH, the active virtualenv, MPOX_ settings), plus the adapter's own settings."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("PYTHON", "MPOX_")) and key != "VIRTUAL_ENV"
    }
    env["PATH"] = f"{home / 'venv' / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    env["MPOX_DEFINITIONS__CACHE_DIR"] = str(core_cache_dir)
    env["MPOX_DATA_DIR"] = str(home / "var")
    env["MPOX_STORE__URL"] = f"sqlite:///{home / 'var' / 'adapter.db'}"
    return env


@pytest.fixture(scope="module")
def installed(
    tmp_path_factory: pytest.TempPathFactory, core_cache_dir: Path, definitions: Definitions
) -> Installed:
    """The wheel, installed with its dependencies into a new venv outside the checkout
    (`definitions`: skips, or fails under CI=true, where the FHIR core package is missing)."""
    home = tmp_path_factory.mktemp("wheel")
    source = home / "source"
    source.mkdir()
    licences = [path.name for pattern in LICENCE_FILES for path in ROOT.glob(pattern)]
    for name in (*WHEEL_SOURCES, *licences):
        if (ROOT / name).is_dir():
            ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
            shutil.copytree(ROOT / name, source / name, ignore=ignore)
        else:
            shutil.copy2(ROOT / name, source / name)
    wheels = home / "wheels"
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    _pip([*pip, "wheel", "--no-deps", "-w", str(wheels), str(source)], "building the wheel", 300)
    (wheel,) = wheels.glob("mpox_adapter-*.whl")
    subprocess.run([sys.executable, "-m", "venv", str(home / "venv")], check=True, timeout=120)
    venv_pip = [str(home / "venv" / "bin" / "python"), *pip[1:]]
    _pip([*venv_pip, "install", str(wheel)], "installing the wheel", 600)
    return Installed(home / "venv" / "bin", _clean_environment(home, core_cache_dir))


@pytest.fixture
def work(tmp_path: Path) -> Path:
    """An unrelated folder to run the commands in."""
    folder = tmp_path / "work"
    folder.mkdir()
    return folder


def test_the_package_and_its_data_come_from_the_venv(installed: Installed, work: Path) -> None:
    script = (
        "import json, importlib.resources as r, mpox_adapter\n"
        "root = r.files('mpox_adapter')\n"
        "print(json.dumps({'file': mpox_adapter.__file__, 'data': {\n"
        "    'profiles': sorted(p.name for p in (root / 'profiles').iterdir()),\n"
        "    'mappings': sorted(p.name for p in (root / 'mappings').iterdir()),\n"
        "    'packs': sorted(p.name for p in (root / 'rules' / 'packs').iterdir()),\n"
        "    'typed': (root / 'py.typed').is_file()}}))\n"
    )
    result = installed.run("python", "-c", script, cwd=work)
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout)
    assert Path(found["file"]).is_relative_to(installed.bin.parent), found["file"]
    data = found["data"]
    assert "OperationDefinition-immds-forecast.json" in data["profiles"]
    assert "StructureDefinition-mpox-immunization.json" in data["profiles"]
    assert f"{MAPPING}.yaml" in data["mappings"]
    assert {"no.yaml", "dk.yaml"} <= set(data["packs"])
    assert data["typed"]


def test_convert_with_a_shipped_mapping_then_validate_the_output(
    installed: Installed, work: Path
) -> None:
    shutil.copy2(SAMPLE, work / "export.csv")
    args = ("export.csv", "-o", "out.ndjson", "--errors", "errs.ndjson")
    converted = installed.run("mpox-adapter", "convert", "--mapping", MAPPING, *args, cwd=work)
    assert converted.returncode == 1, converted.stderr  # the sample has defective records
    expected = json.loads((DATA / "sample-counts.json").read_text())[MAPPING]
    rejected = [json.loads(line) for line in (work / "errs.ndjson").read_text().splitlines()]
    assert [r["line"] for r in rejected] == expected["bad_lines"]
    accepted = expected["records"] - expected["bad"]
    assert f"{expected['records']} record(s): {accepted} accepted" in converted.stderr
    resources = [json.loads(line) for line in (work / "out.ndjson").read_text().splitlines()]
    assert {r["resourceType"] for r in resources} == {"Patient", "Immunization", "Provenance"}

    validated = installed.run("mpox-adapter", "validate", "out.ndjson", cwd=work)
    assert validated.returncode == 0, validated.stdout + validated.stderr


def test_forecast_for_a_norwegian_patient(installed: Installed, work: Path) -> None:
    parameters: dict[str, Any] = {
        "resourceType": "Parameters",
        "parameter": [
            {"name": "assessmentDate", "valueDate": "2025-03-01"},
            {"name": "jurisdiction", "valueCode": "NO"},
            {
                "name": "patient",
                "resource": {
                    "resourceType": "Patient",
                    "id": "p1",
                    "birthDate": "1990-05-17",
                    "gender": "male",
                },
            },
            {
                "name": "observation",
                "resource": {
                    "resourceType": "Observation",
                    "id": "rf1",
                    "status": "final",
                    "code": {
                        "coding": [
                            {
                                "system": "http://mpox-adapter.org/fhir/CodeSystem/risk-factor",
                                "code": "msm",
                            }
                        ]
                    },
                    "subject": {"reference": "Patient/p1"},
                    "valueBoolean": True,
                },
            },
        ],
    }
    (work / "in.json").write_text(json.dumps(parameters))
    result = installed.run("mpox-adapter", "forecast", "in.json", cwd=work)
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert answer["resourceType"] == "Parameters"
    first = answer["parameter"][0]
    assert first["name"] == "recommendation"
    assert first["resource"]["resourceType"] == "ImmunizationRecommendation"
    assert first["resource"]["recommendation"][0]["forecastStatus"]["coding"][0]["code"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_serve_gets_ready_and_publishes_the_shipped_definitions(
    installed: Installed, work: Path
) -> None:
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    with (work / "serve.log").open("w") as log:
        process = subprocess.Popen(
            [str(installed.bin / "mpox-adapter"), "serve", "--port", str(port)],
            cwd=work,
            env=dict(installed.env),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert process.poll() is None, (work / "serve.log").read_text()
                assert time.monotonic() < deadline, "serve was not ready within 60 s"
                time.sleep(0.2)
            for path in (
                "/fhir/OperationDefinition/immds-forecast",
                "/fhir/StructureDefinition/mpox-patient",
            ):
                assert httpx.get(f"{base}{path}", timeout=5).status_code == 200, path
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)
