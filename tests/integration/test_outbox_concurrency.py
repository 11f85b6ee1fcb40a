"""The outbox under several processes: no item leased twice, nothing acknowledged lost.

Workers are started with ``spawn``, so that no connection is ever shared across a fork.
"""

from __future__ import annotations

import multiprocessing
import os
import random
import signal
import sqlite3
import time
from collections import defaultdict
from datetime import UTC, datetime
from multiprocessing.connection import Connection
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Event
from pathlib import Path
from queue import Empty
from typing import Any

import pytest

from mpox_adapter.outbox.model import NewItem, State
from mpox_adapter.outbox.store import open_store

ITEMS = 2000
WORKERS = 3
DEST = "fhir-test"
CTX = multiprocessing.get_context("spawn")


def _items(start: int, count: int) -> list[NewItem]:
    # Groups of 1 to 3 items, as a mapped source record gives (Patient, Immunization, ...).
    return [
        NewItem(DEST, "Immunization", f"imm-{n}", f"prov-{n // 3}", b'{"n":%d}' % n)
        for n in range(start, start + count)
    ]


Report = tuple[str, str, Any]
"""("ready" | "done", owner, payload)."""


def _deliver_all(url: str, owner: str, ready: Queue[Report], go: Event) -> None:
    """Lease and deliver until nothing is left; report (item id, group) per leased item."""
    store = open_store(url)
    ready.put(("ready", owner, None))
    go.wait(60)
    taken: list[tuple[int, str]] = []
    lost: list[int] = []
    try:
        while True:
            batch = store.lease(DEST, owner, 10, 300, datetime.now(UTC))
            if not batch:
                if store.counts().get((DEST, State.PENDING), 0) == 0:
                    break
                time.sleep(0.005)
                continue
            time.sleep(0.002)  # sending, outside any lock: the others get their turn
            for item in batch:
                if item.lease_owner != owner:
                    lost.append(item.id)
                taken.append((item.id, item.group_key))
                if not store.delivered(item.id, owner, {"id": f"srv-{item.id}"}, datetime.now(UTC)):
                    lost.append(item.id)
    finally:
        store.close()
    ready.put(("done", owner, (taken, lost)))


def _run_workers(url: str) -> None:
    store = open_store(url)
    for start in range(0, ITEMS, 500):
        assert store.enqueue(_items(start, 500), datetime.now(UTC)) == 500
    store.close()

    ready: Queue[Report] = CTX.Queue()
    go = CTX.Event()
    workers = [
        CTX.Process(target=_deliver_all, args=(url, f"worker-{n}", ready, go))
        for n in range(WORKERS)
    ]
    for worker in workers:
        worker.start()
    results: dict[str, tuple[list[tuple[int, str]], list[int]]] = {}
    try:
        started = 0
        while started < WORKERS or len(results) < WORKERS:
            try:
                kind, owner, payload = ready.get(timeout=120)
            except Empty:
                pytest.fail("a delivery worker stopped answering")
            if kind == "ready":
                started += 1
                if started == WORKERS:
                    go.set()
            else:
                results[owner] = payload
    finally:
        for worker in workers:
            worker.join(30)
            if worker.is_alive():
                worker.kill()
                worker.join()
    assert [w.exitcode for w in workers] == [0] * WORKERS

    owners_of: dict[int, list[str]] = defaultdict(list)
    groups: dict[str, set[str]] = defaultdict(set)
    for owner, (taken, lost) in results.items():
        assert lost == [], f"{owner} lost leases it should have held: {lost[:10]}"
        assert taken, f"{owner} got no work: the test did not run concurrently"
        for item_id, group in taken:
            owners_of[item_id].append(owner)
            groups[group].add(owner)
    twice = {i: o for i, o in owners_of.items() if len(o) > 1}
    assert twice == {}, f"items leased more than once: {list(twice.items())[:10]}"
    assert len(owners_of) == ITEMS
    split = {g: o for g, o in groups.items() if len(o) > 1}
    assert split == {}, f"groups split between workers: {list(split.items())[:10]}"

    store = open_store(url)
    try:
        assert store.counts() == {(DEST, State.DELIVERED): ITEMS}
        assert store.server_id(DEST, "Immunization", "imm-7") is not None
    finally:
        store.close()


@pytest.mark.slow
def test_sqlite_workers_deliver_each_item_once(tmp_path: Path) -> None:
    _run_workers(f"sqlite:///{tmp_path / 'outbox.db'}")


@pytest.mark.integration
@pytest.mark.slow
def test_postgresql_workers_deliver_each_item_once(postgres_url: str) -> None:
    _run_workers(postgres_url)


BATCH = 200


def _enqueue_until_killed(url: str, acks: Connection, first: int) -> None:
    """Enqueue batches forever, acknowledging each (the running total) once it returned."""
    store = open_store(url)
    total = 0
    while True:
        added = store.enqueue(_items(first + total, BATCH), datetime.now(UTC))
        assert added == BATCH
        total += added
        acks.send(total)


@pytest.mark.slow
def test_sqlite_keeps_every_acknowledged_item_through_sigkill(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'outbox.db'}"
    rng = random.Random()
    kept = 0
    for _round in range(3):
        receive, send = CTX.Pipe(duplex=False)
        child = CTX.Process(target=_enqueue_until_killed, args=(url, send, kept))
        child.start()
        send.close()
        acknowledged = 0
        assert receive.poll(60), "the enqueuing child never acknowledged a batch"
        deadline = time.monotonic() + rng.uniform(0.2, 1.5)
        while time.monotonic() < deadline:
            if receive.poll(0.01):
                acknowledged = receive.recv()
        assert child.pid is not None
        os.kill(child.pid, signal.SIGKILL)
        child.join(30)
        assert child.exitcode == -signal.SIGKILL
        while receive.poll():  # acknowledgements sent before the kill, not yet read
            try:
                acknowledged = receive.recv()
            except EOFError:
                break
        receive.close()

        with sqlite3.connect(tmp_path / "outbox.db") as conn:
            assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        conn.close()
        store = open_store(url)
        try:
            stored = sum(store.counts().values())
        finally:
            store.close()
        added = stored - kept
        assert added >= acknowledged, f"acknowledged {acknowledged}, kept only {added}"
        # One more batch may have committed without its acknowledgement; never half of one.
        assert added - acknowledged in (0, BATCH)
        assert acknowledged > 0
        kept = stored
