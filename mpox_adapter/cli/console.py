"""The consoles commands print on: colour in a terminal, whole lines in a pipe or a file."""

from __future__ import annotations

import sys

from rich.console import Console


def console(*, stderr: bool = False, soft_wrap: bool = False) -> Console:
    """A console on stdout (or stderr) that breaks no line when it is not a terminal.

    Without a terminal to ask, rich fits text and tables to 80 columns, which would cut the
    lines that `grep`, a log collector or a script reads from a pipe or a file. Text from
    outside (file names, exception messages, values from the outbox) must still go through
    `rich.markup.escape`: rich would take ``[destinations.NAME]`` for a style and drop it.
    """
    out = Console(stderr=stderr, highlight=False, soft_wrap=soft_wrap)
    if not out.is_terminal:
        out.width = sys.maxsize
    return out
