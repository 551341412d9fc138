"""Figures of the comparisons (wardmap.evaluate, wardmap.relate, wardmap.hotspot_change):
evaluation.png, relate.png and map_hot_spot_change.png, each an A4 page built with the Figure
API (no pyplot), as the run's other maps are."""

from __future__ import annotations

import textwrap
from typing import Any

import numpy as np
import pandas as pd

from wardmap.evaluate import AREAS, subject
from wardmap.hotspot_change import CATEGORIES
from wardmap.maps import static
from wardmap.periods.presets import month_label
from wardmap.relate import Relation, quadrant_name
from wardmap.result import SYNTHETIC_NOTICE, RunResult

# --- evaluation.png -------------------------------------------------------------------------

def evaluation_figure(evaluation: dict[str, Any], result: RunResult, public: bool = False,
                      threshold: int = 4):
    """Monthly counts of the target, buffer and control, one panel each, the start marked."""
    fig = static.new_figure("a4-landscape")
    notes = [SYNTHETIC_NOTICE] if result.meta.synthetic else []
    if public:
        notes.append(f"Months with 1 to {threshold} incidents not shown")
    subtitle = (f"Monthly recorded {subject(evaluation)}, {n_months(evaluation)} months "
                f"before and after the start ({month_label(evaluation['start'])})")
    static.page_text(fig, f"{result.meta.area_name}: task-force evaluation", subtitle,
                     result.meta.attributions, notes)
    months = evaluation["monthly"]["months"]
    x = np.arange(len(months))
    start = months.index(evaluation["start"])
    shown = [a for a in AREAS if evaluation[a]["wards"]]
    height = 0.62 / len(shown)
    axes = []
    for i, area in enumerate(shown):
        ax = fig.add_axes((0.07, 0.22 + (len(shown) - 1 - i) * height, 0.88, height * 0.82),
                          sharex=axes[0] if axes else None)
        axes.append(ax)
        _panel(ax, x, start, evaluation, area)
    ticks = x[:: max(1, len(x) // 12)]
    axes[-1].set_xticks(ticks, [pd.Period(months[t], "M").strftime("%b %Y") for t in ticks],
                        fontsize=7)
    for ax in axes[:-1]:
        ax.tick_params(labelbottom=False)
    verdict_text = f"{evaluation['summary']}"
    fig.text(0.07, 0.16, "\n".join(textwrap.wrap(verdict_text, 170)), fontsize=8, va="top",
             parse_math=False)
    return fig


def n_months(evaluation: dict[str, Any]) -> int:
    return len(evaluation["monthly"]["months"]) // 2


AREA_COLOURS = {"target": "#d7301f", "buffer": "#fd8d3c", "control": "#4575b4"}
AREA_TITLES = {"target": "Target area", "buffer": "Buffer (surrounding wards)",
               "control": "Control area"}


def _panel(ax, x: np.ndarray, start: int, evaluation: dict[str, Any], area: str) -> None:
    values = np.array([np.nan if isinstance(v, str) else float(v)
                       for v in evaluation["monthly"][area]])
    colour = AREA_COLOURS[area]
    ax.plot(x, values, marker="o", markersize=3, color=colour, linewidth=1.4)
    for part in (slice(None, start), slice(start, None)):
        level = np.nanmean(values[part]) if np.isfinite(values[part]).any() else np.nan
        if np.isfinite(level):
            xs = x[part]
            ax.hlines(level, xs[0] - 0.4, xs[-1] + 0.4, colors=colour, linestyles="--",
                      linewidth=1, alpha=0.7)
    ax.axvline(start - 0.5, color="#222222", linewidth=1.2)
    ax.text(start - 0.4, 0.97, "start", transform=ax.get_xaxis_transform(), fontsize=7,
            va="top", color="#222222")
    item = evaluation[area]
    change = item.get("change_pct")
    count = lambda n: n if isinstance(n, str) else f"{n:,}"  # noqa: E731 - "<5" stays as is
    tail = f": {count(item['before'])} before, {count(item['after'])} after"
    if change is not None:
        tail += f" ({change:+.0f}%)"
    names = ", ".join(item["ward_names"][:4]) + (" ..." if len(item["ward_names"]) > 4 else "")
    label = AREA_TITLES[area] if area == "control" else f"{AREA_TITLES[area]}: {names}"
    ax.set_title(f"{label}{tail}", fontsize=9, loc="left")
    ax.set_ylabel("Incidents per month", fontsize=7)
    ax.set_ylim(bottom=0, top=max(1.0, np.nanmax(values) * 1.15) if np.isfinite(values).any()
                else 1.0)
    ax.tick_params(labelsize=7)
    ax.grid(axis="y", color="#e0e0e0", linewidth=0.6)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)


# --- relate.png -----------------------------------------------------------------------------

QUADRANT_COLOURS = {(True, True): "#d7301f", (False, False): "#4575b4",
                    (True, False): "#fdae61", (False, True): "#abd9e9"}


def relate_figure(relation: Relation, result: RunResult, scatter: bool = True):
    """A4 landscape: the scatter of y against x with ward names, and the map of quadrants with
    the significant bivariate LISA wards outlined. Without ``scatter`` (public outputs, where
    ward values are not shown) the map alone."""
    summary, table, labels = relation.summary, relation.table, relation.labels
    fig = static.new_figure("a4-landscape")
    notes = [SYNTHETIC_NOTICE] if result.meta.synthetic else []
    if not scatter:
        notes.append("Ward values not shown (public output)")
    title = f"{result.meta.area_name}: {labels['x']} and {labels['y']}"
    static.page_text(fig, title, "\n".join(textwrap.wrap(summary["summary"], 150)),
                     result.meta.attributions, notes)
    valid = table["quadrant"] != ""
    colours = _colours(table, labels)
    if scatter:
        _scatter(fig.add_axes((0.06, 0.12, 0.40, 0.70)), table[valid],
                 colours[valid.to_numpy()], labels)
    left = 0.50 if scatter else 0.20
    map_ax = fig.add_axes((left, 0.20, 0.46, 0.64))
    legend_ax = fig.add_axes((left, 0.04, 0.46, 0.15))
    legend_ax.set_axis_off()
    wards = static.projected(result.wards)
    static.draw_classes(map_ax, wards, list(colours))
    significant = table["bv_lisa_label"].isin(["High-High", "Low-Low", "High-Low", "Low-High"])
    if significant.any():
        wards[significant.to_numpy()].boundary.plot(ax=map_ax, color="#111111", linewidth=2.0)
    static.finish_map(map_ax, wards, len(wards) <= 60)
    rows = [(colour, quadrant_name(hx, hy, labels), int((table["quadrant"] ==
                                                         quadrant_name(hx, hy, labels)).sum()))
            for (hx, hy), colour in QUADRANT_COLOURS.items()]
    if (~valid).any():
        rows.append(("#d9d9d9", "No value", int((~valid).sum())))
    static.draw_legend(legend_ax, rows, "Quadrant (above or below the median)", fontsize=7)
    if significant.any():
        n = int(significant.sum())
        legend_ax.text(0.62, 0.9, f"Thick outline: bivariate LISA cluster ({n} "
                       f"ward{'s' if n != 1 else ''})", fontsize=7, va="top",
                       transform=legend_ax.transAxes)
    return fig


def _colours(table: pd.DataFrame, labels: dict[str, str]) -> np.ndarray:
    by_name = {quadrant_name(hx, hy, labels): c for (hx, hy), c in QUADRANT_COLOURS.items()}
    return np.array([by_name.get(q, "#d9d9d9") for q in table["quadrant"]], dtype=object)


def _scatter(ax, table: pd.DataFrame, colours: np.ndarray, labels: dict[str, str]) -> None:
    ax.scatter(table["x"], table["y"], c=list(colours), edgecolors="#333333", linewidths=0.5,
               s=28, zorder=3)
    ax.axvline(table["x"].median(), color="#888888", linestyle="--", linewidth=0.8)
    ax.axhline(table["y"].median(), color="#888888", linestyle="--", linewidth=0.8)
    if len(table) <= 60:  # names stay legible for a borough
        _point_names(ax, table)
    ax.set_xlabel(labels["x"][:1].upper() + labels["x"][1:], fontsize=8)
    ax.set_ylabel(labels["y"][:1].upper() + labels["y"][1:], fontsize=8)
    ax.tick_params(labelsize=7)
    ax.grid(color="#eeeeee", linewidth=0.6, zorder=0)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)


