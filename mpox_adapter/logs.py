"""Structured JSON logs that never carry identity numbers or birth dates.

The adapter logs ids of records and jobs, never their content. Because a library's message
or an exception text may still echo input, every record also passes through a filter that
masks anything shaped like a Norwegian or Danish identity number or a calendar date.
Names cannot be recognised by shape; keeping them out is the job of the code that logs.
"""

from __future__ import annotations

import logging
import re
import sys
from datetime import UTC, datetime
from typing import Any

import orjson

from mpox_adapter.settings import LogSettings

# 11 digits (fødselsnummer, D-number), 10 digits or DDMMYY-SSSS (CPR), and dates
# (ISO and dd.mm.yyyy), wherever they stand in a longer text.
_PERSONAL = re.compile(
    r"(?<!\d)(?:\d{11}|\d{6}-?\d{4}|\d{4}-\d{2}-\d{2}|\d{1,2}[./]\d{1,2}[./]\d{4})(?!\d)"
)
MASK = "[redacted]"

_STANDARD_ATTRS = frozenset(vars(logging.makeLogRecord({})))
# uvicorn adds a copy of the message with terminal colour codes.
_DROPPED = frozenset({"color_message"})


def redact(text: str) -> str:
    return _PERSONAL.sub(MASK, text)


class RedactingFilter(logging.Filter):
    """Masks personal data in the message, its arguments and any exception text."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage())
        record.args = None
        if record.exc_info:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message and any `extra` fields."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD_ATTRS and key not in _DROPPED and not key.startswith("_"):
                entry[key] = redact(value) if isinstance(value, str) else value
        if record.exc_text:
            entry["exc"] = record.exc_text
        return orjson.dumps(entry, default=str).decode()


def configure(settings: LogSettings) -> None:
    """Send the adapter's and uvicorn's logs to stderr, redacted, as JSON or plain text."""
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(RedactingFilter())
    handler.setFormatter(
        JsonFormatter()
        if settings.json_format
        else logging.Formatter("%(levelname)s %(name)s: %(message)s")
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(settings.level)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logger = logging.getLogger(name)
        logger.handlers[:] = []
        logger.propagate = True
