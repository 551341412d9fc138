"""Colours, class breaks and display text shared by the interactive and static maps.

Conventions analysts already read: GeoDa's LISA cluster colours, ArcGIS Pro's seven Gi* bins,
ColorBrewer/matplotlib sequential palettes for choropleths (colour-blind safe), and class
breaks as mapclassify defines them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from wardmap import vocabulary
from wardmap.errors import ConfigError

# GeoDa's LISA cluster map colours.
LISA_COLOURS: dict[str, str] = {
    "High-High": "#ff0000",
    "Low-Low": "#0000ff",
    "Low-High": "#a7adf9",
    "High-Low": "#f4ada8",
    "Not significant": "#eeeeee",
    "Not tested": "#f7f7f7",  # --permutations 0: no pseudo p-values
    "Island": "#464646",
}
LISA_ORDER = list(LISA_COLOURS)

# ArcGIS Pro's Hot Spot Analysis renderer: Gi_Bin -3..3.
GI_COLOURS: dict[int, str] = {
    -3: "#4575b5",
    -2: "#849eba",
    -1: "#c0ccbe",
    0: "#ffffbf",
    1: "#fab984",
    2: "#ed7551",
    3: "#d62f27",
}
GI_LABELS: dict[int, str] = {
    -3: "Cold spot, 99% confidence",
    -2: "Cold spot, 95% confidence",
    -1: "Cold spot, 90% confidence",
    0: "Not significant",
    1: "Hot spot, 90% confidence",
    2: "Hot spot, 95% confidence",
    3: "Hot spot, 99% confidence",
}
# Wards significant before the multiple-testing correction but not after it: pale, so a map
# with no ward significant after correction is seen to be a result, not a broken map.
BEFORE_CORRECTION_LISA = "Significant before correction only"
BEFORE_CORRECTION_COLOURS: dict[str, str] = {BEFORE_CORRECTION_LISA: "#f6efa6"}
# Gi* map classes: ArcGIS's bins -3..3 and +4/-4 for hot/cold before the correction only.
GI_MAP_COLOURS: dict[int, str] = {**GI_COLOURS, 4: "#fddbc7", -4: "#d1e5f0"}
GI_MAP_LABELS: dict[int, str] = {**GI_LABELS, 4: "Hot spot before correction only",
                                 -4: "Cold spot before correction only"}
NO_DATA_COLOUR = "#d9d9d9"
NO_DATA_LABEL = "No data"
SUPPRESSED_LABEL = "No data or suppressed"  # public outputs: rates from small counts hidden
FOCUS_COLOUR = "#111111"

JENKS_SAMPLE = 1000
SCHEMES = ("natural_breaks", "quantiles", "equal_interval", "user")

# One vocabulary for the whole project (wardmap.vocabulary); re-exported for the map modules.
MEASURE_LABELS = vocabulary.MEASURE_LABELS
CHANGE_BREAKS = list(vocabulary.CHANGE_BREAKS)
measure_label = vocabulary.measure_label
# Never labelled as whole-number ranges, even when every value happens to be whole.
CONTINUOUS_COLUMNS = ("rate_per_1000", "rate_eb", "change_pct")


@dataclass
class Classes:
    """A classification of one ward column: class of each ward (-1 = no data) and legend rows."""

    column: str
    bins: list[float]  # upper bound of each class
    labels: list[str]  # "12–25" per class
    counts: list[int]  # wards per class
    colours: list[str]  # hex per class
    yb: np.ndarray  # class index per ward, -1 for NaN
    no_data: int  # wards without a value
    no_data_label: str = NO_DATA_LABEL

    def colour_of(self) -> list[str]:
        """Hex colour per ward (grey where there is no value)."""
        return [self.colours[i] if i >= 0 else NO_DATA_COLOUR for i in self.yb]

    def legend_rows(self) -> list[tuple[str, str, int]]:
        """(colour, range, number of wards) per class, with a no-data row when needed."""
        rows = list(zip(self.colours, self.labels, self.counts, strict=True))
        if self.no_data:
            rows.append((NO_DATA_COLOUR, self.no_data_label, self.no_data))
        return rows


def classify(
    values: pd.Series,
    scheme: str = "natural_breaks",
    k: int = 5,
    breaks: list[float] | None = None,
    palette: str = "YlOrRd",
    diverging: bool = False,
    small_threshold: int | None = None,
    no_data_label: str = NO_DATA_LABEL,
) -> Classes:
    """Classes of a ward column (see class_bounds); NaN wards get class -1 ("No data").

    natural_breaks is Fisher-Jenks (optimal and deterministic, unlike mapclassify's k-means
    NaturalBreaks); k shrinks to the number of distinct values. `diverging` centres the palette
    on zero (for change). `small_threshold` (public counts) moves any class bound between 1 and
    the threshold up to it, so no legend range reveals a suppressed count.
    """
    if scheme not in SCHEMES:
        raise ConfigError(f"maps.scheme: {scheme!r} is not one of {', '.join(SCHEMES)}")
    if k < 1:
        raise ConfigError(f"maps.k: need at least one class, got {k}")
    arr = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)
    ok = np.isfinite(arr)
    yb = np.full(len(arr), -1, dtype=int)
    if not ok.any():
        return Classes(str(values.name), [], [], [], [], yb, int(len(arr)), no_data_label)
    data = arr[ok]
    bins = class_bounds(data, scheme, k, breaks)
    if small_threshold is not None:
        bins = sorted({float(small_threshold) if 1 <= b < small_threshold else b for b in bins})
    # Class i holds (bins[i-1], bins[i]], as in mapclassify.
    yb[ok] = np.searchsorted(np.asarray(bins), data, side="left")
    counts = [int((yb == i).sum()) for i in range(len(bins))]
    whole = _is_whole(data) and str(values.name) not in CONTINUOUS_COLUMNS
    labels = _range_labels(float(data.min()), bins, whole)
    colours = diverging_colours(palette, bins) if diverging else palette_colours(palette,
                                                                                 len(bins))
    return Classes(str(values.name), bins, labels, counts, colours, yb, int((~ok).sum()),
                   no_data_label)


def class_bounds(
    data: np.ndarray, scheme: str, k: int, breaks: list[float] | None = None
) -> list[float]:
    """Upper class bounds with mapclassify's definitions (FisherJenks, Quantiles, EqualInterval,
    UserDefined), written with numpy: importing mapclassify costs 3 s (scikit-learn, pyplot)
    and, with numba installed, a further 5-10 s compiling Fisher-Jenks, on every cold run.
    tests/maps/test_style.py checks these bounds against mapclassify itself."""
    distinct = np.unique(data)
    top = float(distinct[-1])
    if scheme == "user":
        if not breaks:
            raise ConfigError("maps.breaks: scheme 'user' needs a list of class breaks")
        ups = sorted({float(b) for b in breaks})
        return ups if ups[-1] >= top else [*ups, top]
    if len(distinct) <= 1:
        return [top]
    k = min(k, len(distinct))
    if scheme == "natural_breaks":
        return fisher_jenks(data, k)
    if scheme == "quantiles":
        pct = np.minimum(np.arange(1, k + 1) * (100.0 / k), 100.0)
        return [float(q) for q in np.unique(np.percentile(data, pct))]
    low = float(distinct[0])
    width = (top - low) / k
    return [low + width * i for i in range(1, k)] + [top]


def fisher_jenks(values: np.ndarray, k: int) -> list[float]:
    """Upper bounds of the k Fisher-Jenks (natural breaks) classes: the partition of the
    sorted values into k runs with the least total within-class sum of squares.

    Exact dynamic programme over an n x n table of run costs from prefix sums (k numpy
    steps); written here because mapclassify's exact form needs numba to be quick (see
    class_bounds). Tested against mapclassify.FisherJenks. Above JENKS_SAMPLE values it runs
    on that many evenly spaced order statistics (always keeping the minimum and maximum), as
    mapclassify's FisherJenksSampled does with a random sample, but deterministic.
    """
    x = np.sort(np.asarray(values, dtype=float))
    if len(x) > JENKS_SAMPLE:
        x = x[np.linspace(0, len(x) - 1, JENKS_SAMPLE).round().astype(int)]
    n = len(x)
    k = min(k, len(np.unique(x)))
    s1 = np.concatenate([[0.0], np.cumsum(x)])
    s2 = np.concatenate([[0.0], np.cumsum(x * x)])

    # within[m, i]: sum of squares of the run x[m..i] (inf where m > i), all runs at once.
    start = np.arange(n)[:, None]
    end = np.arange(n)[None, :]
    count = np.maximum(end - start + 1, 1)
    total = s1[end + 1] - s1[start]
    within = np.where(start <= end, (s2[end + 1] - s2[start]) - total * total / count, np.inf)
    cost = within[0]  # one class over x[0..i]
    back = np.zeros((k, n), dtype=int)
    for j in range(1, k):
        # Last class starts at m >= j; the first j classes cover x[0..m-1] at cost[m-1].
        trial = within[j:, :] + cost[j - 1 : n - 1, None]
        best = np.argmin(trial, axis=0)
        back[j] = best + j
        cost = trial[best, np.arange(n)]
    uppers, end = [], n - 1
    for j in range(k - 1, 0, -1):
        start = back[j, end]
        uppers.append(float(x[end]))
        end = start - 1
    uppers.append(float(x[end]))
    return sorted(uppers)


def _is_whole(arr: np.ndarray) -> bool:
    return bool(len(arr)) and bool(np.all(np.equal(np.mod(arr, 1), 0)))


def _range_labels(lowest: float, bins: list[float], whole: bool) -> list[str]:
    """Class ranges that run on from the previous bound, so the legend leaves no gaps."""
    labels = []
    for i, upper in enumerate(bins):
        if i == 0 and lowest > upper:  # user breaks below every value: an empty first class
            labels.append(f"up to {format_number(upper)}")
            continue
        lower = lowest if i == 0 else bins[i - 1]
        lo = math.ceil(lower) if i == 0 else math.floor(lower) + 1
        hi = math.floor(upper)
        if whole and lo <= hi:
            labels.append(_span(f"{lo:,}", f"{hi:,}", lo < 0 or hi < 0))
        else:
            labels.append(_span(format_number(lower), format_number(upper), lower < 0 or upper < 0))
    return labels


def _span(lo: str, hi: str, negative: bool) -> str:
    if lo == hi:
        return lo
    return f"{lo} to {hi}" if negative else f"{lo}–{hi}"


def format_number(x: float, whole: bool = False) -> str:
    """Numbers as analysts write them: 1,204 and 12.3 (three significant figures below 10)."""
    if x is None or not np.isfinite(x):
        return "–"
    if whole or float(x).is_integer():
        return f"{int(round(x)):,}"
    if abs(x) >= 100:
        return f"{x:,.0f}"
    if abs(x) >= 10:
        return f"{x:,.1f}"
    return f"{x:.2f}"


def palette_colours(palette: str, n: int) -> list[str]:
    """n hex colours spread over a matplotlib colormap, skipping its palest end so that the
    lowest class still stands out from the background."""
    cmap = _colormap(palette)
    if n <= 0:
        return []
    positions = [0.15 + 0.85 * i / max(n - 1, 1) for i in range(n)] if n > 1 else [0.6]
    return [_hex(cmap(p)) for p in positions]


def diverging_colours(palette: str, bins: list[float]) -> list[str]:
    """Colours for classes either side of zero: falls take the cool half of the palette and
    rises the warm half, stepping out from the middle one class at a time, so that a fall and
    a rise of the same number of classes are equally strong."""
    cmap = _colormap(palette)
    falls = sum(1 for b in bins if b <= 0)  # classes whose upper bound is at most zero
    steps = max(falls, len(bins) - falls, 1)
    colours = []
    for i in range(len(bins)):
        out = (falls - i) if i < falls else (i - falls + 1)
        side = -1 if i < falls else 1
        colours.append(_hex(cmap(0.5 + side * 0.45 * out / steps)))
    return colours


def _colormap(palette: str):
    from matplotlib import colormaps

    if palette not in colormaps:
        raise ConfigError(f"maps palette: {palette!r} is not a matplotlib colormap name "
                          "(e.g. YlOrRd, viridis, cividis)")
    return colormaps[palette]


def _hex(rgba: tuple) -> str:
    from matplotlib.colors import to_hex

    return to_hex(rgba)


def lisa_labels(wards: pd.DataFrame) -> pd.Series | None:
    """LISA label per ward, or None when the test stage did not run."""
    if "lisa_label" not in wards:
        return None
    return wards["lisa_label"].where(wards["lisa_label"].isin(LISA_COLOURS), "Not significant")


def lisa_map_labels(wards: pd.DataFrame) -> pd.Series | None:
    """LISA labels for maps: wards significant only before the correction get their own
    label (``BEFORE_CORRECTION_LISA``)."""
    labels = lisa_labels(wards)
    if labels is None or "lisa_label_uncorrected" not in wards:
        return labels
    before = wards["lisa_label_uncorrected"].isin(["High-High", "Low-Low", "High-Low",
                                                   "Low-High"])
    return labels.where(~(before & (labels == "Not significant")), BEFORE_CORRECTION_LISA)


def lisa_map_colours() -> dict[str, str]:
    """Every LISA map label's colour, GeoDa's first."""
    return {**LISA_COLOURS, **BEFORE_CORRECTION_COLOURS}


def gi_map_bins(wards: pd.DataFrame) -> pd.Series | None:
    """Gi* bins for maps: -3..3 after the correction, and +4/-4 for hot/cold spots at 90% or
    more before the correction only."""
    bins = gi_bins(wards)
    if bins is None or "gi_bin_uncorrected" not in wards:
        return bins
    raw = pd.to_numeric(wards["gi_bin_uncorrected"], errors="coerce").fillna(0)
    before = (bins == 0) & (raw != 0)
    return bins.where(~before, np.sign(raw) * 4).astype(int)


def gi_legend_rows(bins: pd.Series) -> list[tuple[str, str, int]]:
    """Legend rows hot to cold; before-correction rows only when a ward has one."""
    rows = []
    for b in (3, 2, 1, 4, 0, -4, -1, -2, -3):
        n = int((bins == b).sum())
        if n or abs(b) != 4:
            rows.append((GI_MAP_COLOURS[b], GI_MAP_LABELS[b], n))
    return rows


def gi_bins(wards: pd.DataFrame) -> pd.Series | None:
    """Gi* bin -3..3 per ward (NaN → 0, not significant), or None when absent."""
    if "gi_bin" not in wards:
        return None
    bins = pd.to_numeric(wards["gi_bin"], errors="coerce").fillna(0).clip(-3, 3)
    return bins.astype(int)
