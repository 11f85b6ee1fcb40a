from __future__ import annotations

import io
import json
import logging

import pytest

from mpox_adapter import logs
from mpox_adapter.settings import LogSettings


@pytest.mark.parametrize(
    "text",
    [
        "patient 01818012345 rejected",
        "cpr 0101701234 rejected",
        "cpr 010170-1234 rejected",
        "born 1970-01-01",
        "born 01.01.1970",
    ],
)
def test_personal_data_is_masked(text: str) -> None:
    masked = logs.redact(text)
    assert logs.MASK in masked
    assert not any(ch.isdigit() for ch in masked.replace("[redacted]", ""))


def test_ids_that_are_not_personal_stay() -> None:
    assert logs.redact("job 42 record 17 of 1000") == "job 42 record 17 of 1000"


def test_json_log_lines_are_redacted_including_arguments_and_extras(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    stream = io.StringIO()
    logs.configure(LogSettings(level="INFO", json_format=True))
    handler = logging.getLogger().handlers[0]
    assert isinstance(handler, logging.StreamHandler)
    monkeypatch.setattr(handler, "stream", stream)
    try:
        raise ValueError("bad fnr 01818012345")
    except ValueError:
        logging.getLogger("mpox_adapter.test").exception(
            "record %s failed", "01818012345", extra={"job": "j1", "detail": "cpr 0101701234"}
        )
    entry = json.loads(stream.getvalue().splitlines()[-1])
    assert entry["msg"] == "record [redacted] failed"
    assert entry["job"] == "j1"
    assert entry["detail"] == "cpr [redacted]"
    assert "01818012345" not in entry["exc"]
    assert entry["level"] == "ERROR"
