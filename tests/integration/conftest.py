"""A real FHIR R4 test server (SEKMET, from PyPI) for the integration tests.

SEKMET lives in a virtual environment of its own, cached outside the project's, so that its
dependencies never mix with the adapter's and a second run does not reinstall it. Each test
session gets a fresh database on a free loopback port.

Where the server cannot be installed the tests skip, except on CI (``CI=true``), where a skip
would hide that nothing was tested.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import NoReturn

import httpx
import pytest

SEKMET_REQUIREMENT = "sekmet-fhir==0.1.1"
VENV_ENV_VAR = "MPOX_TEST_SEKMET_VENV"
DEFAULT_VENV = Path.home() / ".cache" / "mpox-adapter" / "sekmet-0.1.1"
# Written after pip succeeds: a venv without it is a broken or interrupted install.
INSTALLED_MARKER = ".mpox-sekmet-installed"
INSTALL_TIMEOUT_S = 900.0
START_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 10.0
# Variables SEKMET reads over its config file, and ones that would leak this interpreter's setup.
DROPPED_ENV = (
    "SEKMET_CONFIG",
    "SEKMET_BASE_URL",
    "SEKMET_DB",
    "SEKMET_PORT",
    "SEKMET_PUBLIC_URL",
    "PYTHONPATH",
    "PYTHONHOME",
    "VIRTUAL_ENV",
)


def _unavailable(reason: str) -> NoReturn:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"SEKMET FHIR test server unavailable on CI: {reason}", pytrace=False)
    pytest.skip(f"SEKMET FHIR test server unavailable: {reason}")


def _clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k not in DROPPED_ENV}


def _tail(text: str, lines: int = 40) -> str:
    return "\n".join(text.splitlines()[-lines:])


def _venv_dir() -> Path:
    override = os.environ.get(VENV_ENV_VAR)
    return Path(override).expanduser() if override else DEFAULT_VENV


def _install(venv: Path) -> Path:
    """Return the `sekmet` script in `venv`, installing SEKMET first when needed."""
    script = venv / "bin" / "sekmet"
    marker = venv / INSTALLED_MARKER
    venv.parent.mkdir(parents=True, exist_ok=True)
    # Parallel sessions (xdist, two checkouts) share the cache: one installs, the others wait.
    with (venv.parent / f"{venv.name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if script.exists() and marker.exists():
            return script
        if venv.exists() and any(venv.iterdir()) and not (venv / "pyvenv.cfg").exists():
            # Never wipe a directory that someone pointed us at by mistake.
            _unavailable(
                f"{venv} exists and is not a virtual environment; remove it or set {VENV_ENV_VAR}"
            )
        steps = [
            [sys.executable, "-m", "venv", "--clear", str(venv)],
            [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", SEKMET_REQUIREMENT],
        ]
        for cmd in steps:
            try:
                done = subprocess.run(
                    cmd,
                    capture_output=True,
                    text=True,
                    timeout=INSTALL_TIMEOUT_S,
                    env=_clean_env(),
                    check=False,
                )
            except (OSError, subprocess.TimeoutExpired) as e:
                _unavailable(f"{' '.join(cmd[:4])} failed: {e}")
            if done.returncode != 0:
                output = _tail(done.stdout + done.stderr)
                _unavailable(f"{' '.join(cmd[:4])} exited {done.returncode}:\n{output}")
        if not script.exists():
            _unavailable(f"{SEKMET_REQUIREMENT} installed no `sekmet` script in {venv}")
        marker.write_text(SEKMET_REQUIREMENT + "\n")
        return script


def _free_port() -> int:
    # The port is free when we look; SEKMET binds it a moment later, a race we accept on loopback.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _write_config(workdir: Path, port: int) -> tuple[Path, str]:
    base_url = f"http://127.0.0.1:{port}/fhir"
    settings = {
        "base_url": base_url,
        "host": "127.0.0.1",
        "port": port,
        "db_path": str(workdir / "sekmet.db"),
        "data_dir": str(workdir / "data"),
        # The simulator answers orders with made-up resources; tests must see only their own.
        "simulator": {"enabled": False},
        # "strict" without a validator_jar is structural validation in Python (no Java): valid
        # resources pass, malformed ones get a 400 with an OperationOutcome, as a real server would.
        "validation": {"inbound": "strict", "validator_jar": None},
        "server_auth": {"types": ["none"]},
        "log_inbound": False,
    }
    config = workdir / "sekmet.yaml"
    # JSON is YAML, and needs no YAML library in this interpreter.
    config.write_text(json.dumps(settings, indent=2))
    return config, base_url


def _wait_ready(proc: subprocess.Popen[bytes], base_url: str, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(
                f"SEKMET exited with {proc.returncode} while starting; log tail:\n"
                f"{_tail(log.read_text(errors='replace'))}",
                pytrace=False,
            )
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{base_url}/metadata", timeout=2.0).status_code == 200:
                return
        time.sleep(0.25)
    pytest.fail(
        f"SEKMET did not answer {base_url}/metadata within {START_TIMEOUT_S:.0f} s; log tail:\n"
        f"{_tail(log.read_text(errors='replace'))}",
        pytrace=False,
    )


def stop_process(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=STOP_TIMEOUT_S)


def start_sekmet(workdir: Path) -> tuple[subprocess.Popen[bytes], str]:
    """A SEKMET server with an empty database in `workdir`, answering; stop it with
    `stop_process`. The session fixture, the delivery tests' second server and the benchmarks
    all start theirs here."""
    script = _install(_venv_dir())
    config, base_url = _write_config(workdir, _free_port())
    log = workdir / "sekmet.log"
    with log.open("wb") as log_file:
        try:
            proc = subprocess.Popen(
                [str(script), "serve", "--config", str(config)],
                stdout=log_file,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                # Relative paths SEKMET uses (keys/, reports/) land in the tmp dir, not the tree.
                cwd=workdir,
                env=_clean_env(),
            )
        except OSError as e:
            _unavailable(f"cannot run {script}: {e}")
    try:
        _wait_ready(proc, base_url, log)
    except BaseException:
        stop_process(proc)
        raise
    return proc, base_url


@pytest.fixture(scope="session")
def sekmet_base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Base URL (``http://127.0.0.1:PORT/fhir``) of a SEKMET server with an empty database."""
    proc, base_url = start_sekmet(tmp_path_factory.mktemp("sekmet"))
    try:
        yield base_url
    finally:
        stop_process(proc)
