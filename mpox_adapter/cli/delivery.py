"""`push`, `worker`, `deliveries` and `dlq`: putting resources on their way and watching them."""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
from rich.markup import escape
from rich.table import Table

from mpox_adapter.cli.console import console
from mpox_adapter.errors import ConfigurationError, InputError
from mpox_adapter.outbox.model import Item, State
from mpox_adapter.settings import Settings

EXIT_OK, EXIT_INVALID = 0, 1
_JSON_HELP = "one JSON object per item and line on stdout (no resource bodies)"


def add_parsers(sub: Any, common: argparse.ArgumentParser) -> None:
    push = sub.add_parser("push", parents=[common], help="convert, store in the outbox, deliver")
    push.add_argument("--mapping", required=True)
    push.add_argument("inputs", nargs="+", metavar="INPUT", type=Path)
    push.add_argument("--destination", action="append", help="only this destination (repeatable)")
    push.set_defaults(command=push_command)

    worker = sub.add_parser("worker", parents=[common], help="delivery worker only")
    worker.set_defaults(command=worker_command)

    deliveries = sub.add_parser("deliveries", parents=[common], help="list outbox items")
    deliveries.add_argument(
        "--status", choices=["pending", "leased", "delivered", "retry-wait", "dead"]
    )
    deliveries.add_argument("--destination")
    deliveries.add_argument("--limit", type=int, default=50)
    deliveries.add_argument("--json", action="store_true", help=_JSON_HELP)
    deliveries.set_defaults(command=deliveries_command)

    dlq = sub.add_parser("dlq", parents=[common], help="dead-letter queue: list or replay")
    dlq.add_argument("action", choices=["list", "replay"])
    dlq.add_argument("id", nargs="?", type=int)
    dlq.add_argument("--all", action="store_true")
    dlq.add_argument("--json", action="store_true", help=f"list: {_JSON_HELP}")
    dlq.set_defaults(command=dlq_command)


def push_command(args: argparse.Namespace, settings: Settings) -> int:
    from mpox_adapter.delivery.runtime import build_destinations
    from mpox_adapter.delivery.worker import DeliveryWorker
    from mpox_adapter.outbox.store import open_store
    from mpox_adapter.pipeline.convert import Counts, build_converter, run_file
    from mpox_adapter.pipeline.enqueue import enqueue

    err = console(stderr=True)
    destinations = build_destinations(settings, args.destination)
    if not destinations:
        raise ConfigurationError(
            "no destinations configured: add [destinations.NAME] to the settings"
        )
    for path in args.inputs:
        if not path.is_file():
            raise ConfigurationError(f"{path}: no such file")
    converter = build_converter(settings, args.mapping)
    store = open_store(settings.store.url)
    counts = Counts()
    chosen = {name: settings.destinations[name] for name in destinations}
    try:
        for path in args.inputs:
            with path.open("rb") as stream:
                try:
                    results = run_file(converter, stream, path.name)
                    for result in enqueue(store, results, chosen, datetime.now(UTC)):
                        counts.add(result)
                except InputError as exc:
                    counts.rejected += 1
                    err.print(f"[red]{escape(path.name)}:[/red] {escape(str(exc))}")
        err.print(
            f"{counts.records} record(s): {counts.accepted} accepted and stored, "
            f"{counts.rejected} rejected"
        )
        worker = DeliveryWorker(store, destinations, settings.delivery)
        with err.status("delivering..."):
            asyncio.run(_drain(worker))
        by_state: dict[State, int] = {}
        for (name, state), n in store.counts().items():
            if name in destinations:
                by_state[state] = by_state.get(state, 0) + n
        dead = by_state.get(State.DEAD, 0)
        hint = " (see `mpox-adapter dlq list`)" if dead else ""
        err.print(f"delivered {by_state.get(State.DELIVERED, 0)}, dead-lettered {dead}{hint}")
        return EXIT_INVALID if counts.rejected or by_state.get(State.DEAD) else EXIT_OK
    finally:
        store.close()


async def _drain(worker: Any) -> None:
    try:
        await worker.drain()
    finally:
        for destination in worker.destinations.values():
            await destination.aclose()


def worker_command(_: argparse.Namespace, settings: Settings) -> int:
    from mpox_adapter import logs
    from mpox_adapter.delivery.runtime import build_destinations, check_destinations
    from mpox_adapter.delivery.worker import DeliveryWorker
    from mpox_adapter.outbox.store import open_store

    logs.configure(settings.log)
    destinations = build_destinations(settings)
    if not destinations:
        raise ConfigurationError(
            "no destinations configured: add [destinations.NAME] to the settings"
        )
    store = open_store(settings.store.url)

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await check_destinations(destinations)
        try:
            await DeliveryWorker(store, destinations, settings.delivery).run(stop)
        finally:
            for destination in destinations.values():
                await destination.aclose()

    try:
        asyncio.run(main())
    finally:
        store.close()
    return EXIT_OK


def deliveries_command(args: argparse.Namespace, settings: Settings) -> int:
    from mpox_adapter.outbox.store import open_store

    store = open_store(settings.store.url)
    try:
        state = State(args.status) if args.status else None
        _print_items(store.items(state, args.destination, args.limit), as_json=args.json)
        if not args.json:
            counts = sorted(store.counts().items())
            summary = ", ".join(f"{d} {s}: {n}" for (d, s), n in counts if n)
            console(stderr=True).print(escape(summary) or "the outbox is empty")
    finally:
        store.close()
    return EXIT_OK


def dlq_command(args: argparse.Namespace, settings: Settings) -> int:
    from mpox_adapter.outbox.store import open_store

    store = open_store(settings.store.url)
    try:
        if args.action == "list":
            _print_items(store.items(State.DEAD, None, 1000), as_json=args.json)
            return EXIT_OK
        if args.json:
            raise ConfigurationError("--json goes with dlq list")
        if args.all == (args.id is not None):
            raise ConfigurationError("dlq replay takes an item id or --all")
        replayed = store.replay(None if args.all else args.id, datetime.now(UTC))
        console(stderr=True).print(f"{replayed} item(s) back in the queue")
        return EXIT_OK if replayed else EXIT_INVALID
    finally:
        store.close()


def _print_items(items: list[Item], *, as_json: bool) -> None:
    if as_json:
        # The fields the HTTP API gives for an item, so that a script reads the same from both.
        for item in items:
            sys.stdout.write(orjson.dumps(item.summary()).decode() + "\n")
        return
    table = Table("id", "destination", "resource", "state", "attempts", "last error")
    for item in items:
        table.add_row(
            str(item.id), escape(item.destination),
            escape(f"{item.resource_type}/{item.resource_id}"), str(item.state),
            str(item.attempts), escape(item.last_error or ""),
        )  # fmt: skip
    console().print(table)
