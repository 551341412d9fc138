"""map.html: a folium (Leaflet) map with switchable ward layers, legends, tooltips and popups.

folium's GeoJson embeds a copy of the geometry per layer; with six measure layers that is six
copies (the England map would be tens of megabytes). So the ward GeoJSON is embedded once and
each layer is a small Leaflet layer over the same data (``_WardLayer``), still a folium Layer
so that folium's LayerControl lists it. Every text that came from an input file is escaped in
the browser (``wmEsc``) at the one place where HTML is assembled, and JSON inside <script> is
written with <, > and & escaped.

The page is self-contained: Leaflet (and the marker-cluster plugin when incident points are
shown) is embedded from the copies in the package (``wardmap.maps.assets``), so it works offline
and behind firewalls that block CDNs; basemap tiles are optional (``maps.basemap``).
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import folium
import numpy as np
import pandas as pd
from branca.element import Element, MacroElement
from folium.map import Layer
from folium.plugins import FastMarkerCluster
from folium.template import Template

from wardmap.errors import ConfigError
from wardmap.maps import assets, display, style, web
from wardmap.result import RunResult

if TYPE_CHECKING:
    import geopandas as gpd

# Above this many wards the browser draws on one canvas instead of thousands of SVG paths.
CANVAS_WARDS = 1500
# Popup rows: (label, property key written by display.ward_text, also in the tooltip?).
# Tooltips give the findings (after the multiple-testing correction); popups add both p-values.
FIELDS = [
    ("Incidents", "i", True),
    ("Population", "p", True),
    ("Rate per 1,000", "r", True),
    ("No rate", "rn", True),
    ("Smoothed rate per 1,000", "e", True),
    ("Change", "ch", True),
    ("Rank in area", "k", True),
    ("LISA", "kl", True),
    ("LISA p", "lp", False),
    ("LISA p, adjusted", "lpa", False),
    ("Gi*", "kg", True),
    ("Gi* p", "gp", False),
    ("Gi* p, adjusted", "gpa", False),
    ("Map point flag", "lf", True),
    ("Top locations", "tl", False),
]
BASEMAPS = ("none", "osm")
CORRECTIONS = {
    "fdr": "the Benjamini-Hochberg false discovery rate",
    "bonferroni": "the Bonferroni correction",
}


@dataclass
class LayerSpec:
    """One switchable ward layer: which class property colours it and its legend."""

    name: str
    key: str  # feature property holding the class index
    colours: list[str]
    legend_title: str
    legend_rows: list[tuple[str, str, int]]
    column: str
    outline_codes: list[str] = field(default_factory=list)

    def js(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "key": self.key,
            "colours": self.colours,
            "title": self.legend_title,
            "rows": [list(r) for r in self.legend_rows],
            "codes": self.outline_codes,
        }


def interactive_map(result: RunResult) -> folium.Map:
    """The folium.Map for a run: ward layers, focus-area outline, optional incident points."""
    wards, cfg = result.wards, result.config.maps
    layers, classes = ward_layers(result)
    geometry = web.web_geometry(wards.geometry, tolerance=cfg.web_tolerance)
    props = ward_properties(result, classes)
    points = None
    if cfg.incident_points and not result.config.output.public and result.records is not None:
        points = _incident_points(result.records, wards.crs)
    libraries = ("leaflet",) if points is None else ("leaflet", "leaflet.markercluster")
    fmap = _base_map(geometry, cfg.basemap, libraries)
    info = _page_info(result, len(wards) > CANVAS_WARDS, int(props["k"].notna().sum()))
    data = _WardData(web.ward_data(geometry, props), info)
    fmap.add_child(data)
    shown = _default_layer(layers, result.meta.measure)
    for spec in layers:
        fmap.add_child(_WardLayer(data, spec, overlay=False, show=spec is shown))
    focus = focus_outline(result)
    if focus is not None:
        fmap.add_child(_WardLayer(data, focus, overlay=True, show=True))
    if result.locations is not None and not result.config.output.public:
        from wardmap.maps.locations import locations_layer

        layer = locations_layer(result, result.config.locations.map_points)
        if layer is not None:
            fmap.add_child(layer)
    if points is not None:
        fmap.add_child(points)
    folium.LayerControl(collapsed=False, position="topright").add_to(fmap)
    return fmap


def clusters_map(shapes: gpd.GeoDataFrame, *, title: str, subtitle: str = "",
                 attributions: Sequence[str] = (), notes: Sequence[str] = (),
                 basemap: str = "none") -> folium.Map:
    """clusters.html's map: ward clusters (``shapes``: ward_code, ward_name, cluster,
    cluster_size, cluster_wards, colour, geometry) as one layer of the same self-contained
    page as map.html, with a legend naming each cluster's wards."""
    order = sorted(shapes["cluster"].unique())
    colours = [str(shapes.loc[shapes["cluster"] == c, "colour"].iloc[0]) for c in order]
    rows = []
    for c, colour in zip(order, colours, strict=True):
        members = shapes.loc[shapes["cluster"] == c, "ward_name"].astype(str).tolist()
        rows.append((colour, f"{c}: {', '.join(members)}", len(members)))
    spec = LayerSpec("Ward clusters", "kc", colours, "Ward clusters (wards in each)", rows,
                     "cluster")
    geometry = web.web_geometry(shapes.geometry)
    props = pd.DataFrame({
        "n": shapes["ward_name"].astype(str), "c": shapes["ward_code"].astype(str),
        "cl": shapes["cluster"].astype(str), "cs": shapes["cluster_size"].astype(str),
        "cw": shapes["cluster_wards"].astype(str),
        "kc": [order.index(c) for c in shapes["cluster"]],
    }, index=shapes.index)
    info = {
        "title": title, "subtitle": subtitle, "notes": list(notes),
        "attributions": list(attributions),
        "fields": [["Cluster", "cl", True], ["Cluster size", "cs", True],
                   ["Wards in cluster", "cw", True]],
        "ranked": 0, "lisa": [], "gi": [], "canvas": len(shapes) > CANVAS_WARDS,
        "nodata": style.NO_DATA_COLOUR, "explain": "",
    }
    fmap = _base_map(geometry, basemap, ("leaflet",))
    data = _WardData(web.ward_data(geometry, props), info)
    fmap.add_child(data)
    fmap.add_child(_WardLayer(data, spec, overlay=False, show=True))
    folium.LayerControl(collapsed=False, position="topright").add_to(fmap)
    return fmap


