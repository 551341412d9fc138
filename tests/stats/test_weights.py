"""Spatial weights: contiguity equals libpysal's on real boundaries; islands, components,
k-nearest and distance bands; bad input gives a clear error."""

import warnings

import geopandas as gpd
import numpy as np
import pytest
import shapely

from wardmap.errors import WardmapError
from wardmap.stats.weights import build_weights

libpysal = pytest.importorskip("libpysal")


def libpysal_neighbours(frame: gpd.GeoDataFrame, kind: str) -> list[list[int]]:
    cls = libpysal.weights.Queen if kind == "queen" else libpysal.weights.Rook
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        w = cls.from_dataframe(frame, use_index=False)
    return [sorted(w.neighbors[i]) for i in range(len(frame))]


@pytest.fixture(scope="module")
def maidstone(shared_data):
    return gpd.read_file(shared_data / "boundaries" / "maidstone_wards_2013.geojson").to_crs(
        27700)


@pytest.fixture(scope="module")
def england(shared_data):
    return gpd.read_parquet(shared_data / "boundaries" / "england_wards_2013.parquet")


def squares(n_cols: int = 3, n_rows: int = 3) -> gpd.GeoDataFrame:
    boxes = [shapely.box(c, r, c + 1, r + 1) for r in range(n_rows) for c in range(n_cols)]
    return gpd.GeoDataFrame({"ward_code": [f"W{i}" for i in range(len(boxes))]},
                            geometry=boxes, crs=27700)


@pytest.mark.parametrize("kind", ["queen", "rook"])
def test_maidstone_contiguity_equals_libpysal(maidstone, kind):
    w = build_weights(maidstone, kind)
    assert [list(n) for n in w.neighbors] == libpysal_neighbours(maidstone, kind)
    assert w.islands == [] and w.n_components == 1


@pytest.fixture(scope="module")
def england_queen(england):
    return build_weights(england, islands="label")


@pytest.mark.parametrize("kind", ["queen", "rook"])
def test_england_contiguity_equals_libpysal(england, england_queen, kind):
    if kind == "rook":  # the north of England (a third of the wards) keeps the run short
        england = england.iloc[:2500]
    w = england_queen if kind == "queen" else build_weights(england, kind, islands="label")
    expected = libpysal_neighbours(england, kind)
    # Wards with no exact shared vertex (queen) or edge (rook) fall back to touching wards,
    # where libpysal finds none: only those may differ.
    assert all(expected[i] == [] for i in w.inexact)
    for i in w.inexact:
        expected[i] = list(w.neighbors[i])
        for j in w.neighbors[i]:
            expected[j] = sorted(set(expected[j]) | {i})
    assert [list(n) for n in w.neighbors] == expected
    assert w.inexact == [] if kind == "queen" else 644 in w.inexact


def test_england_islands_joined_or_labelled(england, england_queen):
    labelled = england_queen
    assert len(labelled.islands) == 6  # as the data's README says
    assert list(labelled.unlinked) == labelled.islands
    joined = build_weights(england, islands="nearest")
    assert joined.islands == labelled.islands
    assert [i for i, _ in joined.joined_islands] == joined.islands
    assert len(joined.unlinked) == 0
    assert joined.n_components < labelled.n_components
    geoms = england.geometry.to_numpy()
    for island, nearest in joined.joined_islands:
        assert island in joined.neighbors[nearest] and nearest in joined.neighbors[island]
        # The nearest ward really is the nearest: no other ward's boundary is closer.
        around = england.sindex.query(geoms[island].buffer(0.5))
        around = around[around != island]
        distance = shapely.distance(geoms[island], geoms[around])
        assert shapely.distance(geoms[island], geoms[nearest]) == pytest.approx(
            distance.min(), abs=1e-12)


def test_weights_shape():
    w = build_weights(squares(), "queen")
    matrix = w.binary.toarray()
    assert (matrix == matrix.T).all() and (np.diag(matrix) == 0).all()
    assert set(np.unique(matrix)) == {0.0, 1.0}
    assert list(w.cardinalities) == [3, 5, 3, 5, 8, 5, 3, 5, 3]
    assert list(build_weights(squares(), "rook").cardinalities) == [2, 3, 2, 3, 4, 3, 2, 3, 2]
    assert all((np.diff(n) > 0).all() for n in w.neighbors)
    np.testing.assert_allclose(w.row_standardised().sum(axis=1), 1.0)


def test_components_reported():
    frame = squares(2, 1)
    far = gpd.GeoDataFrame({"ward_code": ["X", "Y"]}, geometry=[
        shapely.box(10, 10, 11, 11), shapely.box(11, 10, 12, 11)], crs=27700)
    both = gpd.GeoDataFrame(np.concatenate([frame.to_numpy(), far.to_numpy()]),
                            columns=frame.columns, geometry="geometry", crs=27700)
    w = build_weights(both)
    assert w.n_components == 2 and w.islands == []
    assert len(set(w.component_labels[:2]) & set(w.component_labels[2:])) == 0


def test_touching_without_shared_vertices():
    """Boundaries generalised polygon by polygon (England's LSOA file) share no exact vertex;
    wards that touch or overlap still count as neighbours."""
    left = shapely.Polygon([(0, 0), (1, 0), (1, 1), (0, 1)])
    right = shapely.Polygon([(0.999999, 0.3), (2, 0.2), (2, 1), (1.000001, 0.9)])
    frame = gpd.GeoDataFrame({"ward_code": ["A", "B"]}, geometry=[left, right], crs=27700)
    w = build_weights(frame)
    assert w.islands == [] and w.inexact == [0, 1]
    assert list(w.neighbors[0]) == [1]


def test_knn_and_distance_band_equal_libpysal(maidstone):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        knn = libpysal.weights.KNN.from_dataframe(maidstone, k=4, use_index=False)
        band = libpysal.weights.DistanceBand.from_dataframe(
            maidstone, threshold=4_000, binary=True, use_index=False)
    ours = build_weights(maidstone, "knn", k=4)
    assert [list(n) for n in ours.neighbors] == [sorted(knn.neighbors[i])
                                                  for i in range(len(maidstone))]
    ours = build_weights(maidstone, "distance", distance=4_000, islands="label")
    assert [list(n) for n in ours.neighbors] == [sorted(band.neighbors[i])
                                                  for i in range(len(maidstone))]


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"kind": "hexagon"}, "unknown weights kind"),
    ({"islands": "drop"}, "unknown islands option"),
    ({"kind": "distance"}, "positive 'distance'"),
    ({"kind": "knn", "k": 9}, "k < number of wards"),
    ({"kind": "knn", "k": 0}, "k >= 1"),
])
def test_bad_options_are_clear(kwargs, message):
    with pytest.raises(WardmapError, match=message):
        build_weights(squares(), **kwargs)


def test_missing_geometry_is_clear():
    frame = squares()
    frame.loc[3, "geometry"] = None
    with pytest.raises(WardmapError, match="1 ward\\(s\\) have no geometry"):
        build_weights(frame)


def test_single_ward_is_an_island():
    w = build_weights(squares(1, 1))
    assert w.n == 1 and w.islands == [0] and w.joined_islands == []
