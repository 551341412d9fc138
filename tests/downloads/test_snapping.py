"""Snapping fills the slivers between wards; it never pulls in a neighbour's records."""

from wardmap.aggregate import count_by_ward, place_records
from wardmap.config import Config
from wardmap.load.boundaries import read_boundaries
from wardmap.load.incidents import read_incidents


def test_half_the_borough_does_not_take_the_other_halfs_records(shared_data, wards_path,
                                                                tmp_path):
    """Item 4: the western half of Maidstone with the whole borough's records (as a district
    with a force-wide file). Before, 44 records were snapped in (+18.7% on one ward)."""
    wards, _ = read_boundaries(wards_path)
    centre_x = wards.geometry.centroid.x
    half_path = tmp_path / "half.gpkg"
    wards[centre_x < centre_x.median()].to_file(half_path)
    half, _ = read_boundaries(half_path)
    records, _ = read_incidents([str(shared_data / "police")], Config().inputs)
    whole = count_by_ward(place_records(records, wards, Config()).records, wards)
    placed = place_records(records, half, Config())
    # Only a record within the tolerance of two wards (a sliver, or where two wards meet the
    # edge) or in a hole of a ward is snapped: none here.
    assert placed.accounting["snapped"] == 0
    gained = count_by_ward(placed.records, half) - whole.reindex(half["ward_code"]).to_numpy()
    assert gained.max() <= 1 and gained.min() == 0
    assert placed.accounting["outside"] > 800