def ward_properties(result: RunResult, classes: pd.DataFrame) -> pd.DataFrame:
    """What the page knows of each ward: display text (display.ward_text) and class indices.

    Labels the page can look up from a class index or a total (LISA and Gi* labels, "of 26")
    are not repeated per ward: on a national map every byte per ward costs 7,681 bytes.
    """
    wards, measure = result.wards, result.meta.measure
    public, threshold = result.config.output.public, result.config.output.threshold
    text = display.ward_text(wards, measure, public, threshold)
    values = display.colour_values(wards, public, threshold)
    text["k"] = display.ranks(values, measure, public, threshold)
    if result.locations is not None:
        from wardmap.maps.locations import ward_location_text

        places = ward_location_text(result, result.config.locations.top)
        text["tl"], text["lf"] = places["tl"].to_numpy(), places["lf"].to_numpy()
    return pd.concat([text.drop(columns=["l", "g"], errors="ignore"), classes], axis=1)


def write_html(result: RunResult, path: Path) -> Path:
    """Write map.html for a run and return its path."""
    page = page_html(interactive_map(result), f"{result.meta.area_name}: ward map")
    path.write_text(page, encoding="utf-8")
    return path


def page_html(fmap: folium.Map, title: str) -> str:
    """The map's page: titled, in English, and zoomable (folium's page forbids pinch zoom,
    which WCAG 1.4.4 asks for)."""
    root = fmap.get_root()
    root.title = html.escape(title)  # branca writes the title as it is
    text = root.render()
    text = text.replace("<html>", '<html lang="en">', 1)
    return text.replace("initial-scale=1.0, maximum-scale=1.0, user-scalable=no",
                        "initial-scale=1.0", 1)


def _base_map(geometry: Any, basemap: str, libraries: tuple[str, ...]) -> folium.Map:
    if basemap not in BASEMAPS:
        raise ConfigError(f"maps.basemap: {basemap!r} is not one of {', '.join(BASEMAPS)}")
    minx, miny, maxx, maxy = geometry.total_bounds
    # A maximum zoom: without tiles Leaflet has none, and the marker-cluster plugin needs one.
    fmap = folium.Map(location=[(miny + maxy) / 2, (minx + maxx) / 2], tiles=None,
                      control_scale=True, maxZoom=19)
    # Nothing from CDNs: folium's default page pulls Leaflet, jQuery, Bootstrap and icon fonts;
    # the ward map needs only Leaflet, embedded from the package.
    fmap.default_js = []
    fmap.default_css = []
    fmap.get_root().header.add_child(_Raw(assets.head_html(libraries)), name="wm_assets")
    if basemap == "osm":
        folium.TileLayer("OpenStreetMap", control=False).add_to(fmap)
    fmap.fit_bounds([[miny, minx], [maxy, maxx]])
    return fmap


