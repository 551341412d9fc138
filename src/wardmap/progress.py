"""Timed pipeline steps, shown as a spinner on an interactive terminal and silent otherwise."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager


class Steps:
    """Times each named step; shows progress on stderr when it is a terminal."""

    def __init__(self, show: bool | None = None) -> None:
        self.timings: dict[str, float] = {}
        self.show = sys.stderr.isatty() if show is None else show

    @contextmanager
    def step(self, name: str) -> Iterator[None]:
        start = time.perf_counter()
        if self.show:
            from rich.console import Console

            with Console(stderr=True).status(f"{name}…"):
                yield
        else:
            yield
        self.timings[name] = round(time.perf_counter() - start, 4)
