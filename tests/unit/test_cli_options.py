"""`--config` before or after the command, and `deliveries`/`dlq list` for people and scripts."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from mpox_adapter.cli.main import main
from mpox_adapter.outbox.model import NewItem
from mpox_adapter.outbox.store import open_store

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
DEST = "fhir-no"
# Longer than 80 columns, where rich breaks lines it cannot measure against a terminal.
LONG_ERROR = (
    "entry answered HTTP 422: Immunization.occurrence[x] is after the date the registry "
    "received the record, which it refuses"
)
SECRET = "15839010009"
"""In every resource body: the listings must never show it."""
MAPPING = "no-municipal-vaccinations"


@pytest.fixture(autouse=True)
def _no_outside_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # Settings the test does not give must not come from the environment, and a store on
    # the default relative path must land in tmp_path, not in the checkout.
    for name in [n for n in os.environ if n.startswith("MPOX_")]:
        monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


def write_config(path: Path, *, destinations: tuple[str, ...] = ()) -> Path:
    """A settings file whose outbox is `outbox.db` next to it."""
    store_url = f"sqlite:///{path.parent / 'outbox.db'}"
    lines = [
        f"data_dir = {json.dumps(str(path.parent / 'var'))}",
        "[store]",
        f"url = {json.dumps(store_url)}",
    ]
    for name in destinations:
        # Never contacted: the commands under test stop before delivering.
        lines += [f"[destinations.{name}]", 'base_url = "http://127.0.0.1:9/fhir"']
    path.write_text("\n".join(lines) + "\n")
    return path


def fill_outbox(config: Path, destination: str = DEST) -> None:
    """One item in each of the states delivered, retry-wait, dead and pending."""
    store = open_store(f"sqlite:///{config.parent / 'outbox.db'}")
    try:
        store.enqueue(
            [
                NewItem(destination, "Immunization", f"imm-{n}", f"g-{n}",
                        f'{{"resourceType":"Immunization","patient":"{SECRET}"}}'.encode())
                for n in range(4)
            ],
            T0,
        )  # fmt: skip
        delivered, waiting, dead = store.lease(destination, "test", 3, 60, T0)
        location = "https://registry.example/fhir/Immunization/srv-0/_history/1"
        receipt = {"status": 201, "id": "srv-0", "version": "1", "location": location}
        assert store.delivered(delivered.id, "test", receipt, T0)
        assert store.retry(waiting.id, "test", T0 + timedelta(minutes=1), LONG_ERROR, None, T0)
        assert store.dead(dead.id, "test", "entry answered HTTP 400", None, T0)
    finally:
        store.close()


@pytest.mark.parametrize("config_first", [True, False])
def test_config_before_or_after_the_command_reads_the_same_outbox(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], config_first: bool
) -> None:
    config = write_config(tmp_path / "settings.toml")
    fill_outbox(config)
    option = ["--config", str(config)]
    assert main([*option, "deliveries"] if config_first else ["deliveries", *option]) == 0
    shown = capsys.readouterr()
    assert "Immunization/imm-3" in shown.out
    assert f"{DEST} pending: 1" in shown.err


@pytest.mark.parametrize("config_first", [True, False])
def test_push_sees_the_destinations_of_config_before_or_after_the_command(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], config_first: bool
) -> None:
    config = write_config(tmp_path / "settings.toml", destinations=(DEST,))
    option = ["--config", str(config)]
    # An absent input stops push after it has looked for destinations, before any network.
    push = ["push", "--mapping", MAPPING, str(tmp_path / "absent.csv")]
    assert main([*option, *push] if config_first else [*push, *option]) == 2
    err = capsys.readouterr().err
    assert "no destinations configured" not in err
    assert "absent.csv: no such file" in err


def test_config_twice_with_different_files_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first = write_config(tmp_path / "first.toml")
    second = write_config(tmp_path / "second.toml")
    with pytest.raises(SystemExit) as exit_info:
        main(["--config", str(first), "deliveries", "--config", str(second)])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "--config" in err
    assert "first.toml" in err
    assert "second.toml" in err


def test_config_twice_with_the_same_file_is_fine(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_config(tmp_path / "settings.toml")
    fill_outbox(config)
    # The same file, spelled once relative to the working folder (tmp_path) and once absolute.
    assert main(["--config", "settings.toml", "deliveries", "--config", str(config)]) == 0
    assert "Immunization/imm-3" in capsys.readouterr().out


def test_deliveries_json_is_one_object_per_item_without_the_resource(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_config(tmp_path / "settings.toml")
    fill_outbox(config)
    assert main(["deliveries", "--config", str(config), "--json"]) == 0
    shown = capsys.readouterr()
    assert SECRET not in shown.out
    assert shown.err == ""
    items = {item["resource"]: item for item in map(json.loads, shown.out.splitlines())}
    assert {r: i["state"] for r, i in items.items()} == {
        "Immunization/imm-0": "delivered",
        "Immunization/imm-1": "retry-wait",
        "Immunization/imm-2": "dead",
        "Immunization/imm-3": "pending",
    }
    delivered, waiting = items["Immunization/imm-0"], items["Immunization/imm-1"]
    assert delivered["destination"] == DEST
    assert delivered["receipt"]["status"] == 201
    assert delivered["receipt"]["id"] == "srv-0"
    assert waiting["lastError"] == LONG_ERROR
    assert waiting["attempts"] == 1
    assert waiting["receipt"] is None
    assert waiting["notBefore"] == "2025-03-01T12:01:00+00:00"
    assert waiting["created"] == "2025-03-01T12:00:00+00:00"


def test_dlq_list_json_shows_the_dead_items_only(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_config(tmp_path / "settings.toml")
    fill_outbox(config)
    assert main(["dlq", "list", "--json", "--config", str(config)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [json.loads(line)["resource"] for line in lines] == ["Immunization/imm-2"]


def test_dlq_replay_refuses_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = write_config(tmp_path / "settings.toml")
    fill_outbox(config)
    assert main(["dlq", "replay", "--all", "--json", "--config", str(config)]) == 2
    assert "--json" in capsys.readouterr().err


def test_the_deliveries_table_is_not_wrapped_in_a_pipe(tmp_path: Path) -> None:
    config = write_config(tmp_path / "settings.toml")
    destination = "national-immunisation-registry-of-the-municipal-health-services"
    fill_outbox(config, destination)
    environ = {k: v for k, v in os.environ.items() if k not in {"COLUMNS", "LINES"}}
    shown = subprocess.run(
        [sys.executable, "-m", "mpox_adapter", "deliveries", "--config", str(config)],
        stdin=subprocess.DEVNULL, capture_output=True, text=True, env=environ, check=True,
    )  # fmt: skip
    assert any(LONG_ERROR in line for line in shown.stdout.splitlines())
    assert len(shown.stderr.splitlines()) == 1
    assert f"{destination} retry-wait: 1" in shown.stderr


def test_a_reader_that_stops_early_is_no_crash(tmp_path: Path) -> None:
    # `deliveries --json | head -1`: the pipe closes while there is more to write.
    config = write_config(tmp_path / "settings.toml")
    store = open_store(f"sqlite:///{tmp_path / 'outbox.db'}")
    try:
        body = b'{"resourceType":"Immunization"}'
        store.enqueue([NewItem(DEST, "Immunization", f"i-{n}", "g", body) for n in range(2000)], T0)
    finally:
        store.close()
    command = [sys.executable, "-m", "mpox_adapter", "deliveries", "--json", "--limit", "2000"]
    with subprocess.Popen(
        [*command, "--config", str(config)],
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    ) as reader:  # fmt: skip
        assert reader.stdout is not None
        assert reader.stderr is not None
        assert json.loads(reader.stdout.readline())["id"] == 1
        reader.stdout.close()
        errors = reader.stderr.read()
    assert reader.returncode == 141
    assert b"Traceback" not in errors
    assert b"Exception ignored" not in errors
