"""A ward-level partner table (--counts) with a population: what the summary says of it."""

import json

from click.testing import CliRunner

from tests.helpers import grid_wards
from wardmap.cli import cli


def test_counts_table_total_and_rate_label(tmp_path):
    wards = tmp_path / "wards.geojson"
    grid_wards().to_crs("EPSG:4326").to_file(wards)
    admissions = [12, 30, 7, 45, 22, 18]
    table = tmp_path / "admissions.csv"
    table.write_text("Ward Code,Admissions\n" + "".join(
        f"W0{i},{n}\n" for i, n in enumerate(admissions, start=1)))
    population = tmp_path / "pop.csv"
    population.write_text("Ward Code,Ward Name,All Ages\n" + "".join(
        f"W0{i},Ward {i},{1000 * i}\n" for i in range(1, 7)))
    base = ["run", "--boundaries", str(wards), "--counts", str(table), "--value-col",
            "Admissions", "--population", str(population), "--permutations", "99",
            "--no-maps"]
    for measure in ("auto", "rate"):
        out = tmp_path / measure
        result = CliRunner().invoke(cli, [*base, "--measure", measure, "--out", str(out)],
                                    catch_exceptions=False)
        assert result.exit_code == 0, result.output
        summary = json.loads((out / "summary.json").read_text())
        # The table's total, not the sum of the rates analysed in its place.
        assert summary["value_total"] == sum(admissions)
    from wardmap.config import Config
    from wardmap.pipeline import analyse

    config = Config()
    config.inputs.boundaries, config.inputs.counts = str(wards), str(table)
    config.inputs.value_col, config.inputs.population = "Admissions", str(population)
    config.stats.measure, config.stats.permutations = "rate", 0
    assert analyse(config).meta.measure_label == "Admissions per 1,000 residents"
