"""The outbox store contract, run against every implementation.

The PostgreSQL cases each get a schema of their own (``search_path`` in the URL), dropped at
teardown; they skip when the server is absent, except on CI.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import psycopg
import pytest

from mpox_adapter.errors import ConfigurationError
from mpox_adapter.outbox.memory import MemoryStore
from mpox_adapter.outbox.model import Item, NewItem, State
from mpox_adapter.outbox.store import Store, open_store

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
DEST = "fhir-no"
OUTCOME = {"resourceType": "OperationOutcome", "issue": [{"severity": "error", "code": "invalid"}]}


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def new(
    resource_id: str,
    group: str | None = None,
    body: bytes | None = None,
    destination: str = DEST,
    resource_type: str = "Immunization",
) -> NewItem:
    return NewItem(
        destination=destination,
        resource_type=resource_type,
        resource_id=resource_id,
        group_key=group or f"g-{resource_id}",
        body=body if body is not None else f'{{"id":"{resource_id}"}}'.encode(),
    )


def ids(items: list[Item]) -> list[str]:
    return [item.resource_id for item in items]


@pytest.fixture(
    params=["memory", "sqlite", pytest.param("postgresql", marks=pytest.mark.integration)]
)
def opener(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Callable[[], Store]]:
    """Opens (another connection to) one store; every opened store is closed at the end."""
    opened: list[Store] = []
    if request.param == "memory":
        memory = MemoryStore()

        def open_one() -> Store:
            return memory
    else:
        url = (
            f"sqlite:///{tmp_path / 'outbox.db'}"
            if request.param == "sqlite"
            else request.getfixturevalue("postgres_url")
        )

        def open_one() -> Store:
            opened.append(open_store(url))
            return opened[-1]

    yield open_one
    for store in opened:
        store.close()


@pytest.fixture
def store(opener: Callable[[], Store]) -> Store:
    return opener()


def test_enqueue_skips_a_body_already_waiting(store: Store) -> None:
    assert store.enqueue([new("a"), new("b"), new("a")], at(0)) == 2
    assert store.enqueue([new("a"), new("b")], at(1)) == 0
    assert store.enqueue([new("a", body=b'{"id":"a","v":2}')], at(2)) == 1
    assert store.enqueue([new("a", resource_type="Patient")], at(3)) == 1
    assert store.enqueue([new("a", destination="fhir-dk")], at(4)) == 1
    assert len(store.items()) == 5
    assert store.enqueue([], at(5)) == 0


def test_enqueue_compares_with_the_newest_waiting_version(store: Store) -> None:
    v1, v2 = new("a", body=b"v1"), new("a", body=b"v2")
    assert store.enqueue([v1, v2], at(0)) == 2
    assert store.enqueue([v2], at(1)) == 0
    # Back to v1 after v2: the destination must end with v1, so it is sent again.
    assert store.enqueue([v1], at(2)) == 1
    assert [i.body for i in store.items()] == [b"v1", b"v2", b"v1"]


def test_a_delivered_body_can_be_enqueued_again(store: Store) -> None:
    store.enqueue([new("a")], at(0))
    (item,) = store.lease(DEST, "w1", 10, 30, at(1))
    assert store.delivered(item.id, "w1", {"id": "srv-a"}, at(2))
    assert store.enqueue([new("a")], at(3)) == 1


def test_new_items_are_pending_with_their_body(store: Store) -> None:
    body = b'{"id":"x","bin":"\x00\xff"}'
    store.enqueue([new("x", group="prov-1", body=body)], at(0))
    (item,) = store.items()
    assert item == store.get(item.id)
    assert (item.body, item.group_key, item.state, item.attempts) == (
        body,
        "prov-1",
        State.PENDING,
        0,
    )
    assert item.not_before == item.created == item.updated == at(0)
    assert (item.lease_owner, item.lease_expires, item.receipt, item.outcome) == (None,) * 4
    assert store.get(item.id + 1000) is None


def test_lease_takes_oldest_whole_groups_up_to_the_limit(store: Store) -> None:
    store.enqueue([new("a1", "g1"), new("b1", "g2"), new("a2", "g1")], at(0))
    store.enqueue([new("c1", "g3"), new("c2", "g3"), new("c3", "g3")], at(1))
    store.enqueue([new("d1", "g4")], at(2))

    first = store.lease(DEST, "w1", 1, 30, at(10))
    assert ids(first) == ["a1", "a2"]  # the whole of g1, although the limit is 1
    assert all(i.state is State.LEASED and i.lease_owner == "w1" for i in first)
    assert all(i.lease_expires == at(40) and i.updated == at(10) for i in first)

    assert ids(store.lease(DEST, "w2", 2, 30, at(10))) == ["b1", "c1", "c2", "c3"]
    assert ids(store.lease(DEST, "w3", 5, 30, at(10))) == ["d1"]
    assert store.lease(DEST, "w4", 5, 30, at(10)) == []
    assert store.lease(DEST, "w4", 0, 30, at(10)) == []


def test_lease_keeps_to_its_destination(store: Store) -> None:
    store.enqueue([new("a", destination="fhir-dk"), new("b")], at(0))
    assert ids(store.lease(DEST, "w1", 10, 30, at(1))) == ["b"]
    assert ids(store.lease("fhir-dk", "w1", 10, 30, at(1))) == ["a"]


def test_a_group_being_sent_is_not_split(store: Store) -> None:
    store.enqueue([new("a1", "g1")], at(0))
    assert ids(store.lease(DEST, "w1", 10, 30, at(1))) == ["a1"]
    store.enqueue([new("a2", "g1"), new("b1", "g2")], at(2))
    assert ids(store.lease(DEST, "w2", 10, 30, at(3))) == ["b1"]
    (a1,) = store.items(state=State.LEASED, destination=DEST, after_id=0, limit=1)
    assert store.delivered(a1.id, "w1", {"id": "1"}, at(4))
    assert ids(store.lease(DEST, "w2", 10, 30, at(5))) == ["a2"]


def test_lease_looks_past_many_waiting_items_of_a_busy_group(store: Store) -> None:
    store.enqueue([new("busy-0", "busy")], at(0))
    store.lease(DEST, "w1", 1, 300, at(0))
    store.enqueue([new(f"busy-{n}", "busy") for n in range(1, 150)] + [new("free")], at(1))
    assert ids(store.lease(DEST, "w2", 1, 30, at(2))) == ["free"]


def test_a_newer_version_waits_for_the_older_one(store: Store) -> None:
    store.enqueue([new("p", "g1", b"v1"), new("q", "g1")], at(0))
    store.enqueue([new("p", "g2", b"v2"), new("r", "g2")], at(1))
    store.enqueue([new("p", "g3", b"v3")], at(2))
    first = store.lease(DEST, "w1", 10, 30, at(3))
    # g2's other item may go, but p v2 waits for p v1, and p v3 for p v2.
    assert [(i.resource_id, i.body) for i in first if i.resource_id == "p"] == [("p", b"v1")]
    assert sorted(ids(first)) == ["p", "q", "r"]
    for item in first:
        store.delivered(item.id, "w1", {"id": item.resource_id}, at(4))
    (p2,) = store.lease(DEST, "w1", 10, 30, at(5))
    assert p2.body == b"v2"
    assert store.dead(p2.id, "w1", "rejected", OUTCOME, at(6))
    (p3,) = store.lease(DEST, "w1", 10, 30, at(7))  # a dead version no longer holds up the next
    assert p3.body == b"v3"


def test_two_versions_in_one_group_go_one_after_the_other(store: Store) -> None:
    store.enqueue([new("p", "g", b"v1"), new("p", "g", b"v2")], at(0))
    (first,) = store.lease(DEST, "w1", 10, 30, at(1))
    assert first.body == b"v1"
    store.delivered(first.id, "w1", {"id": "p"}, at(2))
    (second,) = store.lease(DEST, "w1", 10, 30, at(3))
    assert second.body == b"v2"


def test_an_expired_lease_returns_the_work(store: Store) -> None:
    store.enqueue([new("a", "g"), new("b", "g")], at(0))
    taken = store.lease(DEST, "crashed", 10, 30, at(0))
    assert store.lease(DEST, "w2", 10, 30, at(30)) == []  # expires at 30: not yet free
    again = store.lease(DEST, "w2", 10, 30, at(31))
    assert [i.id for i in again] == [i.id for i in taken]
    assert all(i.lease_owner == "w2" and i.lease_expires == at(61) for i in again)
    assert not store.delivered(taken[0].id, "crashed", {"id": "x"}, at(32))
    assert store.delivered(again[0].id, "w2", {"id": "x"}, at(32))


def test_marks_need_the_lease(store: Store) -> None:
    store.enqueue([new("a")], at(0))
    (item,) = store.items()
    assert not store.delivered(item.id, "w1", {"id": "x"}, at(1))  # never leased
    store.lease(DEST, "w1", 10, 30, at(1))
    assert not store.delivered(item.id, "w2", {"id": "x"}, at(2))
    assert not store.retry(item.id, "w2", at(60), "boom", None, at(2))
    assert not store.dead(item.id, "w2", "boom", None, at(2))
    assert not store.delivered(item.id + 99, "w1", {"id": "x"}, at(2))
    assert store.lease(DEST, "w3", 10, 30, at(2)) == []
    receipt = {"id": "srv-1", "version": "1", "location": "Immunization/srv-1/_history/1"}
    assert store.delivered(item.id, "w1", receipt | {"status": "201"}, at(3))
    done = store.get(item.id)
    assert done is not None
    assert done.state is State.DELIVERED
    assert done.receipt == receipt | {"status": "201"}
    assert (done.lease_owner, done.lease_expires, done.updated) == (None, None, at(3))
    assert not store.delivered(item.id, "w1", {"id": "x"}, at(4))  # once only
    assert not store.retry(item.id, "w1", at(60), "late", None, at(4))


def test_retry_waits_until_not_before(store: Store) -> None:
    store.enqueue([new("a")], at(0))
    (item,) = store.lease(DEST, "w1", 10, 30, at(0))
    assert store.retry(item.id, "w1", at(60), "503 from server", OUTCOME, at(1))
    waiting = store.get(item.id)
    assert waiting is not None
    assert (waiting.state, waiting.attempts, waiting.not_before) == (State.RETRY_WAIT, 1, at(60))
    assert (waiting.last_error, waiting.outcome, waiting.lease_owner) == (
        "503 from server",
        OUTCOME,
        None,
    )
    assert store.lease(DEST, "w1", 10, 30, at(59)) == []
    (again,) = store.lease(DEST, "w2", 10, 30, at(60))
    assert store.retry(again.id, "w2", at(120), "again", None, at(61))
    later = store.get(item.id)
    assert later is not None
    assert later.attempts == 2
    assert later.outcome is None


def test_retry_waiting_items_come_in_not_before_order(store: Store) -> None:
    store.enqueue([new("a"), new("b")], at(0))
    a, b = store.lease(DEST, "w1", 10, 30, at(0))
    store.retry(a.id, "w1", at(50), "x", None, at(1))
    store.retry(b.id, "w1", at(40), "x", None, at(1))
    store.enqueue([new("c")], at(45))
    assert ids(store.lease(DEST, "w1", 10, 30, at(100))) == ["b", "c", "a"]


def test_dead_and_replay(store: Store) -> None:
    store.enqueue([new("a"), new("b"), new("c")], at(0))
    a, b, c = store.lease(DEST, "w1", 10, 30, at(0))
    assert store.dead(a.id, "w1", "400 invalid", OUTCOME, at(1))
    assert store.retry(b.id, "w1", at(5), "x", None, at(1))
    b = store.lease(DEST, "w1", 10, 30, at(5))[0]
    assert store.dead(b.id, "w1", "400 invalid", None, at(6))
    assert store.dead(c.id, "w1", "422", None, at(6))
    dead = store.get(a.id)
    assert dead is not None
    assert (dead.state, dead.attempts, dead.last_error, dead.outcome) == (
        State.DEAD,
        1,
        "400 invalid",
        OUTCOME,
    )
    assert store.lease(DEST, "w1", 10, 30, at(100)) == []

    assert store.replay(a.id, at(200)) == 1
    assert store.replay(a.id, at(200)) == 0  # no longer dead
    replayed = store.get(a.id)
    assert replayed is not None
    assert (replayed.state, replayed.attempts, replayed.not_before) == (State.PENDING, 0, at(200))
    assert store.replay(None, at(300)) == 2
    assert {i.attempts for i in store.items(state=State.PENDING)} == {0}
    assert ids(store.lease(DEST, "w1", 10, 30, at(301))) == ["a", "b", "c"]
    assert store.replay(None, at(400)) == 0


def test_replay_does_not_bring_back_an_overtaken_version(store: Store) -> None:
    store.enqueue([new("p", body=b"v1")], at(0))
    (v1,) = store.lease(DEST, "w1", 10, 30, at(0))
    store.dead(v1.id, "w1", "rejected", None, at(1))
    store.enqueue([new("p", body=b"v2")], at(2))
    assert store.replay(v1.id, at(3)) == 0  # v2 is waiting: v1 would be stale
    (v2,) = store.lease(DEST, "w1", 10, 30, at(4))
    store.delivered(v2.id, "w1", {"id": "p"}, at(5))
    assert store.replay(None, at(6)) == 0


def test_release_gives_items_back_untouched(store: Store) -> None:
    store.enqueue([new("a"), new("b")], at(0))
    a, b = store.lease(DEST, "w1", 10, 30, at(0))
    store.retry(b.id, "w1", at(1), "x", None, at(0))
    (b,) = store.lease(DEST, "w1", 10, 30, at(1))
    store.release([a.id, b.id], "someone-else", at(2))
    assert {i.state for i in store.items()} == {State.LEASED}
    store.release([a.id, b.id], "w1", at(2))
    back_a, back_b = store.get(a.id), store.get(b.id)
    assert back_a is not None
    assert back_b is not None
    assert (back_a.state, back_a.attempts, back_a.lease_owner) == (State.PENDING, 0, None)
    assert (back_b.state, back_b.attempts) == (State.RETRY_WAIT, 1)
    assert ids(store.lease(DEST, "w2", 10, 30, at(2))) == ["a", "b"]
    store.release([], "w2", at(3))


def test_counts_per_destination_and_state(store: Store) -> None:
    assert store.counts() == {}
    store.enqueue([new("a"), new("b"), new("c"), new("d", destination="fhir-dk")], at(0))
    a, b = store.lease(DEST, "w1", 2, 30, at(0))
    store.delivered(a.id, "w1", {"id": "a"}, at(1))
    store.dead(b.id, "w1", "x", None, at(1))
    assert store.counts() == {
        (DEST, State.DELIVERED): 1,
        (DEST, State.DEAD): 1,
        (DEST, State.PENDING): 1,
        ("fhir-dk", State.PENDING): 1,
    }


def test_items_pages_by_id(store: Store) -> None:
    store.enqueue([new(f"r{n:03d}", destination=("a", "b")[n % 2]) for n in range(250)], at(0))
    seen: list[int] = []
    after = 0
    while page := store.items(limit=100, after_id=after):
        assert len(page) <= 100
        seen.extend(i.id for i in page)
        after = page[-1].id
    assert len(seen) == 250
    assert seen == sorted(seen)
    only_b = store.items(destination="b", limit=1000)
    assert len(only_b) == 125
    assert {i.destination for i in only_b} == {"b"}
    store.lease("a", "w1", 10, 30, at(1))
    leased = store.items(state=State.LEASED, limit=1000)
    assert [i.resource_id for i in leased] == [f"r{n:03d}" for n in range(0, 20, 2)]
    assert store.items(state=State.LEASED, destination="b") == []
    assert len(store.items(state=State.PENDING, destination="a", after_id=seen[100])) == 74
    assert store.items(limit=0) == []


def test_server_id_comes_from_the_latest_receipt(store: Store) -> None:
    assert store.server_id(DEST, "Immunization", "a") is None
    store.enqueue([new("a", body=b"v1")], at(0))
    (v1,) = store.lease(DEST, "w1", 10, 30, at(0))
    assert store.server_id(DEST, "Immunization", "a") is None  # not delivered yet
    store.delivered(v1.id, "w1", {"id": "srv-1", "version": "1"}, at(1))
    store.enqueue([new("a", body=b"v2")], at(2))
    (v2,) = store.lease(DEST, "w1", 10, 30, at(2))
    store.delivered(v2.id, "w1", {"id": "srv-2", "version": "2"}, at(3))
    assert store.server_id(DEST, "Immunization", "a") == "srv-2"
    assert store.server_id("fhir-dk", "Immunization", "a") is None
    assert store.server_id(DEST, "Patient", "a") is None


def test_naive_times_are_refused(store: Store) -> None:
    with pytest.raises(ValueError, match="time zone"):
        store.enqueue([new("a")], datetime(2025, 1, 1))


def test_times_in_other_zones_are_stored_as_utc(store: Store) -> None:
    oslo = T0.astimezone(ZoneInfo("Europe/Oslo"))
    store.enqueue([new("a")], oslo)
    (item,) = store.items()
    assert item.created == T0
    assert item.created.utcoffset() == timedelta(0)


def test_a_second_connection_sees_the_same_outbox(opener: Callable[[], Store]) -> None:
    first, second = opener(), opener()
    first.enqueue([new("a")], at(0))
    assert second.enqueue([new("a")], at(1)) == 0
    assert ids(second.lease(DEST, "w2", 10, 30, at(2))) == ["a"]
    assert first.lease(DEST, "w1", 10, 30, at(2)) == []


@pytest.mark.parametrize(
    "kind", ["sqlite", pytest.param("postgresql", marks=pytest.mark.integration)]
)
def test_migrate_is_idempotent(kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    url = (
        f"sqlite:///{tmp_path / 'outbox.db'}"
        if kind == "sqlite"
        else request.getfixturevalue("postgres_url")
    )
    store = open_store(url)
    store.enqueue([new("a")], at(0))
    store.migrate()
    store.close()
    store = open_store(url)
    store.migrate()
    assert len(store.items()) == 1
    store.close()
    if kind == "sqlite":
        with sqlite3.connect(tmp_path / "outbox.db") as conn:
            versions = conn.execute("SELECT version FROM outbox_schema").fetchall()
            assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        conn.close()
    else:
        with psycopg.connect(url) as pg:
            versions = pg.execute("SELECT version FROM outbox_schema").fetchall()
    assert versions == [(1,)]


def test_open_store_refuses_unknown_urls() -> None:
    with pytest.raises(ConfigurationError):
        open_store("mysql://localhost/outbox")


def test_threads_can_share_one_store(store: Store) -> None:
    store.enqueue([new(f"r{n}", group=f"g{n // 2}") for n in range(400)], at(0))
    taken: dict[str, list[int]] = {}

    def work(owner: str) -> None:
        mine = taken.setdefault(owner, [])
        while batch := store.lease(DEST, owner, 7, 300, at(1)):
            for item in batch:
                assert store.delivered(item.id, owner, {"id": item.resource_id}, at(2))
                mine.append(item.id)

    threads = [threading.Thread(target=work, args=(f"t{n}",)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    every = [item_id for ids_ in taken.values() for item_id in ids_]
    assert sorted(every) == sorted(set(every))
    assert len(every) == 400
    assert store.counts() == {(DEST, State.DELIVERED): 400}


def test_a_group_waits_while_part_of_it_backs_off(store: Store) -> None:
    """An item added to a group later must not go out before the group's item that is
    waiting to be retried (the Patient the new item refers to, say)."""
    from mpox_adapter.outbox.model import NewItem

    store.enqueue([NewItem("d", "Patient", "p", "g", b'{"a":1}')], T0)
    (patient,) = store.lease("d", "w", 10, 60, T0)
    store.retry(patient.id, "w", T0 + timedelta(minutes=5), "503", None, T0)
    store.enqueue([NewItem("d", "Immunization", "i", "g", b'{"b":1}')], T0)
    assert store.lease("d", "w", 10, 60, T0 + timedelta(minutes=1)) == []
    later = store.lease("d", "w", 10, 60, T0 + timedelta(minutes=6))
    assert [i.resource_type for i in later] == ["Patient", "Immunization"]
