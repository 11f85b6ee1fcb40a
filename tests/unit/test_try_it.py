"""The README's "Try it": every step that needs no server, run as written, must print what the
README shows; the CDS Hooks step runs in-process with the example token and settings."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import httpx
import pytest

from mpox_adapter.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"


def section() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return text.split("\n## Try it\n", 1)[1].split("\n## ", 1)[0]


def console_steps() -> list[tuple[str, str]]:
    """(command, expected output) for every `$ ` line of the section's console blocks."""
    steps: list[tuple[str, str]] = []
    for block in re.findall(r"```console\n(.*?)```", section(), re.S):
        for chunk in re.split(r"^\$ ", block, flags=re.M)[1:]:
            command, _, output = chunk.partition("\n")
            steps.append((command, output))
    return steps


def test_the_section_has_the_steps_it_promises() -> None:
    commands = [command for command, _ in console_steps()]
    assert sum(c.startswith("mpox-adapter convert") for c in commands) == 4
    assert any(c.startswith("mpox-adapter validate") for c in commands)
    assert sum(c.startswith("mpox-adapter forecast") for c in commands) == 2


def test_the_steps_without_a_server_print_what_the_readme_shows(
    tmp_path: Path, core_cache_dir: Path
) -> None:
    (tmp_path / "examples").symlink_to(EXAMPLES)
    env = {k: v for k, v in os.environ.items() if not k.startswith("MPOX_")}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["MPOX_DEFINITIONS__CACHE_DIR"] = str(core_cache_dir)
    for command, expected in console_steps():
        done = subprocess.run(
            ["bash", "-o", "pipefail", "-c", f"{{ {command}; }} 2>&1"],
            cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip
        # convert exits 1 because the examples hold defective records on purpose.
        assert done.returncode in (0, 1), (command, done.stdout, done.stderr)
        assert done.stdout == expected, command


def card_summaries() -> list[str]:
    block = section().split("**5. Call a CDS Hooks service**", 1)[1]
    shown = re.search(r"for c in json.load\(sys.stdin\)\[\"cards\"\]\]'\n(.*?)```", block, re.S)
    assert shown, "step 5 shows the cards"
    return shown.group(1).splitlines()


@pytest.fixture
def try_it_settings(tmp_path: Path, core_cache_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    # The example settings as they are, but with their files in tmp_path and no delivery;
    # the JWKS path in them is relative to the repository's root, where the README runs.
    monkeypatch.chdir(ROOT)
    data = tomllib.loads((EXAMPLES / "try-it.toml").read_text())
    data.update(
        data_dir=str(tmp_path / "var"),
        store={"url": f"sqlite:///{tmp_path / 'outbox.db'}"},
        definitions={"cache_dir": str(core_cache_dir)},
        destinations={},
    )
    return Settings.from_mapping(data)


@pytest.mark.anyio
async def test_the_example_token_and_request_give_the_readme_cards(
    try_it_settings: Settings, mpox_definitions: Any
) -> None:
    sys.path.insert(0, str(EXAMPLES))
    try:
        from mint_jwt import mint  # type: ignore[import-not-found]
    finally:
        sys.path.remove(str(EXAMPLES))
    from mpox_adapter.api.app import create_app

    app = create_app(try_it_settings, definitions=mpox_definitions)
    base = "http://127.0.0.1:8000"
    path = "/cds-services/mpox-vaccination"
    body = (EXAMPLES / "cds-patient-view.json").read_bytes()
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=base) as client,
    ):
        headers = {
            "Authorization": f"Bearer {mint(base + path)}",
            "Content-Type": "application/json",
        }
        answer = await client.post(path, content=body, headers=headers)
        assert answer.status_code == 200, answer.text
        cards = [f"{c['indicator']} | {c['summary']}" for c in answer.json()["cards"]]
        assert cards == card_summaries()
        # A second call with the same token is a replay: refused.
        again = await client.post(path, content=body, headers=headers)
        assert again.status_code == 401
