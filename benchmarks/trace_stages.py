"""Where a `wardmap run`'s memory goes: resident memory and time of each pipeline stage.

Runs `wardmap run` in this process with the main stages wrapped; a thread samples the
resident memory every 20 ms, and each stage prints its memory at the start, its peak and at
the end (MB) and its time, nested as the stages call each other:

    .venv/bin/python benchmarks/trace_stages.py run --boundaries B --incidents FOLDER \\
        --no-maps --permutations 99 --out OUT

(any `wardmap run` arguments). Resident memory includes memory freed but kept by the
allocator, so a stage's "end" can stay above what it still holds.
"""

from __future__ import annotations

import importlib
import os
import resource
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

STAGES = [("wardmap.pipeline", "analyse"), ("wardmap.pipeline", "_add_incidents"),
          ("wardmap.engine", "count_records"), ("wardmap.cube", "tally"),
          ("wardmap.cube", "accounting"), ("wardmap.cube", "placed_counts"),
          ("wardmap.pipeline", "_add_locations"), ("wardmap.pipeline", "_test"),
          ("wardmap.periods", "analyse_periods"), ("wardmap.periods", "add_change"),
          ("wardmap.periods", "add_series"), ("wardmap.periods.series", "monthly_table"),
          ("wardmap.periods.series", "ward_signals"),
          ("wardmap.periods.series", "emerging_hot_spots"),
          ("wardmap.hotspot_change", "add_hot_spot_change"),
          ("wardmap.pipeline", "write_outputs")]
PAGE = os.sysconf("SC_PAGE_SIZE")


def resident_mb() -> float:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * PAGE / 1e6


class Tracer:
    """Peak resident memory since the innermost running stage began."""

    def __init__(self) -> None:
        self.peak, self.depth, self.start = 0.0, 0, time.perf_counter()
        threading.Thread(target=self._sample, daemon=True).start()

    def _sample(self) -> None:
        while True:
            self.peak = max(self.peak, resident_mb())
            time.sleep(0.02)

    def wrap(self, module: str, name: str) -> None:
        owner = importlib.import_module(module)
        function = getattr(owner, name, None)
        if function is None:
            return

        def traced(*args: Any, **kwargs: Any) -> Any:
            return self.run(f"{module}.{name}", function, args, kwargs)

        setattr(owner, name, traced)

    def run(self, label: str, function: Callable[..., Any], args: tuple,
            kwargs: dict) -> Any:
        outer = self.peak
        self.peak = before = resident_mb()
        began = time.perf_counter()
        self.depth += 1
        try:
            return function(*args, **kwargs)
        finally:
            self.depth -= 1
            peak = max(self.peak, resident_mb())
            print(f"{'  ' * self.depth}{label}: start {before:,.0f} peak {peak:,.0f} end "
                  f"{resident_mb():,.0f} MB, {time.perf_counter() - began:.1f} s",
                  file=sys.stderr, flush=True)
            self.peak = max(outer, peak)


def main() -> None:
    tracer = Tracer()
    for module, name in STAGES:
        tracer.wrap(module, name)
    from wardmap.cli import cli

    try:
        cli.main(args=sys.argv[1:], prog_name="wardmap", standalone_mode=False)
    finally:
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e3
        print(f"peak resident memory {peak:,.0f} MB, "
              f"{time.perf_counter() - tracer.start:.1f} s", file=sys.stderr)


if __name__ == "__main__":
    main()
