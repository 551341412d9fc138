"""A run whose records all fall outside the wards still writes its maps."""

import json

from click.testing import CliRunner

from wardmap.cli import cli


def test_maps_are_written_when_no_record_lands_in_a_ward(shared_data, tmp_path):
    source = shared_data / "police" / "2017-11-maidstone-street.csv"
    lines = source.read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    lon, lat = header.index("Longitude"), header.index("Latitude")
    rows = []
    for line in lines[1:6]:
        cells = line.split(",")
        cells[lon], cells[lat] = "-1.5", "52.5"  # the Midlands: outside Maidstone
        rows.append(",".join(cells))
    path = tmp_path / "outside.csv"
    path.write_text("\n".join([lines[0], *rows]) + "\n", encoding="utf-8")
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, [
        "run", "--boundaries", str(shared_data / "boundaries" / "maidstone_wards_2013.geojson"),
        "--incidents", str(path), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert json.loads((out / "accounting.json").read_text())["outside"] == 5
    assert (out / "map.png").exists() and (out / "map.html").exists()
    assert not (out / "heatmap.png").exists()
