import pandas as pd
import pytest

from wardmap.align import match_keys, name_key
from wardmap.errors import InputError

WARDS = pd.DataFrame({
    "ward_code": ["E1", "E2", "E3", "E4", "E5"],
    "ward_name": ["Park Wood", "Bridge & Heath", "Shepway North", "Shepway South", "High Street"],
})


@pytest.mark.parametrize("name,key", [("Park Wood", "parkwood"), ("PARKWOOD ward", "parkwood"),
                                      ("Bridge and Heath", "bridgeandheath"),
                                      ("Bridge & Heath", "bridgeandheath"),
                                      ("Shepway-North.", "shepwaynorth")])
def test_name_key(name, key):
    assert name_key(name) == key


def test_codes_then_tolerant_names():
    assert match_keys(["E1", "E3"], WARDS, "t").codes == {"E1": "E1", "E3": "E3"}
    found = match_keys(["parkwood", "Bridge and Heath Ward", "shepway south"], WARDS, "t")
    assert found.codes == {"parkwood": "E1", "Bridge and Heath Ward": "E2", "shepway south": "E4"}
    assert found.near_misses == []


def test_near_miss_is_matched_and_reported():
    found = match_keys(["High Stret"], WARDS, "t")
    assert found.codes == {"High Stret": "E5"}
    assert "matched 'High Stret' to ward 'High Street'" in found.near_misses[0]


def test_unmatched_name_lists_closest_candidates():
    with pytest.raises(InputError, match=r"'Shepway' matches no ward \(closest: 'Shepway "):
        match_keys(["Shepway"], WARDS, "t")


def test_unknown_allowed_for_wider_tables():
    found = match_keys(["Park Wood", "Tunbridge Wells"], WARDS, "t", allow_unknown=True)
    assert found.codes == {"Park Wood": "E1"}
    assert [k for k, _ in found.unknown] == ["Tunbridge Wells"]


def test_two_keys_for_one_ward_is_an_error():
    with pytest.raises(InputError, match="all match ward E1"):
        match_keys(["Park Wood", "Parkwood"], WARDS, "t")


def test_ambiguous_name():
    wards = pd.concat([WARDS, pd.DataFrame({"ward_code": ["E6"], "ward_name": ["Park-Wood"]})])
    with pytest.raises(InputError, match="ambiguous"):
        match_keys(["park wood"], wards, "t")
