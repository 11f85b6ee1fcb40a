"""The public API: what `mpox_adapter.__all__` promises, loaded lazily, and the README's
"Python API" example, run as written."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import mpox_adapter

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("mpox_adapter.validation.engine", "mpox_adapter.pipeline.convert", "fastapi", "rich")


def test_every_public_name_resolves_and_is_documented() -> None:
    for name in mpox_adapter.__all__:
        value = getattr(mpox_adapter, name)
        if name != "__version__":
            assert value.__doc__, f"{name} has no docstring"
            assert value.__module__.startswith("mpox_adapter."), name
    assert set(mpox_adapter.__all__) <= set(dir(mpox_adapter))
    assert set(mpox_adapter.__all__) == {"__version__", *mpox_adapter._HOMES}


def test_unknown_names_are_attribute_errors() -> None:
    with pytest.raises(AttributeError, match="no_such_thing"):
        _ = mpox_adapter.no_such_thing  # type: ignore[attr-defined]


def test_importing_the_package_loads_nothing_heavy() -> None:
    # A fresh interpreter: this one has long imported everything.
    code = "import sys, mpox_adapter; print([m for m in sys.argv[1:] if m in sys.modules])"
    out = subprocess.run(
        [sys.executable, "-c", code, *HEAVY], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"


def readme_example() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("\n## Python API\n", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```python\n(.*?)```", section, re.S)
    assert len(blocks) == 1, "the Python API section holds one python example"
    return blocks[0]


def test_readme_python_api_example_runs(core_cache_dir: Path, tmp_path: Path) -> None:
    env = {
        **os.environ,
        "MPOX_DEFINITIONS__CACHE_DIR": str(core_cache_dir),
        "MPOX_STORE__URL": f"sqlite:///{tmp_path / 'outbox.db'}",
        "MPOX_DATA_DIR": str(tmp_path / "var"),
    }
    env.pop("MPOX_CONFIG", None)
    done = subprocess.run(
        [sys.executable, "-c", readme_example()],
        capture_output=True, text=True, cwd=ROOT, env=env, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    printed = done.stdout
    # What the example prints is quoted in the README under it: the two must agree.
    section = (ROOT / "README.md").read_text(encoding="utf-8").split("\n## Python API\n", 1)[1]
    shown = re.search(r"It prints:\n\n```text\n(.*?)```", section, re.S)
    assert shown, "the README shows what the example prints"
    assert printed == shown.group(1)
