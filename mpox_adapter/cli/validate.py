"""`mpox-adapter validate FILE... [--profile URL] [--ig PATH...] [--json]`."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
from rich.console import Console
from rich.markup import escape

from mpox_adapter.cli.console import console
from mpox_adapter.errors import ConfigurationError
from mpox_adapter.settings import Settings
from mpox_adapter.validation.issues import Issue, outcome

EXIT_OK, EXIT_INVALID = 0, 1

_STYLE = {"fatal": "bold red", "error": "red", "warning": "yellow", "information": "cyan"}


def add_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    parser = sub.add_parser(
        "validate", parents=[common], help="validate FHIR resources (JSON, NDJSON or Bundle)"
    )
    parser.add_argument("files", nargs="+", metavar="FILE", type=Path)
    parser.add_argument("--profile", action="append", default=[], metavar="URL",
                        help="validate against this profile too (repeatable)")  # fmt: skip
    parser.add_argument("--ig", action="append", default=[], metavar="PATH", type=Path,
                        help="more profiles: JSON file, folder or package .tgz")  # fmt: skip
    parser.add_argument("--json", action="store_true", help="one JSON line per resource on stdout")
    parser.set_defaults(command=run)


def run(args: argparse.Namespace, settings: Settings) -> int:
    # Imported here so that other commands do not pay for loading the validator.
    from mpox_adapter.validation.engine import Validator
    from mpox_adapter.validation.service import load_definitions

    definitions, report = load_definitions(settings.definitions, args.ig)
    err = console(stderr=True)
    for problem in report.skipped:
        err.print(f"[yellow]skipped[/yellow] {escape(problem)}")
    validator = Validator(definitions)
    out = console(soft_wrap=True)
    resources = errors = 0
    for path in args.files:
        for item in _read(path):
            issues = (
                [item.problem] if item.problem else validator.issues(item.resource, args.profile)
            )
            resources += 1
            errors += sum(1 for issue in issues if issue.is_error)
            if args.json:
                line = {"source": str(path), "line": item.line, "outcome": outcome(issues)}
                sys.stdout.write(orjson.dumps(line).decode() + "\n")
            else:
                _print(out, path, item.line, item.resource, issues)
    if not args.json:
        verdict = "[red]invalid[/red]" if errors else "[green]valid[/green]"
        err.print(f"{resources} resource(s), {errors} error(s): {verdict}")
    return EXIT_INVALID if errors else EXIT_OK


def _print(out: Console, path: Path, line: int, resource: Any, issues: list[Issue]) -> None:
    label = (
        f"{resource.get('resourceType')}/{resource.get('id', '-')}"
        if isinstance(resource, dict)
        else "-"
    )
    shown = [i for i in issues if i.severity != "information"] or issues
    if not shown:
        out.print(f"{escape(str(path))}:{line} {escape(label)} [green]ok[/green]")
        return
    for issue in shown:
        out.print(
            f"{escape(str(path))}:{line} {escape(label)} "
            f"[{_STYLE[issue.severity]}]{issue.severity}[/] "
            f"{escape(issue.expression)}: {escape(issue.diagnostics)}"
        )


@dataclass(frozen=True, slots=True)
class _Loaded:
    line: int
    resource: Any = None
    problem: Issue | None = None


def _read(path: Path) -> Iterator[_Loaded]:
    """The resources of a JSON file (one resource or Bundle) or of an NDJSON file."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigurationError(f"{path}: cannot read ({exc.strerror})") from exc
    try:
        yield _Loaded(1, orjson.loads(data))
        return
    except orjson.JSONDecodeError as whole_error:
        lines = data.splitlines()
        if len(lines) < 2:
            yield _Loaded(1, problem=_unreadable(whole_error))
            return
    for number, raw in enumerate(lines, start=1):
        if raw.strip():
            try:
                yield _Loaded(number, orjson.loads(raw))
            except orjson.JSONDecodeError as exc:
                yield _Loaded(number, problem=_unreadable(exc))


def _unreadable(exc: orjson.JSONDecodeError) -> Issue:
    return Issue("fatal", "structure", "", f"not valid JSON: {exc}")
