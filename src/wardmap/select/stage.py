"""The select stage run end to end: analyse, choose focus areas or clusters, write the folder.

Focus areas are chosen before the export stage so the run's main maps can outline the rank-1
area (from ``RunResult.focus``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from wardmap.config import Config
from wardmap.export import Writer
from wardmap.progress import Steps
from wardmap.result import RunResult


def run_focus(config: Config, out_dir: str | Path, steps: Steps | None = None) -> RunResult:
    """The full run plus focus.csv; the maps outline the best area."""
    from wardmap.select.outputs import focus_writer

    return _run_with(config, out_dir, steps, "choosing focus areas", with_focus, focus_writer)


def run_clusters(config: Config, out_dir: str | Path, steps: Steps | None = None) -> RunResult:
    """The full run plus clusters.csv, the cluster map (HTML, PNG) and similarity chart."""
    from wardmap.select.outputs import clusters_writer

    return _run_with(config, out_dir, steps, "grouping wards into clusters", with_clusters,
                     clusters_writer)


def with_focus(result: RunResult) -> RunResult:
    """The run with its focus areas (``result.focus``) and any warnings choosing them raised."""
    from wardmap.select.focus import find_focus_areas

    focus = find_focus_areas(result, result.config.focus)
    return replace(result, focus=focus).with_warnings(*focus.attrs.get("warnings", []))


def with_clusters(result: RunResult) -> RunResult:
    """The run with its ward clusters (``result.clusters``) and their warnings."""
    from wardmap.select.clusters import find_clusters

    clusters = find_clusters(result, result.config.clusters)
    return replace(result, clusters=clusters).with_warnings(*clusters.attrs.get("warnings", []))


def _run_with(config: Config, out_dir: str | Path, steps: Steps | None, what: str,
              select: Callable[[RunResult], RunResult], writer: Writer) -> RunResult:
    """Analyse, run one select step before export (so the maps can show it), write."""
    from wardmap.pipeline import run

    return run(config, out_dir, steps, [writer], select=(what, select))


def focus_summary(result: RunResult) -> list[str]:
    """Lines for the terminal: how the areas were found and the best one's reason."""
    focus = result.focus
    facts = focus.attrs
    k = facts.get("size")
    how = ("every connected area" if facts.get("exhaustive") else
           "a bounded search, exact" if facts.get("exact") else "a bounded search")
    lines = [f"focus areas of {k} ward(s): {facts.get('examined', 0):,} examined ({how})"]
    if not facts.get("exact", True) and facts.get("bound") is not None:
        lines.append(f"search budget reached: no area left unexamined scores above "
                     f"{facts['bound']:.3f} (the best found scores {focus['score'].iloc[0]:.3f})")
    lines.append(f"best: {focus['reason'].iloc[0]}")
    return lines


def clusters_summary(result: RunResult) -> list[str]:
    clusters = result.clusters
    facts = clusters.attrs
    sizes = clusters.groupby("cluster").size().value_counts().sort_index()
    by_size = ", ".join(f"{n} of {size}" for size, n in sizes.items())
    return [f"{facts['n_clusters']} ward clusters of at most {facts['max_size']} wards "
            f"({by_size}); {facts['within_share']:.0%} of the variation lies within clusters"]
