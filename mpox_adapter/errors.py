"""Every error the adapter raises on purpose.

One hierarchy, so that a caller can catch what it can handle and let the rest through::

    AdapterError                         anything the adapter raises on purpose
    ├── ConfigurationError               settings or files the operator must fix (CLI exit 2)
    │   └── DefinitionsUnavailableError  the FHIR core package is missing or corrupt
    ├── InputError                       bad user input, located (file and line, or FHIRPath)
    ├── TransientError                   may succeed if tried again later: retry with backoff
    └── PermanentError                   will fail the same way every time: dead-letter it

`TransientError` and `PermanentError` are the only two answers delivery needs: a worker
retries the first and parks the second. Neither message may carry personal data (names,
identity numbers, birth dates): they end up in logs and in answers to other systems.
"""

from __future__ import annotations


class AdapterError(Exception):
    """Root of every error the adapter raises on purpose."""


class ConfigurationError(AdapterError):
    """Settings, a config file or a required local file is wrong or missing."""


class DefinitionsUnavailableError(ConfigurationError):
    """The FHIR R4 core package is missing or does not match its published hash."""


class InputError(AdapterError):
    """Input that cannot be used, with where it is wrong.

    `location` is a file and line (``vaccinations.csv:12``) or a FHIRPath expression
    (``Immunization.protocolApplied[0].doseNumber``).
    """

    def __init__(self, message: str, location: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.location = location

    def __str__(self) -> str:
        return f"{self.location}: {self.message}" if self.location else self.message


class TransientError(AdapterError):
    """A failure that may go away: time-outs, 429, 5xx, a dropped connection.

    `retry_after` is the delay in seconds the other side asked for, if it asked.
    """

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class PermanentError(AdapterError):
    """A failure that will repeat: the other side rejected what we sent.

    `outcome` is the other side's OperationOutcome, when it sent one.
    """

    def __init__(self, message: str, outcome: dict[str, object] | None = None) -> None:
        super().__init__(message)
        self.outcome = outcome
