"""The straightforward script an analyst would write for what `wardmap run` does, as the
yardstick for bench_export.py: geopandas, esda and folium, with their usual calls.

    .venv/bin/python benchmarks/straightforward_run.py BOUNDARIES.geojson CSV_FOLDER OUT

Reads the ward boundaries and the police.uk CSVs, places records in wards (sjoin), counts them,
tests with queen weights, global Moran's I, LISA and Gi* (999 permutations, FDR-adjusted), and
writes what wardmap writes: wards.csv, wards.gpkg, wards.xlsx, map.html (geopandas.explore,
one layer per measure), and five A4 pages at 300 dpi with pyplot (choropleth, LISA, Gi*, a
four-panel page and a ward-by-month heat map).
"""

from __future__ import annotations

import sys
from pathlib import Path

import geopandas as gpd
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from esda.getisord import G_Local  # noqa: E402
from esda.moran import Moran, Moran_Local  # noqa: E402
from libpysal.weights import Queen  # noqa: E402
from mapclassify import FisherJenks  # noqa: E402

A4 = (8.27, 11.69)
LISA = {1: "High-High", 2: "Low-High", 3: "Low-Low", 4: "High-Low"}


def fdr(p: np.ndarray) -> np.ndarray:
    order = np.argsort(p)
    ranked = p[order] * len(p) / np.arange(1, len(p) + 1)
    adjusted = np.minimum.accumulate(ranked[::-1])[::-1]
    out = np.empty_like(p)
    out[order] = np.minimum(adjusted, 1)
    return out


def main(boundaries: str, folder: str, out: str) -> None:
    out_dir = Path(out)
    out_dir.mkdir(parents=True, exist_ok=True)
    wards = gpd.read_file(boundaries).to_crs(27700)
    wards = wards.rename(columns={"WD13CD": "ward_code", "WD13NM": "ward_name"})
    records = pd.concat([pd.read_csv(f) for f in sorted(Path(folder).glob("*.csv"))])
    records = records.dropna(subset=["Longitude", "Latitude"])
    points = gpd.GeoDataFrame(records, geometry=gpd.points_from_xy(records.Longitude,
                                                                   records.Latitude),
                              crs=4326).to_crs(27700)
    joined = gpd.sjoin(points, wards[["ward_code", "geometry"]], predicate="within")
    counts = joined.groupby("ward_code").size()
    wards["incidents"] = wards["ward_code"].map(counts).fillna(0).astype(int)

    w = Queen.from_dataframe(wards, use_index=False)
    w.transform = "r"
    y = wards["incidents"].astype(float).to_numpy()
    moran = Moran(y, w, permutations=999)
    lisa = Moran_Local(y, w, permutations=999, seed=12345)
    gi = G_Local(y, w, star=True, permutations=999, seed=12345)
    wards["lisa_I"], wards["lisa_p"] = lisa.Is, lisa.p_sim
    wards["lisa_p_adj"] = fdr(lisa.p_sim)
    wards["lisa_label"] = [LISA[q] if p < 0.05 else "Not significant"
                           for q, p in zip(lisa.q, wards["lisa_p_adj"], strict=True)]
    wards["gi_z"], wards["gi_p"] = gi.Zs, gi.p_sim
    wards["gi_p_adj"] = fdr(gi.p_sim)
    wards["gi_bin"] = np.sign(gi.Zs) * (wards["gi_p_adj"] < 0.05)
    print(f"Moran's I = {moran.I:.3f} (p = {moran.p_sim:.3f})")

    wards.drop(columns="geometry").to_csv(out_dir / "wards.csv", index=False)
    wards.to_file(out_dir / "wards.gpkg", layer="wards")
    wards.drop(columns="geometry").to_excel(out_dir / "wards.xlsx", index=False)

    fmap = wards.explore(column="incidents", scheme="FisherJenks", k=5, cmap="YlOrRd",
                         name="Incidents")
    wards.explore(m=fmap, column="lisa_label", cmap="Set1", name="LISA clusters")
    wards.explore(m=fmap, column="gi_bin", cmap="RdBu_r", name="Gi* hot and cold spots")
    import folium

    folium.LayerControl().add_to(fmap)
    fmap.save(out_dir / "map.html")

    for column, name in (("incidents", "map"), ("lisa_label", "map_lisa"),
                         ("gi_bin", "map_gi")):
        fig, ax = plt.subplots(figsize=A4)
        if column == "incidents":
            FisherJenks(y, k=5)
            wards.plot(column=column, scheme="FisherJenks", k=5, cmap="YlOrRd",
                       legend=True, ax=ax, edgecolor="grey", linewidth=0.4)
        else:
            wards.plot(column=column, categorical=True, legend=True, ax=ax, cmap="RdBu_r",
                       edgecolor="grey", linewidth=0.4)
        for _, row in wards.iterrows():
            c = row.geometry.representative_point()
            ax.annotate(row.ward_name, (c.x, c.y), fontsize=6, ha="center")
        ax.set_axis_off()
        ax.set_title(f"Maidstone: {column}")
        fig.savefig(out_dir / f"{name}.png", dpi=300)
        plt.close(fig)

    fig, axes = plt.subplots(2, 2, figsize=A4)
    for ax, column in zip(axes.flat, ["incidents", "lisa_I", "lisa_label", "gi_bin"],
                          strict=True):
        wards.plot(column=column, ax=ax, legend=True, cmap="YlOrRd",
                   categorical=column in ("lisa_label", "gi_bin"))
        ax.set_axis_off()
    fig.savefig(out_dir / "map_panels.png", dpi=300)
    plt.close(fig)

    month = joined.groupby(["ward_code", "Month"]).size().unstack(fill_value=0)
    fig, ax = plt.subplots(figsize=A4)
    image = ax.imshow(month.to_numpy(), cmap="YlOrRd", aspect="auto")
    ax.set_yticks(range(len(month)))
    ax.set_yticklabels(wards.set_index("ward_code").loc[month.index, "ward_name"], fontsize=6)
    for (r, c), v in np.ndenumerate(month.to_numpy()):
        ax.text(c, r, str(v), ha="center", va="center", fontsize=6)
    fig.colorbar(image)
    fig.savefig(out_dir / "heatmap.png", dpi=300)
    plt.close(fig)


if __name__ == "__main__":
    main(*sys.argv[1:4])