def ward_layers(result: RunResult) -> tuple[list[LayerSpec], pd.DataFrame]:
    """Layer specs for the measures present, and the class index of each ward per layer."""
    wards, meta, cfg = result.wards, result.meta, result.config.maps
    public, threshold = result.config.output.public, result.config.output.threshold
    values = display.colour_values(wards, public, threshold)
    counts = display.count_column(wards)
    candidates = [
        (counts, "Incidents" if counts == "incidents" else meta.measure_label, cfg.palette),
        ("rate_per_1000", "Rate per 1,000 residents", cfg.palette),
        ("rate_eb", "Smoothed rate per 1,000", cfg.palette),
        ("change_pct", "Change (%)", cfg.change_palette),
    ]
    layers: list[LayerSpec] = []
    classes = pd.DataFrame(index=wards.index)
    for column, name, palette in candidates:
        if column not in values or not np.isfinite(pd.to_numeric(values[column])).any():
            continue
        small = threshold if public and column == "incidents" else None
        change = column == "change_pct"
        scheme, breaks = ("user", style.CHANGE_BREAKS) if change else (cfg.scheme, cfg.breaks)
        c = style.classify(values[column].rename(column), scheme, cfg.k, breaks or None,
                           palette, diverging=change, small_threshold=small,
                           no_data_label=style.SUPPRESSED_LABEL if public else style.NO_DATA_LABEL)
        key = f"k{len(layers)}"
        classes[key] = c.yb
        layers.append(LayerSpec(name, key, c.colours, name, c.legend_rows(), column))
    lisa = style.lisa_map_labels(wards)
    if lisa is not None:
        colours = style.lisa_map_colours()
        classes["kl"] = [list(colours).index(v) for v in lisa]
        rows = [(colour, k, int((lisa == k).sum())) for k, colour in colours.items()]
        rows = [r for r in rows if r[2] or r[1] not in ("Island", style.BEFORE_CORRECTION_LISA)]
        layers.append(LayerSpec("LISA clusters", "kl", list(colours.values()),
                                "Local Moran's I (LISA)", rows, "lisa_label"))
    gi = style.gi_map_bins(wards)
    if gi is not None:
        classes["kg"] = gi + 4
        layers.append(LayerSpec("Gi* hot and cold spots", "kg",
                                [style.GI_MAP_COLOURS[b] for b in range(-4, 5)],
                                "Getis-Ord Gi*", style.gi_legend_rows(gi), "gi_bin"))
    return layers, classes


def focus_outline(result: RunResult) -> LayerSpec | None:
    """The rank-1 task-force focus area as an outline layer, when the select stage ran."""
    focus = result.focus
    if focus is None or len(focus) == 0 or "ward_codes" not in focus:
        return None
    top = focus.sort_values("rank").iloc[0] if "rank" in focus else focus.iloc[0]
    codes = [c for c in str(top["ward_codes"]).split(";") if c]
    known = set(result.wards["ward_code"].astype(str))
    codes = [c for c in codes if c in known]
    if not codes:
        return None
    names = str(top.get("ward_names", "")).replace(";", ", ")
    title = f"Focus area: {names}" if names else "Focus area"
    return LayerSpec("Focus area (rank 1)", "", [style.FOCUS_COLOUR], title,
                     [(style.FOCUS_COLOUR, "Focus area outline", len(codes))], "focus",
                     outline_codes=codes)


def _default_layer(layers: list[LayerSpec], measure: str) -> LayerSpec | None:
    for spec in layers:
        if spec.column == measure:
            return spec
    return layers[0] if layers else None


