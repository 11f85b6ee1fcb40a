"""Delivery under faults: killed workers, a lossy network, a destination outage, several
workers on PostgreSQL, and crashes of the process that writes the outbox.

Every test ends with the same proof, read from the FHIR server (SEKMET) itself: each accepted
record's Immunization is there exactly once, each person's Patient exactly once, every
Immunization points at the right Patient, and the outbox says everything was delivered and
nothing dead-lettered. Workers are real `mpox-adapter worker` processes, tuned to poll fast.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from bench.generate import generate
from mpox_adapter.outbox.model import LIVE_STATES, State
from mpox_adapter.outbox.store import open_store
from mpox_adapter.pipeline.convert import Converter, Counts, build_converter, run_file
from mpox_adapter.pipeline.enqueue import enqueue
from mpox_adapter.settings import DestinationSettings, Settings

pytestmark = [pytest.mark.integration, pytest.mark.slow]

MAPPING = "no-municipal-vaccinations"
RECORDS = 300
DESTINATION = "registry"
# Fast everything: the tests wait on seconds, not on production back-off.
DELIVERY = {"poll_seconds": 0.05, "lease_seconds": 3.0}
FAST = {
    "mode": "transaction",
    "batch_size": 30,
    "timeout": 2.0,
    "connect_timeout": 1.0,
    "backoff_base": 0.05,
    "backoff_cap": 0.5,
    "breaker_reset_seconds": 0.5,
    "max_attempts": 10_000,
}
DRAIN_TIMEOUT = 120.0


# -- configuration and processes ---------------------------------------------------------------


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    return orjson.dumps(str(value)).decode()  # a JSON string is a TOML basic string


def write_config(
    path: Path, store_url: str, base_url: str, delivery: dict[str, Any] | None = None, **dest: Any
) -> Path:
    lines = [f"data_dir = {_toml(path.parent / 'var')}", "[store]", f"url = {_toml(store_url)}"]
    lines += ["[log]", 'level = "INFO"', "[delivery]"]
    lines += [f"{k} = {_toml(v)}" for k, v in {**DELIVERY, **(delivery or {})}.items()]
    lines.append(f"[destinations.{DESTINATION}]")
    lines += [f"{k} = {_toml(v)}" for k, v in {"base_url": base_url, **FAST, **dest}.items()]
    path.write_text("\n".join(lines) + "\n")
    return path


def _child_env() -> dict[str, str]:
    # The config file says everything: no MPOX_ variable of the caller may override it.
    return {k: v for k, v in os.environ.items() if not k.startswith("MPOX_")}


class Workers:
    """`mpox-adapter worker` processes, each logging to its own file; all stopped at the end."""

    def __init__(self, config: Path, folder: Path) -> None:
        self.config = config
        self.folder = folder
        self.procs: list[subprocess.Popen[bytes]] = []
        self.logs: list[Path] = []

    def start(self) -> subprocess.Popen[bytes]:
        log = self.folder / f"worker-{len(self.logs)}.log"
        with log.open("wb") as out:
            proc = subprocess.Popen(
                [sys.executable, "-m", "mpox_adapter", "worker", "--config", str(self.config)],
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                cwd=self.folder,  # not the test's cwd: a stray module there could shadow ours
                env=_child_env(),
            )
        self.procs.append(proc)
        self.logs.append(log)
        return proc

    def kill(self, proc: subprocess.Popen[bytes]) -> None:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)

    def stop_all(self) -> None:
        """SIGTERM (the worker stops after its round), then SIGKILL whoever lingers."""
        for proc in self.procs:
            if proc.poll() is None:
                proc.terminate()
        for proc in self.procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)

    def alive(self) -> list[subprocess.Popen[bytes]]:
        return [p for p in self.procs if p.poll() is None]

    def log_lines(self, index: int) -> list[dict[str, Any]]:
        lines = []
        for line in self.logs[index].read_bytes().splitlines():
            with contextlib.suppress(orjson.JSONDecodeError):
                lines.append(orjson.loads(line))
        return lines

    def tail(self, lines: int = 30) -> str:
        text = []
        for log in self.logs[-3:]:
            text += [f"== {log.name}", *log.read_text(errors="replace").splitlines()[-lines:]]
        return "\n".join(text)


@pytest.fixture
def workers_for(tmp_path: Path) -> Iterator[Any]:
    started: list[Workers] = []

    def make(config: Path) -> Workers:
        workers = Workers(config, tmp_path)
        started.append(workers)
        return workers

    try:
        yield make
    finally:
        for workers in started:
            workers.stop_all()


# -- the backlog -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def converter(core_cache_dir: Path) -> Converter:
    settings = Settings.from_mapping({"definitions": {"cache_dir": str(core_cache_dir)}})
    return build_converter(settings, MAPPING)


@dataclass
class Backlog:
    store_url: str
    accepted: int
    resources: list[dict[str, Any]] = field(default_factory=list)

    def of_type(self, resource_type: str) -> list[dict[str, Any]]:
        return [r for r in self.resources if r["resourceType"] == resource_type]


def fill_outbox(
    converter: Converter, folder: Path, store_url: str, seed: int, records: int = RECORDS
) -> Backlog:
    """Generate `records` valid rows, convert them and queue them for the registry."""
    source = folder / f"vaccinations-{seed}.csv"
    generate(MAPPING, records, source, seed=seed)
    routing = {DESTINATION: DestinationSettings(base_url="http://127.0.0.1:9/fhir")}
    counts = Counts()
    store = open_store(store_url)
    try:
        with source.open("rb") as stream:
            results = run_file(converter, stream, source.name)
            for result in enqueue(store, results, routing, datetime.now(UTC)):
                counts.add(result)
        backlog = Backlog(store_url, counts.accepted)
        after = 0
        while page := store.items(destination=DESTINATION, limit=1000, after_id=after):
            backlog.resources += [orjson.loads(item.body) for item in page]
            after = page[-1].id
    finally:
        store.close()
    assert (counts.accepted, counts.rejected) == (records, 0)
    assert len(backlog.of_type("Immunization")) == records
    return backlog


def outbox_states(store_url: str) -> dict[State, int]:
    store = open_store(store_url)
    try:
        found: Counter[State] = Counter()
        for (name, state), n in store.counts().items():
            if name == DESTINATION:
                found[state] += n
        return dict(found)
    finally:
        store.close()


def live(store_url: str) -> int:
    states = outbox_states(store_url)
    return sum(states.get(s, 0) for s in LIVE_STATES)


def wait_drained(store_url: str, workers: Workers, timeout: float = DRAIN_TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while live(store_url):
        assert workers.alive(), f"every worker exited:\n{workers.tail()}"
        assert time.monotonic() < deadline, (
            f"not drained in {timeout:.0f} s: {outbox_states(store_url)}\n{workers.tail()}"
        )
        time.sleep(0.2)


# -- what the server holds ---------------------------------------------------------------------


def _identifier(resource: dict[str, Any]) -> str:
    first = resource["identifier"][0]
    return f"{first['system']}|{first['value']}"


def _search_all(http: httpx.Client, resource_type: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    url: str | None = f"{resource_type}?_count=1000"
    while url:
        answer = http.get(url)
        answer.raise_for_status()
        bundle = answer.json()
        found += [e["resource"] for e in bundle.get("entry", [])]
        url = next((x["url"] for x in bundle.get("link", []) if x["relation"] == "next"), None)
    return found


def assert_delivered_exactly_once(base_url: str, backlog: Backlog) -> None:
    """The outbox has delivered everything and dead-lettered nothing; the server holds every
    Immunization and Patient of the backlog exactly once, each Immunization pointing at the
    Patient it was written for."""
    assert outbox_states(backlog.store_url) == {State.DELIVERED: len(backlog.resources)}
    patient_of = {p["id"]: _identifier(p) for p in backlog.of_type("Patient")}
    wanted = {_identifier(i): i for i in backlog.of_type("Immunization")}
    assert len(wanted) == backlog.accepted

    with httpx.Client(base_url=base_url.rstrip("/") + "/", timeout=30) as http:
        patients = {
            p["id"]: _identifier(p) for p in _search_all(http, "Patient") if p.get("identifier")
        }
        copies = Counter(patients.values())
        assert {k: copies[k] for k in set(patient_of.values())} == dict.fromkeys(
            set(patient_of.values()), 1
        ), "a Patient is missing or stored twice"
        ours = [
            i
            for i in _search_all(http, "Immunization")
            if i.get("identifier") and _identifier(i) in wanted
        ]
        counts = Counter(_identifier(i) for i in ours)
        missing = set(wanted) - set(counts)
        twice = {k: n for k, n in counts.items() if n > 1}
        assert not missing, f"{len(missing)} Immunization(s) never arrived"
        assert not twice, f"{len(twice)} Immunization(s) stored more than once"
        assert len(ours) == backlog.accepted

        wrong = []
        for imm in ours:
            our_reference = wanted[_identifier(imm)]["patient"]["reference"]
            written_for = patient_of[our_reference.removeprefix("Patient/")]
            server_id = imm["patient"]["reference"].removeprefix("Patient/")
            if patients.get(server_id) != written_for:
                wrong.append(imm["patient"]["reference"])
        assert not wrong, f"{len(wrong)} Immunization(s) point at no or the wrong Patient"


# -- a lossy network ---------------------------------------------------------------------------

FAULTS = ("drop-before", "drop-after", "503", "stall", "reset-mid")
WEIGHTS = (2, 2, 2, 1, 2)  # a stall costs the client its whole time-out: fewer of those


class FaultyProxy:
    """An HTTP/1.1 proxy on loopback in front of the FHIR server, with a mode:

    ``forward`` passes everything on; ``faulty`` picks per request (seeded) one of `FAULTS`
    or forwarding; ``refuse`` accepts and closes every connection at once; ``hold`` forwards
    the first POST and never answers it (the server has acted, the client does not know).
    """

    def __init__(self, upstream: str, seed: int = 0, fault_rate: float = 0.5) -> None:
        parts = httpx.URL(upstream)
        self.upstream = f"{parts.scheme}://{parts.host}:{parts.port}"
        self.prefix = parts.path.rstrip("/")
        self.mode = "forward"
        self.fault_rate = fault_rate
        self.stall_seconds = 0.0
        """How long ``stall`` holds the answer back: set it past the client's time-out."""
        self.rng = random.Random(seed)
        self.actions: Counter[str] = Counter()
        self.posted: list[bytes] = []
        self.held = threading.Event()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._tasks: set[asyncio.Task[None]] = set()
        self._server: asyncio.Server | None = None
        self._client: httpx.AsyncClient | None = None
        self.port = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}{self.prefix}"

    def __enter__(self) -> FaultyProxy:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(10)
        return self

    def __exit__(self, *_: object) -> None:
        with contextlib.suppress(Exception):
            asyncio.run_coroutine_threadsafe(self._stop(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()

    async def _start(self) -> None:
        self._client = httpx.AsyncClient(base_url=self.upstream, timeout=60)
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def _stop(self) -> None:
        if self._server is not None:
            self._server.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._client is not None:
            await self._client.aclose()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            await self._serve(reader, writer)
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError):
            pass
        finally:
            self._tasks.discard(task)
            writer.transport.abort()

    def _choose(self, method: str) -> str:
        if self.mode == "hold" and method == "POST" and not self.held.is_set():
            return "hold"
        if self.mode != "faulty" or self.rng.random() >= self.fault_rate:
            return "forward"
        return self.rng.choices(FAULTS, WEIGHTS)[0]

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:
            if self.mode == "refuse":
                self.actions["refused"] += 1
                return
            head = await reader.readuntil(b"\r\n\r\n")
            request_line, *lines = head.decode("latin-1").rstrip("\r\n").split("\r\n")
            method, target, _ = request_line.split(" ", 2)
            headers = [tuple(line.split(":", 1)) for line in lines]
            length = next((int(v) for k, v in headers if k.strip().lower() == "content-length"), 0)
            body = await reader.readexactly(length) if length else b""
            action = self._choose(method)
            self.actions[action] += 1
            if action == "drop-before":
                return
            if action == "503":
                writer.write(
                    b"HTTP/1.1 503 Service Unavailable\r\nRetry-After: 0\r\n"
                    b"Content-Length: 0\r\n\r\n"
                )
                await writer.drain()
                continue
            if method == "POST":
                self.posted.append(body)
            status, reason, out_headers, content = await self._forward(
                method, target, headers, body
            )
            if action == "drop-after":  # the server has acted; the client never hears of it
                return
            if action in ("stall", "hold"):  # past the client's timeout, then hang up
                if action == "hold":
                    self.held.set()
                await asyncio.sleep(3600 if action == "hold" else self.stall_seconds)
                return
            response = f"HTTP/1.1 {status} {reason}\r\n".encode("latin-1")
            for key, value in out_headers:
                response += f"{key}: {value}\r\n".encode("latin-1")
            response += f"Content-Length: {len(content)}\r\n\r\n".encode("latin-1")
            if action == "reset-mid":  # the head and part of the body, then the line drops
                writer.write(response + content[: len(content) // 2])
                await writer.drain()
                return
            writer.write(response + content)
            await writer.drain()

    async def _forward(
        self, method: str, target: str, headers: list[tuple[str, ...]], body: bytes
    ) -> tuple[int, str, list[tuple[str, str]], bytes]:
        assert self._client is not None
        skip = {"host", "content-length", "connection", "accept-encoding", "transfer-encoding"}
        send = [(k.strip(), v.strip()) for k, v in headers if k.strip().lower() not in skip]
        answer = await self._client.request(method, target, headers=send, content=body)
        drop = {"content-length", "transfer-encoding", "content-encoding", "connection"}
        back = [(k, v) for k, v in answer.headers.items() if k.lower() not in drop]
        return answer.status_code, answer.reason_phrase, back, answer.content


# -- tests -------------------------------------------------------------------------------------


def test_worker_killed_at_random_moments(
    sekmet_base_url: str, converter: Converter, tmp_path: Path, workers_for: Any
) -> None:
    store_url = f"sqlite:///{tmp_path / 'outbox.db'}"
    backlog = fill_outbox(converter, tmp_path, store_url, seed=11)
    # At most 3 transactions a second: delivery takes longer than the 20 kills, so that every
    # kill lands somewhere in it (starting up, leasing, sending, marking).
    config = write_config(
        tmp_path / "worker.toml", store_url, sekmet_base_url, batch_size=20, rate_limit=3.0
    )
    workers = workers_for(config)
    rng = random.Random(11)

    kills = mid_delivery = 0
    proc = workers.start()
    while kills < 20:
        time.sleep(rng.uniform(0.2, 1.5))
        mid_delivery += live(store_url) > 0
        workers.kill(proc)
        kills += 1
        proc = workers.start()
    wait_drained(store_url, workers)
    workers.stop_all()

    assert_delivered_exactly_once(sekmet_base_url, backlog)
    assert mid_delivery >= 15, f"only {mid_delivery} of {kills} kills hit a live backlog"


def test_lossy_network(
    sekmet_base_url: str, converter: Converter, tmp_path: Path, workers_for: Any
) -> None:
    store_url = f"sqlite:///{tmp_path / 'outbox.db'}"
    backlog = fill_outbox(converter, tmp_path, store_url, seed=22)
    with FaultyProxy(sekmet_base_url, seed=22, fault_rate=0.5) as proxy:
        proxy.mode = "faulty"
        proxy.stall_seconds = 1.5
        # Small transactions, so that there are many requests to spoil; a 1 s time-out.
        config = write_config(
            tmp_path / "worker.toml", store_url, proxy.base_url, batch_size=10, timeout=1.0
        )
        workers = workers_for(config)
        workers.start()
        wait_drained(store_url, workers)
        workers.stop_all()
    assert all(proxy.actions[fault] for fault in FAULTS), proxy.actions
    assert sum(proxy.actions[fault] for fault in FAULTS) >= 30, proxy.actions
    assert_delivered_exactly_once(sekmet_base_url, backlog)


def test_destination_down_then_back(
    sekmet_base_url: str, converter: Converter, tmp_path: Path, workers_for: Any
) -> None:
    store_url = f"sqlite:///{tmp_path / 'outbox.db'}"
    backlog = fill_outbox(converter, tmp_path, store_url, seed=33)
    with FaultyProxy(sekmet_base_url) as proxy:
        proxy.mode = "refuse"
        config = write_config(tmp_path / "worker.toml", store_url, proxy.base_url)
        workers = workers_for(config)
        workers.start()
        # The metadata check, then 5 failed transactions: the circuit breaker is open.
        deadline = time.monotonic() + 30
        while proxy.actions["refused"] < 6:
            assert time.monotonic() < deadline, f"the worker never called\n{workers.tail()}"
            time.sleep(0.05)
        before = proxy.actions["refused"]
        time.sleep(3.0)
        # Without the breaker the worker would send each batch again as soon as its short
        # back-off ends, hundreds of times in 3 s; open, it lets one trial through per 0.5 s.
        tried = proxy.actions["refused"] - before
        assert tried <= 15, f"{tried} connections in 3 s with the circuit open"

        states = outbox_states(store_url)
        assert not {State.DELIVERED, State.DEAD} & set(states), states
        assert states.get(State.RETRY_WAIT, 0) > 0, states

        proxy.mode = "forward"
        wait_drained(store_url, workers)
        workers.stop_all()
    assert_delivered_exactly_once(sekmet_base_url, backlog)


def test_three_workers_on_postgresql(
    sekmet_base_url: str,
    converter: Converter,
    tmp_path: Path,
    workers_for: Any,
    postgres_url: str,
) -> None:
    backlog = fill_outbox(converter, tmp_path, postgres_url, seed=44)
    # Leases long enough never to run out here: no item may then be sent by two workers.
    # At most 5 transactions a second each: one worker alone cannot finish before the
    # others have started.
    config = write_config(
        tmp_path / "worker.toml", postgres_url, sekmet_base_url, {"lease_seconds": 60.0},
        batch_size=20, rate_limit=5.0,
    )  # fmt: skip
    workers = workers_for(config)
    for _ in range(3):
        workers.start()
    wait_drained(postgres_url, workers)
    workers.stop_all()

    assert_delivered_exactly_once(sekmet_base_url, backlog)
    # Who sent what, from the workers' own logs: every item by exactly one worker.
    sent_by = [
        Counter(line["item"] for line in workers.log_lines(n) if line.get("msg") == "delivered")
        for n in range(3)
    ]
    everything = Counter[int]()
    for counts in sent_by:
        everything.update(counts)
    assert len(everything) == len(backlog.resources)
    assert set(everything.values()) == {1}, "an item was delivered by two workers"
    assert all(sent_by), f"a worker delivered nothing: {[sum(c.values()) for c in sent_by]}"


# A crash of the process that *enqueues* (every acknowledged batch kept, the SQLite file
# intact) is test_outbox_concurrency.py::test_sqlite_keeps_every_acknowledged_item_through_sigkill.
# Here the crash comes during delivery: after the server committed, before the outbox heard.


def test_worker_killed_between_send_and_mark(
    sekmet_base_url: str, converter: Converter, tmp_path: Path, workers_for: Any
) -> None:
    store_url = f"sqlite:///{tmp_path / 'outbox.db'}"
    backlog = fill_outbox(converter, tmp_path, store_url, seed=66, records=40)
    with FaultyProxy(sekmet_base_url) as proxy:
        proxy.mode = "hold"
        config = write_config(tmp_path / "worker.toml", store_url, proxy.base_url)
        workers = workers_for(config)
        first = workers.start()
        assert proxy.held.wait(30), f"no transaction reached the server\n{workers.tail()}"
        # The server has committed the transaction; the worker never heard back.
        workers.kill(first)
        held = orjson.loads(proxy.posted[0])
        sent_first = {_identifier(e["resource"]) for e in held["entry"]
                      if e["resource"]["resourceType"] == "Immunization"}  # fmt: skip
        assert sent_first
        states = outbox_states(store_url)
        assert State.DELIVERED not in states, "marked delivered without an answer"
        with httpx.Client(base_url=sekmet_base_url + "/", timeout=30) as http:
            on_server = {
                _identifier(i)
                for i in _search_all(http, "Immunization")
                if i.get("identifier") and _identifier(i) in sent_first
            }
        assert on_server == sent_first

        proxy.mode = "forward"
        workers.start()
        wait_drained(store_url, workers)
        workers.stop_all()
        resent = {
            _identifier(e["resource"])
            for body in proxy.posted[1:]
            for e in orjson.loads(body)["entry"]
            if e["resource"]["resourceType"] == "Immunization"
        }
    assert sent_first <= resent, "the unacknowledged items were not sent again"
    assert_delivered_exactly_once(sekmet_base_url, backlog)
