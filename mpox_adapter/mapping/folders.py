"""Where a mapping is found by its name: the user's folder first, then the shipped mappings.

`convert --mapping NAME`, `push`, `POST /ingest/{NAME}` and a reference to another mapping's
resource (``{ref: {mapping: case-linelist, ...}}``) all look up names here, so a user's file
replaces the shipped mapping of the same name everywhere, references included.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

from mpox_adapter.errors import ConfigurationError
from mpox_adapter.mapping.spec import MappingSpec, load_spec

SHIPPED_MAPPINGS: Traversable = resources.files("mpox_adapter") / "mappings"
"""The mappings of the sample formats, as package data."""
SUFFIX = ".yaml"
# What a mapping file may call itself (spec.MappingSpec.mapping): anything else, a path
# among them, names no mapping.
_NAME = re.compile(r"[a-z0-9][a-z0-9-]*")


@dataclass(frozen=True, slots=True)
class MappingFile:
    path: Traversable
    folder: Traversable
    """The folder it was found in, where its code tables (``translate: routes.csv``) are."""


@dataclass(frozen=True, slots=True)
class MappingFolders:
    user_dir: Path | None = None
    """The user's own mappings (`Settings.mappings_dir`), searched before the shipped ones."""

    def find(self, name: str) -> MappingFile:
        if _NAME.fullmatch(name):
            for folder in self._folders():
                candidate = folder / f"{name}{SUFFIX}"
                if candidate.is_file():
                    return MappingFile(candidate, folder)
        known = ", ".join(self.names()) or "none"
        raise ConfigurationError(f"unknown mapping {name!r} (known: {known})")

    def spec(self, name: str) -> MappingSpec:
        return load_spec(self.find(name).path)

    def names(self) -> list[str]:
        """Every mapping name that `find` knows, sorted."""
        return sorted(
            {
                entry.name.removesuffix(SUFFIX)
                for folder in self._folders()
                for entry in folder.iterdir()
                if entry.name.endswith(SUFFIX) and entry.is_file()
            }
        )

    def _folders(self) -> tuple[Traversable, ...]:
        if self.user_dir is None:
            return (SHIPPED_MAPPINGS,)
        if not self.user_dir.is_dir():
            # Said plainly: otherwise every mapping of the user's would be "unknown".
            raise ConfigurationError(f"mappings_dir {self.user_dir} is not a folder")
        return self.user_dir, SHIPPED_MAPPINGS
