"""Which columns of a record file hold what: police.uk's street-level layout, or any point
table with longitude/latitude or easting/northing columns (named, or found by their usual
names)."""

from __future__ import annotations

from dataclasses import dataclass

from wardmap.config import InputsConfig
from wardmap.errors import InputError
from wardmap.load.files import columns_note

LON_NAMES = ("longitude", "lon", "lng", "long")
LAT_NAMES = ("latitude", "lat")
X_NAMES = ("easting", "x", "eastings")
Y_NAMES = ("northing", "y", "northings")


@dataclass
class Layout:
    """Which columns of a record file hold what."""

    cx: str
    cy: str
    crs: str
    month: str | None
    crime_type: str | None
    location: str | None
    police: bool
    crime_id: str | None = None
    force: str | None = None

    def wanted(self) -> list[str]:
        """The columns read, each once, in a fixed order."""
        return list(dict.fromkeys(c for c in (self.cx, self.cy, self.month, self.crime_type,
                                              self.location, self.crime_id, self.force) if c))


def layout_of(header: list[str], inputs: InputsConfig, name: str) -> Layout:
    """Which columns of a record file with this header hold what.

    Examples
    --------
    >>> from wardmap.config import InputsConfig
    >>> header = ["Crime ID", "Month", "Reported by", "Longitude", "Latitude", "Crime type"]
    >>> layout = layout_of(header, InputsConfig(), "street.csv")
    >>> layout.police, layout.cx, layout.force
    (True, 'Longitude', 'Reported by')
    """
    lower = {h.lower().strip(): h for h in header}

    def find(given: str | None, names: tuple[str, ...]) -> str | None:
        if given is not None:
            if given not in header:
                raise InputError(f"{name}: no column {given!r} {columns_note(header)}")
            return given
        return next((lower[n] for n in names if n in lower), None)

    police = "crime type" in lower and "month" in lower
    month = find(inputs.date_col, ("month", "date"))
    crime = find(inputs.crime_type_col, ("crime type", "crime_type", "category", "type"))
    location = lower.get("location")
    crime_id = lower.get("crime id")
    # The force that published the record: a British Transport Police file's rows "fall
    # within" the territorial force, so that column would make Kent's and BTP's files of a
    # month look like one download given twice.
    # police.uk layout only: a force's own extract may be split into parts of one month.
    force = (lower.get("reported by") or lower.get("falls within")) if police else None
    ids = {"crime_id": crime_id, "force": force}
    lon, lat = find(inputs.lon_col, LON_NAMES), find(inputs.lat_col, LAT_NAMES)
    if inputs.x_col or inputs.y_col or not (lon or lat):
        x, y = find(inputs.x_col, X_NAMES), find(inputs.y_col, Y_NAMES)
        if x and y:
            return Layout(x, y, inputs.points_crs, month, crime, location, police, **ids)
    if lon and lat:
        return Layout(lon, lat, "EPSG:4326", month, crime, location, police, **ids)
    missing = "Longitude" if not lon else "Latitude"
    if police:
        raise InputError(f"{name}: police.uk file has no {missing} column "
                         f"{columns_note(header)}")
    raise InputError(f"{name}: no coordinate columns found (looked for Longitude/Latitude and "
                     "Easting/Northing); name them with --lon-col/--lat-col or --x-col/--y-col")
