"""QGIS styles inside wards.gpkg, so the layers open coloured as map.png, map_lisa.png and
map_gi.png are, rather than as grey polygons.

QGIS (and GDAL) keep a GeoPackage's default styles in a ``layer_styles`` table (f_table_name,
f_geometry_column, styleName, styleQML, styleSLD, useAsDefault, ...), one row per layer. Each
style here is rule based, one rule per map class with the legend's own label, and a last rule
for wards without a value. The classes are style.classify's, computed as writer.py computes
them for map.png, so the file and the picture agree.
"""

from __future__ import annotations

import sqlite3
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import geopandas as gpd

from wardmap.maps import display, style
from wardmap.result import RunResult

EDGE = "#4d4d4d"
LAYER_STYLES_SQL = """
CREATE TABLE IF NOT EXISTS layer_styles (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    f_table_catalog TEXT(256),
    f_table_schema TEXT(256),
    f_table_name TEXT(256),
    f_geometry_column TEXT(256),
    styleName TEXT(30),
    styleQML TEXT,
    styleSLD TEXT,
    useAsDefault BOOLEAN,
    description TEXT,
    owner TEXT(30),
    ui TEXT(30),
    update_time DATETIME DEFAULT CURRENT_TIMESTAMP
)"""
LISA_COLUMNS = ["ward_code", "ward_name", "lisa_I", "lisa_p", "lisa_p_adj", "lisa_label"]
GI_COLUMNS = ["ward_code", "ward_name", "gi_z", "gi_p", "gi_p_adj", "gi_bin"]


@dataclass(frozen=True)
class Rule:
    """One class of a layer's style: a QGIS filter expression and its SLD equivalent."""

    label: str
    colour: str
    column: str
    lower: float | None = None  # value > lower (None: no lower bound)
    upper: float | None = None  # value <= upper
    equals: str | int | None = None
    otherwise: bool = False  # every feature no other rule takes (no data)

    def expression(self) -> str:
        name = '"' + self.column.replace('"', '""') + '"'
        if self.otherwise:
            return "ELSE"
        if self.equals is not None:
            value = self.equals if isinstance(self.equals, int) else \
                "'" + str(self.equals).replace("'", "''") + "'"
            return f"{name} = {value}"
        parts = []
        if self.lower is not None:
            parts.append(f"{name} > {self.lower!r}")
        if self.upper is not None:
            parts.append(f"{name} <= {self.upper!r}")
        return " AND ".join(parts)


def write_styled_layers(result: RunResult, table: gpd.GeoDataFrame, path: Path) -> None:
    """Add the "lisa" and "gi" layers to the GeoPackage at ``path`` (after "wards", which stays
    the first and default layer) and a layer_styles row for each layer."""
    styles = {"wards": ward_rules(result, table)}
    for layer, columns, rules in (("lisa", LISA_COLUMNS, lisa_rules(table)),
                                  ("gi", GI_COLUMNS, gi_rules(table))):
        if rules:
            keep = [c for c in columns if c in table]
            table[[*keep, "geometry"]].to_file(path, layer=layer, driver="GPKG",
                                               engine="pyogrio")
            styles[layer] = rules
    write_layer_styles(path, {name: rules for name, rules in styles.items() if rules})


def ward_rules(result: RunResult, table: gpd.GeoDataFrame) -> list[Rule]:
    """The classes of map.png: same column, scheme, palette and labels."""
    from wardmap.maps.writer import main_column

    cfg, meta = result.config.maps, result.meta
    public, threshold = result.config.output.public, result.config.output.threshold
    values = display.colour_values(result.wards, public, threshold)
    column = main_column(values, meta.measure)
    if column not in table or table[column].map(lambda v: isinstance(v, str)).any():
        return []  # a column holding "<5" text is not numeric in the file: no classes
    small = threshold if public and column == "incidents" else None
    classes = style.classify(values[column].rename(column), cfg.scheme, cfg.k,
                             list(cfg.breaks) or None, cfg.palette, small_threshold=small)
    rules = []
    for i, (colour, label, count) in enumerate(zip(classes.colours, classes.labels,
                                                   classes.counts, strict=True)):
        lower = None if i == 0 else classes.bins[i - 1]
        rules.append(Rule(_counted(label, count), colour, column, lower, classes.bins[i]))
    rules.append(Rule(style.NO_DATA_LABEL, style.NO_DATA_COLOUR, column, otherwise=True))
    return rules


def lisa_rules(table: gpd.GeoDataFrame) -> list[Rule]:
    labels = style.lisa_labels(table)
    if labels is None:
        return []
    return [Rule(_counted(k, int((labels == k).sum())), style.LISA_COLOURS[k], "lisa_label",
                 equals=k) for k in style.LISA_ORDER if k != "Not significant"] + [
        Rule("Not significant", style.LISA_COLOURS["Not significant"], "lisa_label",
             otherwise=True)]


def gi_rules(table: gpd.GeoDataFrame) -> list[Rule]:
    bins = style.gi_bins(table)
    if bins is None:
        return []
    return [Rule(_counted(style.GI_LABELS[b], int((bins == b).sum())), style.GI_COLOURS[b],
                 "gi_bin", equals=b) for b in range(3, -4, -1) if b != 0] + [
        Rule(style.GI_LABELS[0], style.GI_COLOURS[0], "gi_bin", otherwise=True)]


def _counted(label: str, n: int) -> str:
    return f"{label} ({n:,} ward{'s' if n != 1 else ''})"


