import pytest

from wardmap.config import Config, load_config
from wardmap.errors import ConfigError


def write(tmp_path, text):
    path = tmp_path / "run.toml"
    path.write_text(text)
    return path


def test_full_config_and_relative_paths(tmp_path):
    path = write(tmp_path, '[inputs]\nboundaries = "b/wards.gpkg"\nincidents = ["police"]\n'
                           'snap_tolerance = 50\n[filters]\nmonths = "2024-01:2024-03"\n'
                           '[groups]\nnte = ["Drugs", "Public order"]\n'
                           '[stats]\npermutations = 499\ncorrection = "bonferroni"\n')
    config = load_config(path)
    assert config.inputs.boundaries == str(tmp_path / "b/wards.gpkg")
    assert config.inputs.incidents == [str(tmp_path / "police")]
    assert config.inputs.snap_tolerance == 50.0
    assert config.stats.permutations == 499 and config.stats.correction == "bonferroni"
    assert config.crime_groups()["nte"] == ["Drugs", "Public order"]
    assert "violent crime" in config.crime_groups()


@pytest.mark.parametrize("text,message", [
    ('[inputs]\ncolour = "red"\n', "unknown key 'inputs.colour'"),
    ("[stats]\npermutations = \"many\"\n", "stats.permutations: expected an integer"),
    ("[stats]\ncorrection = \"holm\"\n", "stats.correction: 'holm' is not one of"),
    ("[filters]\ncrime_types = \"Drugs\"\n", "filters.crime_types: expected a list"),
    ("[maps]\nenabled = 1\n", "maps.enabled: expected true or false"),
    ("wards = 3\n", "unknown key 'wards'"),
    ("[inputs\n", "not valid TOML"),
])
def test_errors_name_the_key(tmp_path, text, message):
    with pytest.raises(ConfigError, match=message.replace("(", r"\(")):
        load_config(write(tmp_path, text))


def test_missing_file(tmp_path):
    with pytest.raises(ConfigError, match="config file not found"):
        load_config(tmp_path / "none.toml")


def test_defaults():
    config = Config()
    assert config.stats.permutations == 999 and config.inputs.crs == "EPSG:27700"
    assert config.inputs.snap_tolerance == 100.0 and config.stats.alpha == 0.05
