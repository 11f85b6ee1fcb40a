"""Rule packs load, are complete, and refuse to load when wrong, saying where."""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from mpox_adapter.errors import ConfigurationError
from mpox_adapter.rules.packs import PACK_DIR, build_pack, load_pack

RULES_MD = Path(__file__).resolve().parents[3] / "shared" / "guidelines" / "RULES.md"
REQUIRED_PROJECT_RULES = {
    "PROJ-LOWEST-GROUP",
    "PROJ-YOUNG-CHILD",
    "PROJ-DOSE2-EARLY",
    "PROJ-NO-SERIES-RESTART",
    "PROJ-AGE-FROM-BIRTHDATE",
    "PROJ-FEVER-TODAY",
    "PROJ-EXPOSURE-LAST-DAY",
}


def raw(jurisdiction: str) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((PACK_DIR / f"{jurisdiction.lower()}.yaml").read_text())
    return loaded


@pytest.mark.parametrize(
    ("jurisdiction", "version"), [("NO", "FHI 2023-05-23 snapshot"), ("DK", "SST v7.1 2025-02-18")]
)
def test_packs_load_with_their_version(jurisdiction: str, version: str) -> None:
    pack = load_pack(jurisdiction)
    assert pack.version == version
    assert all(r.id.startswith((jurisdiction + "-", "PROJ-")) for r in pack.rules)
    assert all(r.rule.rationale for r in pack.rules if r.id.startswith("PROJ-"))


def test_the_required_project_rules_exist() -> None:
    assert REQUIRED_PROJECT_RULES - {"PROJ-LOWEST-GROUP", "PROJ-YOUNG-CHILD"} <= set(
        load_pack("DK").titles
    )
    assert set(load_pack("NO").titles) >= REQUIRED_PROJECT_RULES


@pytest.mark.skipif(not RULES_MD.exists(), reason="the shared guideline digest is not here")
@pytest.mark.parametrize("jurisdiction", ["NO", "DK"])
def test_every_pack_id_is_in_rules_md(jurisdiction: str) -> None:
    known = set(re.findall(r"\b((?:NO|DK)-[A-Z0-9-]*[A-Z0-9])\b", RULES_MD.read_text()))
    ids = {r.id for r in load_pack(jurisdiction).rules if not r.id.startswith("PROJ-")}
    assert ids - known == set()


def broken(change: Any) -> str:
    data = copy.deepcopy(raw("NO"))
    change(data)
    with pytest.raises(ConfigurationError) as raised:
        build_pack(data, "no.yaml")
    return str(raised.value)


def rule(data: dict[str, Any], rule_id: str) -> dict[str, Any]:
    found: dict[str, Any] = next(r for r in data["rules"] if r["id"] == rule_id)
    return found


def test_an_unknown_fact_is_located() -> None:
    message = broken(lambda d: rule(d, "NO-PEP-4D")["condition"]["all"].append({"dayz": {"le": 4}}))
    assert "no.yaml" in message
    assert "(NO-PEP-4D).condition.all[3]" in message
    assert "unknown fact 'dayz'" in message


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda d: rule(d, "PROJ-YOUNG-CHILD").pop("rationale"), "needs a rationale"),
        (
            lambda d: rule(d, "NO-CI-ALLERGY")["effect"].update(route="intradermal"),
            "cannot set route",
        ),
        (
            lambda d: rule(d, "NO-CI-ALLERGY")["effect"].update(status="due"),
            "cannot give status due",
        ),
        (
            lambda d: rule(d, "NO-CI-ALLERGY").update(id="DK-CI-ALLERGY"),
            "holds NO- and PROJ- rules",
        ),
        (
            lambda d: rule(d, "NO-CI-ALLERGY")["source"].update(document="rumour"),
            "not in documents",
        ),
        (lambda d: rule(d, "NO-CI-ALLERGY").update(uses=["PROJ-NOPE"]), "not a definition rule"),
        (lambda d: rule(d, "NO-CI-ALLERGY")["text"].pop("nb"), "no 'nb' explanation"),
        (
            lambda d: rule(d, "NO-CI-ALLERGY")["text"].update(en="{colour}"),
            "unknown placeholder {colour}",
        ),
        (
            lambda d: rule(d, "NO-CI-ALLERGY").update(condition={"age": {"within_days": 3}}),
            "cannot compare a int fact",
        ),
        (
            lambda d: rule(d, "NO-CI-ALLERGY").update(condition={"rule": "NO-CI-FEVER"}),
            "not a definition rule",
        ),
        (
            lambda d: rule(d, "NO-CI-ALLERGY").update(condition={"all": [], "any": []}),
            "exactly one key",
        ),
        (
            lambda d: rule(d, "NO-CI-ALLERGY").update(
                effective_from="2024-01-02", effective_to="2024-01-01"
            ),
            "after effective_to",
        ),
        (lambda d: rule(d, "NO-CI-ALLERGY").pop("effective_to"), "effective_to: Field required"),
        (
            lambda d: rule(d, "NO-CI-ALLERGY")["effect"].update(colour="red"),
            "Extra inputs are not permitted",
        ),
    ],
)
def test_pack_mistakes_are_refused(change: Any, expected: str) -> None:
    assert expected in broken(change)