def _incident_points(records: pd.DataFrame, crs: Any) -> Any:
    """Placed, in-filter incidents as a clustered layer (off when the map opens)."""
    keep = pd.Series(True, index=records.index)
    if "ward_code" in records:
        keep &= records["ward_code"].notna()
    for col in ("type_match", "period_match"):
        if col in records:
            keep &= records[col].fillna(False).astype(bool)
    if "status" in records:
        keep &= records["status"].isin(["assigned", "snapped"])
    rows = records.loc[keep]
    lon, lat = _lon_lat(rows, crs)
    if lon is None or len(rows) == 0:
        return None
    blank = [None] * len(rows)
    data = [
        [round(float(la), 5), round(float(lo), 5), _s(ct), _s(m), _s(loc)]
        for la, lo, ct, m, loc in zip(
            lat, lon, rows.get("crime_type", blank), rows.get("month", blank),
            rows.get("location", blank), strict=True,
        )
        if np.isfinite(la) and np.isfinite(lo)
    ]
    # Circle markers: no marker images to load.
    callback = """function (row) {
        var m = L.circleMarker(new L.LatLng(row[0], row[1]),
            {radius: 5, color: '#08306b', weight: 1, fillColor: '#2171b5', fillOpacity: 0.8});
        m.bindPopup(wmEsc(row[2]) + '<br>' + wmEsc(row[3]) + '<br>' + wmEsc(row[4]));
        return m;
    }"""
    return _HiddenMarkerCluster(data, callback=callback, name="Incident points", show=False)


class _HiddenMarkerCluster(FastMarkerCluster):
    """FastMarkerCluster that honours show=False (folium's template always adds it to the map;
    folium's Layer.render adds it when show is True). Its script and styles are embedded by
    _base_map, not linked from a CDN."""

    default_js: list[tuple[str, str]] = []
    default_css: list[tuple[str, str]] = []

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            var {{ this.get_name() }} = (function(){
                {{ this.callback }}
                var data = {{ this.data|tojson }};
                var cluster = L.markerClusterGroup({{ this.options|tojavascript }});
                for (var i = 0; i < data.length; i++) {
                    callback(data[i]).addTo(cluster);
                }
                return cluster;
            })();
        {% endmacro %}"""
    )


def _lon_lat(rows: pd.DataFrame, crs: Any) -> tuple[Any, Any]:
    """WGS84 coordinates of records: as given, or from x/y in the analysis CRS."""
    if {"longitude", "latitude"} <= set(rows.columns):
        return rows["longitude"].to_numpy(float), rows["latitude"].to_numpy(float)
    if {"x", "y"} <= set(rows.columns) and crs is not None:
        from pyproj import Transformer

        to_wgs84 = Transformer.from_crs(crs, 4326, always_xy=True)
        return to_wgs84.transform(rows["x"].to_numpy(float), rows["y"].to_numpy(float))
    return None, None


def _s(v: object) -> str:
    return "" if v is None or (isinstance(v, float) and np.isnan(v)) else str(v)


class _Raw(Element):
    """Text placed into the page as it is. branca wraps each rendered script in a new Jinja
    template, which for 2.5 MB of ward data costs most of a second of tokenising."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self._text = text

    def render(self, **kwargs: Any) -> str:
        return self._text


class _WardData(MacroElement):
    """The ward data and page text, embedded once, plus the page's small script and style."""

    def __init__(self, data_json: str, info: dict[str, Any]) -> None:
        super().__init__()
        self._name = "WardData"
        self.data_json = data_json
        self.info = web.script_json(info)

    def render(self, **kwargs: Any) -> None:
        figure = self.get_root()
        name, parent = self.get_name(), self._parent.get_name()
        figure.header.add_child(_Raw(f"<style>{_CSS}</style>\n<script>{_JS}</script>"),
                                name=name)
        script = (f"var {name} = {self.data_json};\nvar {name}_info = {self.info};\n"
                  f"wmSetup({parent}, {name}_info);\n")
        figure.script.add_child(_Raw(script), name=name)


class _WardLayer(Layer):
    """One switchable layer drawn from the shared ward data, listed by folium's LayerControl."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = wmLayer({{ this._parent.get_name() }},
            {{ this.data.get_name() }}, {{ this.data.get_name() }}_info, {{ this.spec }});
        {% endmacro %}
        """
    )

    def __init__(self, data: _WardData, spec: LayerSpec, overlay: bool, show: bool) -> None:
        # Leaflet's layer control writes names as HTML.
        super().__init__(name=html.escape(spec.name), overlay=overlay, show=show)
        self._name = "WardLayer"
        self.data = data
        self.spec = web.script_json(spec.js())


