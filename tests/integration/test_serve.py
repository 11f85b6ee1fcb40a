"""`mpox-adapter serve` as a real process: it starts, answers and stops cleanly."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

pytestmark = pytest.mark.integration


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_serve_answers_health_metadata_and_errors(tmp_path: Path, core_cache_dir: Path) -> None:
    port = _free_port()
    env = {
        **os.environ,
        "MPOX_STORE__URL": f"sqlite:///{tmp_path / 'var' / 'adapter.db'}",
        "MPOX_DEFINITIONS__CACHE_DIR": str(core_cache_dir),
    }
    log = (tmp_path / "serve.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "mpox_adapter", "serve", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert process.poll() is None, (tmp_path / "serve.log").read_text()
            assert time.monotonic() < deadline, "serve did not answer /healthz within 30 s"
            time.sleep(0.1)
        assert httpx.get(f"{base}/readyz").status_code == 200
        assert httpx.get(f"{base}/fhir/metadata").json()["fhirVersion"] == "4.0.1"
        nope = httpx.get(f"{base}/nope")
        assert nope.status_code == 404
        assert nope.json()["resourceType"] == "OperationOutcome"
        assert "mpox_http_requests_total" in httpx.get(f"{base}/metrics").text
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=10)
        log.close()
    assert (tmp_path / "var" / "adapter.db").exists()
    for line in (tmp_path / "serve.log").read_text().splitlines():
        assert line.startswith("{"), f"log lines are JSON: {line}"
