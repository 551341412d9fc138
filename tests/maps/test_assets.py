"""The web libraries map.html embeds: unmodified copies of the pinned npm packages, licensed,
and nothing loaded from anywhere else."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from wardmap.maps import assets

ASSETS = Path(assets.__file__).resolve().parents[1] / "assets"
NODE_MODULES = Path(__file__).resolve().parents[1] / "browser" / "node_modules"
COPIES = {
    "leaflet": ["dist/leaflet.js", "dist/leaflet.css", "LICENSE", "dist/images/layers.png",
                "dist/images/layers-2x.png", "dist/images/marker-icon.png",
                "dist/images/marker-icon-2x.png", "dist/images/marker-shadow.png"],
    "leaflet.markercluster": ["dist/leaflet.markercluster.js", "dist/MarkerCluster.css",
                              "dist/MarkerCluster.Default.css", "MIT-LICENCE.txt"],
}


def test_vendored_files_are_the_pinned_npm_packages():
    if not NODE_MODULES.is_dir():
        if os.environ.get("WARDMAP_REQUIRE_SHARED") == "1":
            pytest.fail(f"{NODE_MODULES} missing (run `make browser-assets`)")
        pytest.skip(f"{NODE_MODULES} missing (run `make browser-assets`)")
    pinned = json.loads((NODE_MODULES.parent / "package.json").read_text())["dependencies"]
    for library, files in COPIES.items():
        assert pinned[library] == assets.VERSIONS[library]
        installed = json.loads((NODE_MODULES / library / "package.json").read_text())
        assert installed["version"] == assets.VERSIONS[library]
        for name in files:
            vendored = ASSETS / library / Path(name).name
            assert vendored.read_bytes() == (NODE_MODULES / library / name).read_bytes(), name


def test_embedded_head_loads_nothing_from_outside():
    head = assets.head_html(("leaflet", "leaflet.markercluster"))
    assert "sourceMappingURL" not in head
    assert not re.search(r"<(script|link)[^>]+(src|href)=", head)
    assert not re.search(r"url\((?!data:|#default#VML)", head)  # images inlined
    for library, licence in assets.LICENCES.items():
        assert f"{library} {assets.VERSIONS[library]} ({licence})" in head
