"""`mpox-adapter convert --mapping NAME INPUT... [-o OUT] [--errors ERRS] [--format F]`."""

from __future__ import annotations

import argparse
import sys
from contextlib import ExitStack
from pathlib import Path
from typing import Any, BinaryIO

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeRemainingColumn

from mpox_adapter.cli.console import console
from mpox_adapter.errors import ConfigurationError, InputError
from mpox_adapter.settings import Settings

EXIT_OK, EXIT_INVALID = 0, 1
SHOWN_ERRORS = 20


def add_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    parser = sub.add_parser("convert", parents=[common], help="map and validate local exports")
    parser.add_argument("--mapping", required=True, help="mapping name (yours or shipped)")
    parser.add_argument("inputs", nargs="+", metavar="INPUT", type=Path)
    parser.add_argument("-o", "--output", type=Path, help="valid resources (default: stdout)")
    parser.add_argument("--errors", type=Path, help="rejected records as NDJSON")
    parser.add_argument("--format", choices=["ndjson", "bundle"], default="ndjson")
    parser.add_argument(
        "--workers", type=int, help="processes (default: both cores for large files)"
    )
    parser.set_defaults(command=run)


def run(args: argparse.Namespace, settings: Settings) -> int:
    from mpox_adapter.pipeline.convert import Counts, build_converter, run_file, workers_for
    from mpox_adapter.pipeline.output import BundleWriter, ErrorWriter, NdjsonWriter

    for path in args.inputs:
        if not path.is_file():
            raise ConfigurationError(f"{path}: no such file")
    converter = build_converter(settings, args.mapping)
    err = console(stderr=True)
    counts = Counts()
    shown = 0
    with ExitStack() as stack:
        out: BinaryIO = (
            stack.enter_context(args.output.open("wb")) if args.output else sys.stdout.buffer
        )
        writer = BundleWriter(out) if args.format == "bundle" else NdjsonWriter(out)
        errors = ErrorWriter(stack.enter_context(args.errors.open("wb"))) if args.errors else None
        progress = stack.enter_context(_progress(err))
        for path in args.inputs:
            size = path.stat().st_size
            task = progress.add_task(escape(path.name), total=size)
            # A Bundle rewrites references inside each record, so it needs whole resources,
            # which only the single-process path keeps.
            workers = 1 if args.format == "bundle" else args.workers or workers_for(size)
            with path.open("rb") as stream:
                try:
                    for result in run_file(converter, stream, path.name, workers):
                        counts.add(result)
                        if result.rejected:
                            if errors:
                                errors.write(result)
                            if shown < SHOWN_ERRORS and not errors:
                                err.print(_describe(result))
                                shown += 1
                        else:
                            writer.write(result)
                        if counts.records % 512 == 0:
                            progress.update(task, completed=stream.tell())
                except InputError as exc:
                    counts.rejected += 1
                    err.print(f"[red]{escape(path.name)}:[/red] {escape(str(exc))}")
            progress.update(task, completed=size)
        writer.close()
        if errors:
            errors.close()
    _summary(err, counts, args)
    return EXIT_INVALID if counts.rejected else EXIT_OK


def _progress(err: Console) -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        TimeRemainingColumn(),
        console=err,
        transient=True,
        disable=not err.is_terminal,
    )


def _describe(result: Any) -> str:
    issues = "; ".join(f"{i.field}: {i.message}" for i in result.issues)
    return f"[red]rejected[/red] {escape(result.source)}:{result.line}: {escape(issues)}"


def _summary(err: Console, counts: Any, args: argparse.Namespace) -> None:
    resources = ", ".join(f"{n} {t}" for t, n in counts.resources.items()) or "no resources"
    err.print(
        f"{counts.records} record(s): {counts.accepted} accepted, "
        f"{counts.rejected} rejected; {escape(resources)}"
        + (f"; errors in {escape(str(args.errors))}" if args.errors and counts.rejected else "")
    )
