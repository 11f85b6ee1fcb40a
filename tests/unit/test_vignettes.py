"""Every clinical vignette in tests/vignettes/cases, run through `$immds-forecast` and the
case service, against the answer its author took from the guideline documents.

"Reported" rules are the forecast's forecastReason together with the case service's rules
(the case rules have no element in the forecast output). Vignettes the engine disagrees with,
after checking the documents, are listed in mpox_adapter/rules/README.md ("Vignette
disagreements") and marked xfail here with the reason.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml

from mpox_adapter.rules.cases import case_service
from mpox_adapter.rules.forecast import immds_forecast

VIGNETTES = Path(__file__).resolve().parents[1] / "vignettes"
CASES = sorted((VIGNETTES / "cases").glob("*.yaml"))

# vignette id -> why the engine's answer stands (details in mpox_adapter/rules/README.md)
DISAGREEMENTS: dict[str, str] = {}


def _build() -> ModuleType:
    spec = importlib.util.spec_from_file_location("vignette_build", VIGNETTES / "build.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


BUILD = _build() if CASES else None


def _cases() -> list[Any]:
    return [
        pytest.param(
            path,
            id=path.stem,
            marks=[pytest.mark.xfail(strict=True, reason=DISAGREEMENTS[path.stem])]
            if path.stem in DISAGREEMENTS
            else [],
        )
        for path in CASES
    ]


@pytest.mark.skipif(not CASES, reason="no vignettes in tests/vignettes/cases")
@pytest.mark.parametrize("path", _cases())
def test_vignette(path: Path) -> None:
    assert BUILD is not None
    vignette = yaml.safe_load(path.read_text(encoding="utf-8"))
    body = BUILD.build_parameters(vignette)
    jurisdiction = vignette["jurisdiction"]
    actual: dict[str, Any] = BUILD.read_expected(immds_forecast(body, jurisdiction))
    case = case_service(body, jurisdiction)
    actual["rules"] = [*actual["rules"], *case.rules]
    actual["case"] = {
        "classification": case.classification or "none",
        "duties": [duty.rule for duty in case.duties],
    }
    assert BUILD.mismatches(vignette["expected"], actual) == []