def _page_info(result: RunResult, canvas: bool, ranked: int) -> dict[str, Any]:
    meta = result.meta
    from wardmap.result import SYNTHETIC_NOTICE

    subtitle = " · ".join(x for x in (meta.measure_label, meta.crime_types_label,
                                      meta.period_label) if x)
    notes = [SYNTHETIC_NOTICE] if meta.synthetic else []
    if result.config.output.public:
        notes.append(display.suppression_label(result.config.output.threshold)
                     + ": small counts suppressed")
    from wardmap.normalise import population_note

    if display.count_column(result.wards) == "incidents" and population_note(result.wards):
        notes.append(population_note(result.wards))
    fields = [[label, key, tip] for label, key, tip in FIELDS]
    if display.count_column(result.wards) != "incidents":
        # No records: the first row is the measure analysed (e.g. a partner table's value).
        fields = [[meta.measure_label or "Value", k, t] if k == "i" else [label, k, t]
                  for label, k, t in fields]
    return {
        "title": meta.area_name,
        "subtitle": subtitle,
        "notes": notes,
        "attributions": list(meta.attributions),  # the run decides (none for synthetic data)
        "fields": fields,
        "ranked": ranked,
        "lisa": list(style.lisa_map_colours()),
        "gi": [style.GI_MAP_LABELS[b] for b in range(-4, 5)],
        "canvas": canvas,
        "nodata": style.NO_DATA_COLOUR,
        "explain": p_value_note(result),
    }


def p_value_note(result: RunResult) -> str:
    """What the popups' p-values mean, for the run's permutations, correction and alpha."""
    stats = result.config.stats
    n = len(result.wards)
    note = (f"p: how often {stats.permutations:,} random shufflings of the wards' values "
            "gave a pattern this strong.")
    if stats.correction in CORRECTIONS:
        note += (f" Adjusted p allows for testing all {n:,} wards at once "
                 f"({CORRECTIONS[stats.correction]}); the LISA and Gi* findings count a ward "
                 f"as significant when its adjusted p is below {stats.alpha:g}.")
    else:
        note += (f" No allowance is made for testing {n:,} wards at once: findings count a "
                 f"ward as significant when its p is below {stats.alpha:g}.")
    return note


_CSS = """
.wm-box{background:rgba(255,255,255,.95);padding:6px 9px;border-radius:4px;color:#111;
 box-shadow:0 1px 4px rgba(0,0,0,.3);font:12px/1.35 Arial,sans-serif;max-width:320px}
.wm-title{font-size:15px;font-weight:bold;margin:0}.wm-note{color:#b00020;font-weight:bold}
.wm-layer{font-weight:bold;margin-top:2px}
.wm-legend i{display:inline-block;width:14px;height:12px;margin-right:6px;
 border:1px solid #777;vertical-align:middle}
.wm-legend .wm-n{color:#444}
.wm-legend ul{list-style:none;margin:2px 0 0;padding:0}
.wm-pop td{padding:1px 6px 1px 0;vertical-align:top}.wm-pop{font:12px Arial,sans-serif}
.wm-explain{color:#333;max-width:260px;margin:6px 0 0;font-size:11px}
.leaflet-control-attribution{max-width:55vw;white-space:normal;line-height:1.3;font-size:11px}
.leaflet-container .leaflet-control-attribution a{color:#005a80}
.leaflet-control-layers label{margin:2px 0}
"""

