"""Rule packs load, are complete, and refuse to load when wrong, saying where."""

from __future__ import annotations

import copy
import re
from typing import Any

import pytest
import yaml

from mpox_adapter.errors import ConfigurationError
from mpox_adapter.rules.packs import PACK_DIR, build_pack, load_pack
from tests.guideline_rules import guideline_rule_ids, guideline_rules

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


GUIDELINE_DOCUMENTS = {
    "no-fhi-2023-letter-priority-group-3": "NO",
    "no-fhi-mpox-vaccine-information-2023": "NO",
    "no-hdir-2024-information-letter": "NO",
    "no-helse-bergen-mpox-procedure-2025": "NO",
    "dk-sst-mpox-guidelines-v7.1-2025": "DK",
}


def test_the_guideline_rule_table_is_consistent() -> None:
    rules = guideline_rules()
    assert len(rules) >= 60
    for rule_id, row in rules.items():
        jurisdiction, documents = row["jurisdiction"], row["document"].split(" | ")
        assert jurisdiction in ("NO", "DK"), row
        assert rule_id.startswith((f"{jurisdiction}-", "PROJ-")), row
        if documents == ["project choice"]:
            assert rule_id.startswith("PROJ-"), row
            continue
        assert all(GUIDELINE_DOCUMENTS.get(d) == jurisdiction for d in documents), row
        assert len(row["section"].split(" | ")) == len(documents), row


@pytest.mark.parametrize("jurisdiction", ["NO", "DK"])
def test_every_pack_id_is_a_guideline_rule(jurisdiction: str) -> None:
    known = {r for r in guideline_rule_ids() if re.fullmatch(r"(?:NO|DK)-[A-Z0-9-]*[A-Z0-9]", r)}
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
