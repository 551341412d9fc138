"""Did a task force work? Before/after counts for a target area, its buffer and a control.

The net effect is the Weighted Displacement Difference (Bowers and Johnson 2003) with the
significance test of Wheeler and Ratcliffe (2018): with T the target, D the buffer (the area
crime may be displaced into) and C the control, each counted over equal periods before (0)
and after (1) the start,

    WDD = (T1 - T0) - a (Ct1 - Ct0) + (D1 - D0) - b (Cd1 - Cd0)
    Var(WDD) = T0 + T1 + D0 + D1 + a^2 (Ct0 + Ct1) + b^2 (Cd0 + Cd1)

(counts taken as Poisson, so each count is its own variance), z = WDD / sqrt(Var) and a
two-sided normal p. Wheeler and Ratcliffe take a = b = 1: control areas about the size of the
areas they stand for. A district's "rest of the area" is many times the target, so by default
the control's change is scaled to each area's size before the start (a = T0 / C0,
b = D0 / C0: the change the area would have seen had it followed the control, as the Weighted
Displacement Quotient's ratios do). One control area standing for both enters once with the
weight a + b, because its two uses are the same counts (Wheeler and Ratcliffe list them
separately, which assumes independent controls). Negative WDD is a net reduction.

The verdict tests the target's change and the buffer's change each against the control with
the same statistic (without the other area), at ``alpha``. Method notes: docs/evaluate.md.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from wardmap.config import EvaluateConfig
from wardmap.disclosure import format_count, is_small, suppression_label
from wardmap.errors import InputError, WardmapError
from wardmap.periods.presets import month_label, parse_month, period_label, shift_month
from wardmap.result import RunResult

AREAS = ("target", "buffer", "control")
VERDICTS = (
    "reduction with diffusion of benefits",
    "reduction with displacement",
    "displacement exceeded the reduction",
    "reduction without measurable displacement",
    "increase in the target area",
    "no measurable effect",
)


def wdd(
    target: tuple[float, float],
    control: tuple[float, float],
    buffer: tuple[float, float] = (0.0, 0.0),
    buffer_control: tuple[float, float] = (0.0, 0.0),
    control_weight: float = 1.0,
    buffer_control_weight: float = 1.0,
) -> dict[str, float]:
    """Weighted Displacement Difference and its test (Wheeler and Ratcliffe 2018).

    Each area is a (before, after) pair of counts over periods of equal length.

    Returns estimate, variance, z and p (two-sided, normal); z and p are NaN when every count
    is zero.

    Examples
    --------
    >>> r = wdd((100, 70), (100, 100), (100, 115), (100, 100))
    >>> r["estimate"], r["variance"]
    (-15.0, 785.0)
    """
    from wardmap.stats.getis import two_sided_p

    (t0, t1), (c0, c1), (d0, d1), (e0, e1) = target, control, buffer, buffer_control
    a, b = control_weight, buffer_control_weight
    estimate = (t1 - t0) - a * (c1 - c0) + (d1 - d0) - b * (e1 - e0)
    variance = t0 + t1 + d0 + d1 + a * a * (c0 + c1) + b * b * (e0 + e1)
    z = estimate / math.sqrt(variance) if variance > 0 else math.nan
    p = float(two_sided_p(np.array([z]))[0]) if math.isfinite(z) else math.nan
    return {"estimate": float(estimate), "variance": float(variance), "z": z, "p": p}


@dataclass
class Areas:
    """Ward codes of the target, buffer and control areas."""

    target: list[str]
    buffer: list[str]
    control: list[str]


def evaluate(result: RunResult, config: EvaluateConfig) -> dict[str, Any]:
    """The evaluation of one task-force area from a run's records.

    Returns the content of evaluation.json: start, months_before, months_after, target, buffer
    and control (wards, ward_names, before, after, change, change_pct and, for target and
    buffer, ``vs_control``: the area's change tested against the control), wdd (estimate,
    variance, z, p), displacement (one of VERDICTS), summary (a plain-English sentence) and
    monthly (months and each area's counts).
    """
    from wardmap.aggregate import ward_month_table

    records = _records(result)
    before, after = _windows(config, set(records["month"].dropna().astype(str)))
    areas = resolve_areas(result, config)
    table = ward_month_table(records, areas.target + areas.buffer + areas.control,
                             before + after)
    return _evaluation(result.wards, table, before, after, areas, config,
                       result.meta.crime_types_label)


def evaluate_counts(
    wards: gpd.GeoDataFrame,
    counts: pd.DataFrame,
    *,
    target: Sequence[str],
    start: str,
    before: int = 12,
    after: int = 12,
    buffer: Sequence[str] = ("neighbours",),
    control: Sequence[str] = ("rest",),
    scale_control: bool = True,
    alpha: float = 0.05,
    what: str = "All crime types",
) -> dict[str, Any]:
    """Evaluate a task-force area from monthly counts per ward.

    Parameters
    ----------
    wards : GeoDataFrame
        Ward polygons with ward_code and ward_name (the buffer's neighbours come from them).
    counts : DataFrame
        Incidents per ward and month: index ward_code, one column per month ("YYYY-MM"), as
        ``wardmap.aggregate.ward_month_table`` gives; every month of the two periods needed.
    target : sequence of str
        The task-force wards, by code or name.
    start : str
        First month of the intervention, "YYYY-MM".
    before, after : int
        Months compared on each side of the start (equal).
    buffer : sequence of str
        ("neighbours",) the wards touching the target, ("none",), or wards.
    control : sequence of str
        ("rest",) every other ward, or wards.
    scale_control : bool
        Scale the control's change to each area's size before the start (docs/evaluate.md).
    alpha : float
        Level of the tests behind the verdict.
    what : str
        What is counted, for the summary sentence.

    Returns
    -------
    dict
        evaluation.json's content (target, buffer, control, wdd, displacement, monthly,
        summary ...).

    Examples
    --------
    >>> import pandas as pd, wardmap
    >>> from wardmap.demo import example_grid
    >>> grid = example_grid()
    >>> months = ["2020-01", "2020-02", "2020-03", "2020-04"]
    >>> counts = pd.DataFrame(50, index=grid["ward_code"], columns=months)
    >>> counts.loc["W0", ["2020-03", "2020-04"]] = 20
    >>> result = wardmap.evaluate_counts(grid, counts, target=["W0"], start="2020-03",
    ...                                  before=2, after=2, buffer=["none"])
    >>> result["target"]["change_pct"], result["displacement"]
    (-60.0, 'reduction without measurable displacement')
    """
    from wardmap.select.focus import resolve_wards

    config = EvaluateConfig(target=list(target), start=start, before=before, after=after,
                            buffer=list(buffer), control=list(control),
                            scale_control=scale_control, alpha=alpha)
    check(config)
    months_before, months_after = _windows(config, {str(c) for c in counts.columns})
    areas = _areas(wards, resolve_wards(wards, config.target, "--target"), config)
    table = counts.reindex(index=areas.target + areas.buffer + areas.control,
                           columns=months_before + months_after).fillna(0).astype(int)
    return _evaluation(wards, table, months_before, months_after, areas, config, what)


def _evaluation(wards: pd.DataFrame, table: pd.DataFrame, before: list[str], after: list[str],
                areas: Areas, config: EvaluateConfig, what: str) -> dict[str, Any]:
    """evaluation.json's content from a wards × months table of the three areas' wards."""
    monthly = pd.DataFrame({area: table.loc[getattr(areas, area)].sum(axis=0)
                            for area in AREAS}, index=before + after)
    out: dict[str, Any] = {
        "start": after[0],
        "months_before": [before[0], before[-1]],
        "months_after": [after[0], after[-1]],
        "crime_types": what,
        "scale_control": config.scale_control,
        "alpha": config.alpha,
    }
    names = dict(zip(wards["ward_code"], wards["ward_name"], strict=True))
    totals = {}
    for area in AREAS:
        codes = getattr(areas, area)
        b, a = (int(monthly.loc[before, area].sum()), int(monthly.loc[after, area].sum()))
        totals[area] = (b, a)
        out[area] = {"wards": codes, "ward_names": [names[c] for c in codes], "before": b,
                     "after": a, "change": a - b, "change_pct": _pct(a, b)}
    c0 = totals["control"][0]
    if c0 == 0:
        raise InputError("the control area has no incidents before the start: choose a larger "
                         "control (--control) or more months (--before)")
    scale = {area: (totals[area][0] / c0 if config.scale_control else 1.0)
             for area in ("target", "buffer")}
    if not areas.buffer:
        scale["buffer"] = 0.0
    for area in ("target", "buffer"):
        if getattr(areas, area):
            out[area]["vs_control"] = {"control_weight": scale[area],
                                       **wdd(totals[area], totals["control"],
                                             control_weight=scale[area])}
    net = wdd(totals["target"], totals["control"], totals["buffer"],
              control_weight=scale["target"] + scale["buffer"])
    out["wdd"] = {**net, "control_weight": scale["target"] + scale["buffer"]}
    out["displacement"] = verdict(out, config.alpha)
    out["monthly"] = {"months": before + after,
                      **{area: monthly[area].astype(int).tolist() for area in AREAS}}
    out["summary"] = evaluation_text(out)
    return out


def _records(result: RunResult) -> pd.DataFrame:
    from wardmap.cube import counted

    records = counted(result)
    if records is None or "month" not in records or records["month"].isna().all():
        raise InputError("an evaluation needs dated incident records (--incidents), not a "
                         "ward-level table")
    return records


def _windows(config: EvaluateConfig, present: set[str]) -> tuple[list[str], list[str]]:
    """The months before and after the start, checked against the months in the data."""
    if not config.start:
        raise InputError("give the month the intervention started: --start YYYY-MM (or "
                         "[evaluate] start)")
    parse_month(config.start, "--start")
    if config.before < 1 or config.after < 1:
        raise InputError("--before and --after must be at least one month")
    if config.before != config.after:
        raise InputError(f"--before ({config.before}) and --after ({config.after}) must be "
                         "equal: the displacement test compares counts over periods of the "
                         "same length")
    before = [shift_month(config.start, -i) for i in range(config.before, 0, -1)]
    after = [shift_month(config.start, i) for i in range(config.after)]
    missing = [m for m in before + after if m not in present]
    if missing:
        shown = ", ".join(missing[:6]) + (" ..." if len(missing) > 6 else "")
        raise InputError(f"the records do not cover {period_label(before + after)}: no records "
                         f"for {shown} (add those months' files or change --start, --before, "
                         "--after)")
    return before, after


def resolve_areas(result: RunResult, config: EvaluateConfig) -> Areas:
    """Target, buffer and control wards from the analyst's words, checked not to overlap."""
    from wardmap.select.focus import resolve_wards

    wards = result.wards
    target = resolve_wards(wards, config.target, "--target") if config.target else \
        _focus_area(result)
    return _areas(wards, target, config)


def _areas(wards: pd.DataFrame, target: list[str], config: EvaluateConfig) -> Areas:
    buffer = _buffer(wards, target, config.buffer)
    control = _control(wards, target, buffer, config.control)
    if not control:
        raise InputError("the control area is empty: every ward is in the target or buffer "
                         "(name control wards with --control)")
    return Areas(target, buffer, control)


def _focus_area(result: RunResult) -> list[str]:
    if not result.config.focus.enabled:
        raise InputError("name the target wards with --target WARD (or give a [focus] section "
                         "to evaluate its best focus area)")
    from wardmap.select.focus import find_focus_areas

    focus = result.focus if result.focus is not None else \
        find_focus_areas(result, result.config.focus)
    return sorted(str(focus["ward_codes"].iloc[0]).split(";"))


def _buffer(wards: pd.DataFrame, target: list[str], given: list[str]) -> list[str]:
    from wardmap.select.focus import resolve_wards

    words = [g.strip().casefold() for g in given]
    if words in ([], ["none"]):
        return []
    if words in (["neighbours"], ["neighbors"]):
        return neighbours(wards, target)
    buffer = resolve_wards(wards, list(given), "--buffer")
    both = sorted(set(buffer) & set(target))
    if both:
        raise InputError(f"ward(s) {', '.join(both)} are in both the target and --buffer")
    return buffer


def _control(wards: pd.DataFrame, target: list[str], buffer: list[str],
             given: list[str]) -> list[str]:
    from wardmap.select.focus import resolve_wards

    if [g.strip().casefold() for g in given] in ([], ["rest"]):
        taken = set(target) | set(buffer)
        return sorted(c for c in wards["ward_code"].astype(str) if c not in taken)
    control = resolve_wards(wards, list(given), "--control")
    both = sorted(set(control) & (set(target) | set(buffer)))
    if both:
        raise InputError(f"ward(s) {', '.join(both)} are in --control and also in the target "
                         "or buffer")
    return control


def neighbours(wards: pd.DataFrame, codes: list[str]) -> list[str]:
    """Wards sharing a boundary point with any of ``codes`` (queen contiguity), not in them."""
    from wardmap.stats.weights import build_weights

    weights = build_weights(wards, "queen", islands="label")
    all_codes = wards["ward_code"].astype(str).to_numpy()
    inside = np.isin(all_codes, codes)
    touching = np.asarray(weights.binary[inside].sum(axis=0)).ravel() > 0
    return sorted(all_codes[touching & ~inside].tolist())


def _pct(after: float, before: float) -> float | None:
    return None if before == 0 else 100.0 * (after - before) / before


def _direction(test: dict[str, Any] | None, alpha: float) -> int:
    """-1 a significant fall against the control, +1 a rise, 0 neither (or no test)."""
    from wardmap.result import significant

    if not test or not significant(test.get("p"), alpha):
        return 0
    return -1 if test["estimate"] < 0 else 1


def verdict(evaluation: dict[str, Any], alpha: float) -> str:
    """One of VERDICTS from the target's and buffer's changes against the control."""
    target = _direction(evaluation["target"].get("vs_control"), alpha)
    buffer = _direction(evaluation["buffer"].get("vs_control"), alpha)
    if target > 0:
        return "increase in the target area"
    if target == 0:
        return "no measurable effect"
    if buffer < 0:
        return "reduction with diffusion of benefits"
    if buffer > 0:
        return ("reduction with displacement" if evaluation["wdd"]["estimate"] < 0
                else "displacement exceeded the reduction")
    return "reduction without measurable displacement"


# --- words -----------------------------------------------------------------------------------

def evaluation_text(evaluation: dict[str, Any], public: bool = False, threshold: int = 4) -> str:
    """A paragraph for the briefing: what happened in each area and the verdict."""
    start = month_label(evaluation["start"])
    n = len(evaluation["monthly"]["months"]) // 2
    target = evaluation["target"]
    span = "the month" if n == 1 else f"{n} months"
    parts = [f"Since {start}, recorded {subject(evaluation)} in the target area "
             f"({_names(target['ward_names'])}) "
             f"{_change_words(target, public, threshold)} over {span} compared with "
             f"{'the month' if n == 1 else f'the {n} months'} before"]
    control = evaluation["control"]
    parts.append(f"; in the control area it {_change_words(control, public, threshold)}")
    buffer = evaluation["buffer"]
    if buffer["wards"]:
        parts.append(f", and in the surrounding wards ({_names(buffer['ward_names'])}) it "
                     f"{_change_words(buffer, public, threshold)}")
    text = "".join(parts) + ". "
    text += f"Verdict: {evaluation['displacement']}"
    net = evaluation["wdd"]
    counts = [evaluation[a][k] for a in AREAS for k in ("before", "after")]
    hidden = public and bool(is_small(counts, threshold).any())  # the WDD would give it away
    if not hidden and net.get("z") is not None and np.isfinite(net.get("z", math.nan)):
        from wardmap.vocabulary import p_phrase

        text += (f" (net effect {net['estimate']:+.0f} incidents against the control, weighted "
                 f"displacement difference z = {net['z']:.2f}, {p_phrase(net['p'])})")
    return text + "."


def subject(evaluation: dict[str, Any]) -> str:
    label = evaluation.get("crime_types") or "All crime types"
    return "crime" if label == "All crime types" else label.lower()


def _names(names: list[str]) -> str:
    from wardmap.vocabulary import join_words

    names = [str(n) for n in names]
    if len(names) > 4:
        return f"{', '.join(names[:3])} and {len(names) - 3} more wards"
    return join_words(names)


def _change_words(area: dict[str, Any], public: bool, threshold: int) -> str:
    b, a = area["before"], area["after"]
    shown = lambda n: format_count(n, threshold, public)  # noqa: E731
    if public and is_small([a, b], threshold).any():
        return f"went from {shown(b)} to {shown(a)}"
    if a == b:
        return f"stayed at {shown(a)}"
    pct = area["change_pct"]
    how = "fell" if a < b else "rose"
    by = f" {abs(pct):.0f}%" if pct is not None else ""
    return f"{how}{by} (from {shown(b)} to {shown(a)})"


# --- public outputs --------------------------------------------------------------------------

def suppressed(evaluation: dict[str, Any], threshold: int = 4) -> dict[str, Any]:
    """A copy for publication: counts 1..threshold as "<5", and figures worked out from them
    (changes, tests, the WDD) left empty."""
    label = suppression_label(threshold)
    out = {k: v for k, v in evaluation.items()}
    any_small = False
    for area in AREAS:
        item = dict(evaluation[area])
        small = is_small([item["before"], item["after"]], threshold)
        if small.any():
            any_small = True
            item.update(change=None, change_pct=None)
            if "vs_control" in item:
                item["vs_control"] = None
            item["before"], item["after"] = (label if s else v for s, v in
                                             zip(small, (item["before"], item["after"]),
                                                 strict=True))
        out[area] = item
    if any_small:
        out["wdd"] = dict.fromkeys(evaluation["wdd"])
    monthly = dict(evaluation["monthly"])
    for area in AREAS:
        monthly[area] = [label if is_small([v], threshold)[0] else v for v in monthly[area]]
    out["monthly"] = monthly
    out["summary"] = evaluation_text(evaluation, True, threshold)
    return out


# --- files -----------------------------------------------------------------------------------

def with_evaluation(result: RunResult) -> RunResult:
    """The run with its evaluation (``result.evaluation``) by the [evaluate] settings."""
    check(result.config.evaluate)
    return replace(result, evaluation=evaluate(result, result.config.evaluate))


def evaluation_writer(result: RunResult, folder: Path) -> RunResult:
    """An export-stage writer: evaluation.json (and evaluation.png with maps), evaluating the
    run first when it has not been (a briefing with an [evaluate] section)."""
    from wardmap.export import write_json

    if result.evaluation is None:
        result = with_evaluation(result)
    public, threshold = result.config.output.public, result.config.output.threshold
    shown = suppressed(result.evaluation, threshold) if public else result.evaluation
    write_json(folder / "evaluation.json", shown)
    if result.config.maps.enabled:
        from wardmap.maps.compare import evaluation_figure

        figure = evaluation_figure(shown, result, public, threshold)
        figure.savefig(folder / "evaluation.png", dpi=result.config.maps.dpi)
    return result


def check(config: EvaluateConfig) -> None:
    """Settings no type can check, before any work."""
    if not 0 < config.alpha < 1:
        raise WardmapError(f"evaluate.alpha must be between 0 and 1 (got {config.alpha})")


def run_evaluation(config, out_dir: str | Path | None = None, steps=None) -> RunResult:
    """The full run plus evaluation.json and evaluation.png, as ``wardmap evaluate`` does."""
    from wardmap.pipeline import run

    return run(config, out_dir, steps, [evaluation_writer],
               select=("evaluating the target area", with_evaluation))
