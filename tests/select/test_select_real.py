"""Focus areas and ward clusters on Maidstone's 26 real wards with two months of police.uk
records (../shared/data)."""

import itertools

import libpysal
import pytest

from tests.select.select_helpers import is_connected, touching
from wardmap.config import ClustersConfig, FocusConfig
from wardmap.select.clusters import find_clusters
from wardmap.select.focus import find_focus_areas

pytestmark = pytest.mark.shared


def queen_area_count(wards, k):
    """Connected k-subsets under libpysal's queen contiguity, by brute force."""
    wards = wards.sort_values("ward_code").reset_index(drop=True)
    queen = libpysal.weights.Queen.from_dataframe(wards, use_index=False, silence_warnings=True)
    count = 0
    for subset in itertools.combinations(range(len(wards)), k):
        members, seen, todo = set(subset), {subset[0]}, [subset[0]]
        while todo:
            for u in queen.neighbors[todo.pop()]:
                if u in members and u not in seen:
                    seen.add(u)
                    todo.append(u)
        count += seen == members
    return count


@pytest.mark.parametrize("k", [1, 2, 3, 4])
def test_focus_areas_complete_and_connected(maidstone_result, k):
    config = FocusConfig(size=k, top=25, indicators=["asb", "violent crime"],
                         exclude=["High Street"])
    focus = find_focus_areas(maidstone_result, config)
    adjacency = touching(maidstone_result.wards)
    high_street = maidstone_result.wards.set_index("ward_name").loc["High Street", "ward_code"]
    for codes in focus["ward_codes"]:
        members = codes.split(";")
        assert len(members) == k and high_street not in members
        assert is_connected(members, adjacency)
    # The search reason, then what leaving out each flagged map point does to the lead.
    assert focus.loc[0, "reason"].split(". ")[0].endswith("excluding High Street")
    assert "robust" in focus.loc[0, "reason"].lower()


@pytest.mark.parametrize("k", [2, 3, 4])
def test_every_connected_area_is_counted(maidstone_result, k):
    focus = find_focus_areas(maidstone_result, FocusConfig(size=k))
    assert focus.attrs["exhaustive"]
    assert focus.attrs["examined"] == queen_area_count(maidstone_result.wards, k)


def test_clusters_contiguous_capped_and_repeatable(maidstone_result):
    config = ClustersConfig(max_size=4)
    first = find_clusters(maidstone_result, config)
    adjacency = touching(maidstone_result.wards)
    assert len(first) == 26
    for _, group in first.groupby("cluster"):
        assert len(group) <= 4
        assert is_connected(group["ward_code"].tolist(), adjacency)
    assert find_clusters(maidstone_result, config).equals(first)
