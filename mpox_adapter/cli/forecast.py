"""`mpox-adapter forecast FILE [--jurisdiction NO|DK] [--date YYYY-MM-DD]`.

Runs `$immds-forecast` on a Parameters file, or on a Bundle of the patient's resources
(assessed today unless --date says otherwise), and prints the output Parameters as JSON.
"""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path
from typing import Any

import orjson
from rich.markup import escape

from mpox_adapter.cli.console import console
from mpox_adapter.errors import InputError
from mpox_adapter.settings import Settings

EXIT_OK, EXIT_USAGE = 0, 2


def add_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    parser = sub.add_parser(
        "forecast", parents=[common], help="run $immds-forecast on a Parameters or Bundle file"
    )
    parser.add_argument("file", metavar="FILE", type=Path)
    parser.add_argument("--jurisdiction", choices=["NO", "DK"],
                        help="rules to apply (default: the file's, else settings)")  # fmt: skip
    parser.add_argument("--date", metavar="YYYY-MM-DD", type=_iso_date,
                        help="assessment date (default: the file's; a Bundle: today)")  # fmt: skip
    parser.set_defaults(command=run)


def run(args: argparse.Namespace, settings: Settings) -> int:
    from mpox_adapter.rules.forecast import immds_forecast

    try:
        body = orjson.loads(args.file.read_bytes())
    except OSError as exc:
        return _usage_error(f"{args.file}: cannot read ({exc.strerror})")
    except orjson.JSONDecodeError as exc:
        return _usage_error(f"{args.file}: not valid JSON: {exc}")
    when: date | None = args.date
    if when is None and isinstance(body, dict) and body.get("resourceType") == "Bundle":
        when = date.today()
    try:
        output = immds_forecast(
            body, settings.jurisdiction, assessment_date=when, jurisdiction=args.jurisdiction
        )
    except InputError as exc:
        return _usage_error(f"{args.file}: {exc}")
    sys.stdout.write(orjson.dumps(output, option=orjson.OPT_INDENT_2).decode() + "\n")
    return EXIT_OK


def _usage_error(message: str) -> int:
    console(stderr=True, soft_wrap=True).print(f"[red]error:[/red] {escape(message)}")
    return EXIT_USAGE


def _iso_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None