_JS = """
function wmEsc(s) {
  return String(s == null ? '' : s).replace(/[&<>"']/g, function (c) {
    return {'&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;'}[c];
  });
}
function wmSetup(map, info) {
  var box = L.control({position: 'topleft'});
  box.onAdd = function () {
    var d = L.DomUtil.create('div', 'wm-box');
    var h = '<h1 class="wm-title">' + wmEsc(info.title) + '</h1><div>'
      + wmEsc(info.subtitle) + '</div>'
      + '<div class="wm-layer" aria-live="polite"></div>';
    info.notes.forEach(function (n) { h += '<div class="wm-note">' + wmEsc(n) + '</div>'; });
    d.innerHTML = h;
    info.layerTitle = d.querySelector('.wm-layer');
    return d;
  };
  box.addTo(map);
  info.attributions.forEach(function (a) { map.attributionControl.addAttribution(wmEsc(a)); });
  info.renderer = info.canvas ? L.canvas({padding: 0.5}) : L.svg();
  // Focus-area outlines stay above whichever measure layer is switched on.
  map.createPane('wmFocus').style.zIndex = 450;
  info.outlineRenderer = L.svg({pane: 'wmFocus'});
  info.pageTitle = document.title;
}
function wmValue(p, key, info) {
  var v = p[key];
  if (v == null) return null;
  if (key === 'k') return v + ' of ' + info.ranked;
  if (key === 'kl') return info.lisa[v];
  if (key === 'kg') return info.gi[v];
  return v;
}
function wmRows(p, info, popup) {
  var h = '', tested = false;
  info.fields.forEach(function (f) {
    if (!popup && !f[2]) return;
    var v = wmValue(p, f[1], info);
    if (v == null) return;
    tested = tested || f[1] === 'lp' || f[1] === 'gp';
    h += popup ? '<tr><td>' + wmEsc(f[0]) + '</td><td>' + wmEsc(v) + '</td></tr>'
               : '<br>' + wmEsc(f[0]) + ': ' + wmEsc(v);
  });
  if (popup) {
    h = '<table>' + h + '</table>';
    if (tested) h += '<p class="wm-explain">' + wmEsc(info.explain) + '</p>';
  }
  return h;
}
function wmLegend(map, spec) {
  var c = L.control({position: 'bottomright'});
  c.onAdd = function () {
    var d = L.DomUtil.create('div', 'wm-box wm-legend');
    d.setAttribute('role', 'group');
    d.setAttribute('aria-label', 'Legend: ' + spec.title);
    var h = '<b>' + wmEsc(spec.title) + '</b><ul>';
    spec.rows.forEach(function (r) {
      var n = r[2] === 1 ? '1 ward' : r[2] + ' wards';
      h += '<li><i aria-hidden="true" style="background:' + wmEsc(r[0]) + '"></i>'
        + wmEsc(r[1]) + ' <span class="wm-n">(' + wmEsc(n) + ')</span></li>';
    });
    d.innerHTML = h + '</ul>';
    return d;
  };
  return c;
}
function wmFeatures(data) {
  // Features are rebuilt once from the column-wise data and shared by every layer.
  if (!data.features) {
    var keys = Object.keys(data.columns);
    data.features = data.geometries.map(function (g, j) {
      var p = {};
      keys.forEach(function (k) { p[k] = data.columns[k][j]; });
      return {type: 'Feature', id: j, properties: p, geometry: g};
    });
  }
  return {type: 'FeatureCollection', features: data.features};
}
function wmLayer(map, data, info, spec) {
  var outline = spec.codes.length > 0;
  var layer = L.geoJSON(wmFeatures(data), {
    renderer: outline ? info.outlineRenderer : info.renderer,
    pane: outline ? 'wmFocus' : 'overlayPane',
    interactive: !outline,
    filter: outline ? function (f) { return spec.codes.indexOf(f.properties.c) >= 0; } : null,
    style: function (f) {
      if (outline) return {fill: false, color: spec.colours[0], weight: 4, dashArray: '8 4'};
      var k = f.properties[spec.key];
      var fill = (k == null || k < 0) ? info.nodata : spec.colours[k];
      return {fillColor: fill, fillOpacity: 0.75, color: '#444', weight: info.canvas ? 0.25 : 0.7};
    },
    onEachFeature: outline ? null : function (f, l) {
      var p = f.properties;
      var head = '<b>' + wmEsc(p.n) + '</b> (' + wmEsc(p.c) + ')';
      l.bindTooltip(function () { return head + wmRows(p, info, false); }, {sticky: true});
      l.bindPopup(function () {
        return '<div class="wm-pop">' + head + wmRows(p, info, true) + '</div>';
      });
      // The popup says all the tooltip does: hide the tooltip while it is open.
      l.on('popupopen', function () { l.closeTooltip(); l.getTooltip().setOpacity(0); });
      l.on('popupclose', function () { l.getTooltip().setOpacity(0.9); });
    }
  });
  var legend = wmLegend(map, spec);
  layer.on('add', function () {
    legend.addTo(map);
    if (!outline && info.layerTitle) {
      // The title box and the page title name the layer on show.
      info.layerTitle.textContent = 'Showing: ' + spec.name;
      document.title = spec.name + ' - ' + info.pageTitle;
    }
  });
  layer.on('remove', function () { legend.remove(); });
  return layer;
}
"""
