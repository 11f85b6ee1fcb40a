"""The import rules of docs/architecture.md ("Who may import whom"), checked on the source."""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "mpox_adapter"
FACES = {"api", "cli"}
GROUND = {"fhir", "settings", "errors", "logs", "checkdigits", "settings_reference"}
INDEPENDENT = {"ingest", "mapping", "validation", "outbox"}
"""The stages the pipeline joins: none of them imports another."""


def part_of(module: str) -> str | None:
    """The stage or ground-floor module that `mpox_adapter.X.Y` belongs to."""
    parts = module.split(".")
    if parts[0] != "mpox_adapter":
        return None
    return parts[1] if len(parts) > 1 else "__init__"


def imports() -> dict[str, set[str]]:
    """Stage -> the other stages (and third-party top-level packages) its modules import."""
    found: dict[str, set[str]] = defaultdict(set)
    for path in PACKAGE.rglob("*.py"):
        relative = path.relative_to(PACKAGE)
        owner = relative.parts[0].removesuffix(".py")
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            for name in names:
                target = part_of(name) or f"3rd:{name.split('.')[0]}"
                if target != owner:
                    found[owner].add(target)
    return found


GRAPH = imports()


def test_the_core_never_imports_a_face() -> None:
    for owner, targets in GRAPH.items():
        if owner not in FACES and owner not in {"__main__", "__init__"}:
            assert not targets & FACES, f"{owner} imports a face: {targets & FACES}"


def test_only_the_http_face_imports_cds() -> None:
    importers = {owner for owner, targets in GRAPH.items() if "cds" in targets}
    assert importers <= {"api"}


def test_the_pipeline_stages_do_not_import_each_other() -> None:
    for owner in INDEPENDENT:
        assert not GRAPH[owner] & (INDEPENDENT - {owner}), (owner, GRAPH[owner] & INDEPENDENT)


def test_the_outbox_and_the_ground_floor_stand_alone() -> None:
    assert GRAPH["outbox"] - {"__init__"} <= GROUND | {t for t in GRAPH["outbox"] if "3rd:" in t}
    for module in GROUND - {"settings_reference"}:
        stages = {t for t in GRAPH[module] if not t.startswith("3rd:")}
        assert stages <= GROUND | {"__init__"}, (module, stages)


def test_the_rules_know_no_http_and_no_cds() -> None:
    assert not GRAPH["rules"] & {"cds", "api", "cli", "delivery", "outbox", "pipeline"}
    assert not GRAPH["rules"] & {"3rd:fastapi", "3rd:starlette", "3rd:httpx"}


def test_no_two_stages_import_each_other() -> None:
    stages = set(GRAPH) - FACES - {"__main__", "__init__"}
    edges = {s: {t for t in GRAPH[s] if t in stages} for s in stages}
    seen: dict[str, int] = {}

    def visit(stage: str, path: list[str]) -> None:
        seen[stage] = 1
        for target in edges[stage]:
            assert seen.get(target) != 1, f"import cycle: {' -> '.join([*path, target])}"
            if target not in seen:
                visit(target, [*path, target])
        seen[stage] = 2

    for stage in sorted(stages):
        if stage not in seen:
            visit(stage, [stage])
