"""Map points on map.html: each ward's top locations in its popup, and a layer of the busiest
map points as circles sized by count (off when the map opens; never on public maps, whose
readers should not be shown exact points with their counts). Imported only with folium, when
maps are written."""

from __future__ import annotations

import math

import pandas as pd
from folium.map import Layer
from folium.template import Template

from wardmap.disclosure import format_count
from wardmap.locations import point_labels
from wardmap.maps import web
from wardmap.result import RunResult

LAYER_NAME = "Busiest map points"
CIRCLE_COLOUR = "#6a3d9a"


def ward_location_text(result: RunResult, top: int) -> pd.DataFrame:
    """Per ward (ward-table order): ``tl``, its ``top`` busiest map points with counts
    ("On or near Hospital (53); ..."), and ``lf``, the flag sentence for a flagged ward."""
    found, output = result.locations, result.config.output
    codes = result.wards["ward_code"]
    count = lambda n: format_count(n, output.threshold, output.public)  # noqa: E731
    points = found.points.groupby("ward_code", sort=False).head(max(top, 0))
    listed = points.assign(_t=[f"{loc} ({count(n)})" for loc, n in
                               zip(point_labels(points), points["count"], strict=True)])
    text = listed.groupby("ward_code", sort=False)["_t"].agg("; ".join)
    flags = found.flagged.set_index("ward_code")
    flag_text = pd.Series({code: f"{count(f['count'])} of {count(f['incidents'])} at "
                           f"{f['location']} ({f['share']:.0%})"
                           for code, f in flags.iterrows()}, dtype=object)
    return pd.DataFrame({"tl": text.reindex(codes).to_numpy(),
                         "lf": flag_text.reindex(codes).to_numpy()}, index=result.wards.index)


def locations_layer(result: RunResult, limit: int) -> PointsLayer | None:
    """A layer of the ``limit`` busiest map points (hidden when the map opens), or None."""
    points = result.locations.points
    if limit <= 0 or points.empty:
        return None
    busiest = points.sort_values(["count", "ward_code", "location"],
                                 ascending=[False, True, True], kind="stable").head(limit)
    largest = float(busiest["count"].max())
    rows = [[round(float(r.lat), 6), round(float(r.lon), 6),
             round(3 + 12 * math.sqrt(r.count / largest), 1), label, str(r.ward_name),
             int(r.count), f"{r.share_of_ward:.0%}"]
            for r, label in zip(busiest.itertuples(), point_labels(busiest), strict=True)]
    return PointsLayer(rows)


class PointsLayer(Layer):
    """Circles drawn by the page from one JSON list, texts escaped in the browser (``wmEsc``)
    as for the ward layers: folium's own Popup needs jQuery, which map.html does not load."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = (function () {
          var group = L.featureGroup();
          {{ this.rows }}.forEach(function (r) {
            var text = '<b>' + wmEsc(r[3]) + '</b><br>' + wmEsc(r[4]) + '<br>'
              + wmEsc(r[5]) + ' records (' + wmEsc(r[6]) + ' of the ward)';
            L.circleMarker([r[0], r[1]], {radius: r[2], color: '{{ this.colour }}',
              weight: 1, fillColor: '{{ this.colour }}', fillOpacity: 0.55})
              .bindTooltip(text).bindPopup(text).addTo(group);
          });
          return group;
        })();
        {% endmacro %}""")

    def __init__(self, rows: list[list]) -> None:
        super().__init__(name=LAYER_NAME, overlay=True, show=False)
        self._name = "PointsLayer"
        self.rows = web.script_json(rows)
        self.colour = CIRCLE_COLOUR