def write_layer_styles(path: Path, styles: dict[str, list[Rule]]) -> None:
    """Create layer_styles (QGIS's schema) and one default style per layer."""
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    with sqlite3.connect(path) as db:
        db.execute(LAYER_STYLES_SQL)
        geometry = dict(db.execute(
            "SELECT table_name, column_name FROM gpkg_geometry_columns").fetchall())
        for layer, rules in styles.items():
            db.execute(
                "INSERT INTO layer_styles (f_table_catalog, f_table_schema, f_table_name, "
                "f_geometry_column, styleName, styleQML, styleSLD, useAsDefault, description, "
                "owner, ui, update_time) VALUES ('', '', ?, ?, ?, ?, ?, 1, ?, '', NULL, ?)",
                (layer, geometry.get(layer, "geom"), layer, qml(rules), sld(layer, rules),
                 "wardmap: the classes and colours of the run's maps", now),
            )
        # Registered as an attribute table, as GDAL and QGIS register it themselves.
        db.execute(
            "INSERT OR REPLACE INTO gpkg_contents (table_name, data_type, identifier, "
            "description, last_change) VALUES ('layer_styles', 'attributes', 'layer_styles', "
            "'', ?)", (now,))
    db.close()


def qml(rules: list[Rule]) -> str:
    """A QGIS rule-based renderer (QML) for the rules."""
    root = ET.Element("qgis", version="3.28.0", styleCategories="Symbology")
    renderer = ET.SubElement(root, "renderer-v2", type="RuleRenderer", symbollevels="0",
                             enableorderby="0", forceraster="0")
    parent = ET.SubElement(renderer, "rules", key="root")
    symbols = ET.SubElement(renderer, "symbols")
    for i, rule in enumerate(rules):
        ET.SubElement(parent, "rule", key=f"rule{i}", label=rule.label,
                      filter=rule.expression(), symbol=str(i))
        symbol = ET.SubElement(symbols, "symbol", type="fill", name=str(i), alpha="1",
                               clip_to_extent="1", force_rhr="0")
        layer = ET.SubElement(symbol, "layer", {"class": "SimpleFill", "enabled": "1",
                                                "locked": "0", "pass": "0"})
        options = ET.SubElement(layer, "Option", type="Map")
        for name, value in (("color", _rgba(rule.colour)), ("outline_color", _rgba(EDGE)),
                            ("outline_style", "solid"), ("outline_width", "0.2"),
                            ("outline_width_unit", "MM"), ("style", "solid")):
            ET.SubElement(options, "Option", name=name, type="QString", value=value)
    body = ET.tostring(root, encoding="unicode")
    return "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n" + body


def sld(layer: str, rules: list[Rule]) -> str:
    """The same style as OGC SLD 1.1 (for GeoServer, ArcGIS Pro and other tools)."""
    ns = {"": "http://www.opengis.net/sld", "ogc": "http://www.opengis.net/ogc",
          "se": "http://www.opengis.net/se"}
    sld_ns, ogc, se = (f"{{{ns[k]}}}" for k in ("", "ogc", "se"))
    for prefix, uri in ns.items():
        ET.register_namespace(prefix, uri)
    root = ET.Element(f"{sld_ns}StyledLayerDescriptor", version="1.1.0")
    named = ET.SubElement(root, f"{sld_ns}NamedLayer")
    ET.SubElement(named, f"{se}Name").text = layer
    user = ET.SubElement(named, f"{sld_ns}UserStyle")
    ET.SubElement(user, f"{se}Name").text = layer
    fts = ET.SubElement(user, f"{se}FeatureTypeStyle")
    for rule in rules:
        node = ET.SubElement(fts, f"{se}Rule")
        ET.SubElement(node, f"{se}Name").text = rule.label
        description = ET.SubElement(node, f"{se}Description")
        ET.SubElement(description, f"{se}Title").text = rule.label
        if rule.otherwise:
            ET.SubElement(node, f"{se}ElseFilter")
        else:
            _sld_filter(ET.SubElement(node, f"{ogc}Filter"), rule, ogc)
        symbolizer = ET.SubElement(node, f"{se}PolygonSymbolizer")
        fill = ET.SubElement(symbolizer, f"{se}Fill")
        ET.SubElement(fill, f"{se}SvgParameter", name="fill").text = rule.colour
        stroke = ET.SubElement(symbolizer, f"{se}Stroke")
        ET.SubElement(stroke, f"{se}SvgParameter", name="stroke").text = EDGE
        ET.SubElement(stroke, f"{se}SvgParameter", name="stroke-width").text = "0.5"
    return ET.tostring(root, encoding="unicode", xml_declaration=True)


def _sld_filter(parent: ET.Element, rule: Rule, ogc: str) -> None:
    tests = []
    if rule.equals is not None:
        tests.append(("PropertyIsEqualTo", rule.equals))
    if rule.lower is not None:
        tests.append(("PropertyIsGreaterThan", rule.lower))
    if rule.upper is not None:
        tests.append(("PropertyIsLessThanOrEqualTo", rule.upper))
    target = ET.SubElement(parent, f"{ogc}And") if len(tests) > 1 else parent
    for op, value in tests:
        node = ET.SubElement(target, f"{ogc}{op}")
        ET.SubElement(node, f"{ogc}PropertyName").text = rule.column
        ET.SubElement(node, f"{ogc}Literal").text = str(value)


def _rgba(colour: str) -> str:
    from matplotlib.colors import to_rgba

    r, g, b, a = (round(255 * x) for x in to_rgba(colour))
    return f"{r},{g},{b},{a}"
