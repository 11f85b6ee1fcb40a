"""The guideline rule ids the tests check the rule packs, CodeSystem rule and vignettes against.

`tests/data/guideline-rules.tsv` lists every rule id of the guideline digest the project's rules
were written from, with its jurisdiction, document and section (see the file's header).
"""

from __future__ import annotations

import csv
from pathlib import Path

GUIDELINE_RULES = Path(__file__).resolve().parent / "data" / "guideline-rules.tsv"
COLUMNS = ["id", "jurisdiction", "document", "section"]


def guideline_rules() -> dict[str, dict[str, str]]:
    """Each rule id with its row (id, jurisdiction, document, section), in file order."""
    lines = [
        line
        for line in GUIDELINE_RULES.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    reader = csv.DictReader(lines, delimiter="\t", quoting=csv.QUOTE_NONE, strict=True)
    assert reader.fieldnames == COLUMNS, reader.fieldnames
    rules: dict[str, dict[str, str]] = {}
    for row in reader:
        assert None not in row, row
        assert all(row[c] for c in COLUMNS), row
        assert row["id"] not in rules, f"{row['id']} is listed twice"
        rules[row["id"]] = row
    return rules


def guideline_rule_ids() -> set[str]:
    return set(guideline_rules())