def _point_names(ax, table: pd.DataFrame) -> None:
    """Ward names beside their points, skipping any that would overlap a name already placed
    (the most extreme wards first: they are the ones a reader looks for)."""
    renderer = ax.figure.canvas.get_renderer()
    ax.figure.canvas.draw()  # settle the axes limits before measuring text
    spread = (table["x"] - table["x"].median()).abs() / (table["x"].std() or 1) + \
        (table["y"] - table["y"].median()).abs() / (table["y"].std() or 1)
    placed: list = []
    for idx in spread.sort_values(ascending=False).index:
        row = table.loc[idx]
        text = ax.annotate(str(row["ward_name"]), (row["x"], row["y"]), xytext=(3, 3),
                           textcoords="offset points", fontsize=5.5, color="#333333",
                           annotation_clip=False)
        text.set_parse_math(False)
        box = text.get_window_extent(renderer).expanded(1.05, 1.15)
        if any(box.overlaps(other) for other in placed):
            text.remove()
        else:
            placed.append(box)


# --- map_hot_spot_change.png ----------------------------------------------------------------

HOT_SPOT_COLOURS = {
    "persistent hot": "#b2182b",
    "new hot": "#f4a582",
    "no longer hot": "#fde0ef",
    "persistent cold": "#2166ac",
    "new cold": "#92c5de",
    "no longer cold": "#e0f3f8",
    "never": "#f0f0f0",
}


def hot_spot_change_figure(result: RunResult, **common):
    """The map of change categories (persistent hot ... never), legend with ward counts."""
    wards = static.projected(result.wards)
    change = result.summary.get("change") or {}
    subtitle = (f"Gi* hot and cold spots (95% confidence), "
                f"{change.get('current_label') or 'this period'} against "
                f"{change.get('comparison_label') or 'the comparison period'}")
    fig, ax, legend_ax = static.page_figure(common.get("page", "a4-portrait"),
                                            result.meta.area_name, subtitle,
                                            common.get("attributions", ()),
                                            common.get("notes", ()))
    categories = wards["hot_spot_change"].astype(str)
    static.draw_classes(ax, wards, [HOT_SPOT_COLOURS.get(c, "#d9d9d9") for c in categories])
    static.finish_map(ax, wards, common.get("labels", True))
    words = {"never": "never a hot or cold spot"}
    rows = [(HOT_SPOT_COLOURS[c], words.get(c, c).capitalize(), int((categories == c).sum()))
            for c in CATEGORIES]
    static.draw_legend(legend_ax, rows, "Hot spot change (wards)")
    return fig
