"""mpox FHIR adapter: local exports to FHIR R4, validation, delivery and national rules.

The public API is what `__all__` lists; every other module is private and may change.
Names are imported on first use, so that ``import mpox_adapter`` (and the command line,
which imports this package first) does not pay for the validator or the web stack::

    import mpox_adapter as mpox

    settings = mpox.load_settings()                       # environment and MPOX_CONFIG
    definitions, _ = mpox.load_definitions(settings.definitions)
    outcome = mpox.Validator(definitions).validate(resource)
    converter = mpox.build_converter(settings, "no-municipal-vaccinations", definitions)
    for result in mpox.convert_file(converter, "export.csv"):
        ...
    answer = mpox.immds_forecast(parameters, settings.jurisdiction)
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from mpox_adapter.errors import (
        AdapterError,
        ConfigurationError,
        DefinitionsUnavailableError,
        InputError,
        PermanentError,
        TransientError,
    )
    from mpox_adapter.fhir.definitions import Definitions
    from mpox_adapter.mapping.engine import FieldIssue, Mapped
    from mpox_adapter.outbox.store import Store, open_store
    from mpox_adapter.pipeline.convert import Converter, Counts, build_converter, convert_file
    from mpox_adapter.rules.forecast import immds_forecast
    from mpox_adapter.settings import Settings, load_settings
    from mpox_adapter.validation.engine import Validator
    from mpox_adapter.validation.service import load_definitions

# Public name -> the private module that defines it.
_HOMES = {
    "AdapterError": "mpox_adapter.errors",
    "ConfigurationError": "mpox_adapter.errors",
    "DefinitionsUnavailableError": "mpox_adapter.errors",
    "InputError": "mpox_adapter.errors",
    "PermanentError": "mpox_adapter.errors",
    "TransientError": "mpox_adapter.errors",
    "Settings": "mpox_adapter.settings",
    "load_settings": "mpox_adapter.settings",
    "Definitions": "mpox_adapter.fhir.definitions",
    "load_definitions": "mpox_adapter.validation.service",
    "Validator": "mpox_adapter.validation.engine",
    "Converter": "mpox_adapter.pipeline.convert",
    "Counts": "mpox_adapter.pipeline.convert",
    "build_converter": "mpox_adapter.pipeline.convert",
    "convert_file": "mpox_adapter.pipeline.convert",
    "Mapped": "mpox_adapter.mapping.engine",
    "FieldIssue": "mpox_adapter.mapping.engine",
    "immds_forecast": "mpox_adapter.rules.forecast",
    "Store": "mpox_adapter.outbox.store",
    "open_store": "mpox_adapter.outbox.store",
}

__all__ = [
    "AdapterError",
    "ConfigurationError",
    "Converter",
    "Counts",
    "Definitions",
    "DefinitionsUnavailableError",
    "FieldIssue",
    "InputError",
    "Mapped",
    "PermanentError",
    "Settings",
    "Store",
    "TransientError",
    "Validator",
    "__version__",
    "build_converter",
    "convert_file",
    "immds_forecast",
    "load_definitions",
    "load_settings",
    "open_store",
]


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'mpox_adapter' has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value  # the next look-up is a plain attribute
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
