"""The JavaScript and CSS map.html needs, embedded from copies inside the package.

map.html must work on a locked-down council network or an offline laptop, so nothing is
loaded from a CDN: Leaflet and Leaflet.markercluster are vendored, unmodified, from their npm
packages (versions in ``VERSIONS``; licences beside them in src/wardmap/assets/; see
assets/README.md) and written into the page. Images the stylesheets refer to become data URIs.
"""

from __future__ import annotations

import base64
import re
from functools import cache
from importlib import resources

VERSIONS = {"leaflet": "1.9.4", "leaflet.markercluster": "1.5.3"}
LICENCES = {"leaflet": "BSD-2-Clause", "leaflet.markercluster": "MIT"}
_FILES = {
    "leaflet": (["leaflet.js"], ["leaflet.css"]),
    "leaflet.markercluster": (["leaflet.markercluster.js"],
                              ["MarkerCluster.css", "MarkerCluster.Default.css"]),
}
_SOURCE_MAP = re.compile(r"^//# sourceMappingURL=.*$", re.MULTILINE)
_CSS_IMAGE = re.compile(r"url\(images/([\w.-]+\.png)\)")


def asset_text(library: str, name: str) -> str:
    """A vendored file's text, e.g. ``asset_text("leaflet", "leaflet.js")``."""
    return (resources.files("wardmap") / "assets" / library / name).read_text(encoding="utf-8")


@cache
def head_html(libraries: tuple[str, ...] = ("leaflet",)) -> str:
    """<style> and <script> elements holding the given libraries, in order, for the <head>.

    Source-map comments are dropped (they would make developer tools fetch a missing file);
    each block starts with the library's name, version and licence.
    """
    parts = []
    for library in libraries:
        scripts, styles = _FILES[library]
        banner = (f"/* {library} {VERSIONS[library]} ({LICENCES[library]}), embedded by "
                  "wardmap from its npm package */\n")
        for name in styles:
            css = _CSS_IMAGE.sub(lambda m, lib=library: _data_uri(lib, m.group(1)),
                                 asset_text(library, name))
            parts.append(f"<style>{banner}{css}</style>")
        for name in scripts:
            js = _SOURCE_MAP.sub("", asset_text(library, name))
            if "</script" in js.lower():  # would end the inline element early
                raise ValueError(f"{library}/{name} cannot be embedded inline")
            parts.append(f"<script>{banner}{js}</script>")
    return "\n".join(parts)


def _data_uri(library: str, image: str) -> str:
    data = (resources.files("wardmap") / "assets" / library / image).read_bytes()
    return f"url(data:image/png;base64,{base64.b64encode(data).decode('ascii')})"
