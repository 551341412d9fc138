"""Reference values from esda/libpysal, computed in a separate process.

Run as ``python esda_reference.py GEOMETRY INPUT.npz OUTPUT.npz``. numba is blocked so that
esda takes its plain-Python path: the same statistics, without the ~18 s compile a cold
process would otherwise pay. INPUT holds ``y`` (values), ``e`` (events), ``b`` (population),
``permutations`` and ``seed``.
"""

import sys
import warnings

sys.modules["numba"] = None  # esda falls back to pure Python when numba cannot be imported

import esda  # noqa: E402
import geopandas as gpd  # noqa: E402
import libpysal  # noqa: E402
import numpy as np  # noqa: E402


def main(geometry: str, source: str, target: str) -> None:
    warnings.simplefilter("ignore")
    frame = gpd.read_parquet(geometry) if geometry.endswith(".parquet") else gpd.read_file(
        geometry)
    data = np.load(source)
    y, e, b = data["y"], data["e"], data["b"]
    permutations, seed = int(data["permutations"]), int(data["seed"])
    queen = libpysal.weights.Queen.from_dataframe(frame, use_index=False)
    rook = libpysal.weights.Rook.from_dataframe(frame, use_index=False)
    queen.id_order = queen.id_order  # marks the order as set, which the smoothers require
    queen.transform = "r"
    moran = esda.Moran(y, queen, permutations=permutations)
    local = esda.Moran_Local(y, queen, permutations=permutations, seed=seed)
    rate = esda.Moran_Rate(e, b, queen, permutations=0)
    queen.transform = "b"
    gi = esda.G_Local(y.astype(float), queen, transform="B", star=True, permutations=0)
    np.savez(
        target,
        queen=_neighbour_matrix(queen), rook=_neighbour_matrix(rook),
        moran=np.array([moran.I, moran.EI, moran.VI_norm, moran.z_norm, moran.p_norm,
                        moran.p_sim]),
        local_I=local.Is, local_q=local.q, local_p=local.p_sim,
        gi_z=gi.Zs, rate_I=np.array([rate.I, rate.z_norm, rate.p_norm]),
        eb=esda.smoothing.Empirical_Bayes(e, b).r.ravel(),
        seb=esda.smoothing.Spatial_Empirical_Bayes(e, b, queen).r.ravel(),
        assuncao=esda.smoothing.assuncao_rate(e, b),
    )


def _neighbour_matrix(w: libpysal.weights.W) -> np.ndarray:
    dense = np.zeros((w.n, w.n), dtype=np.int8)
    for i, neighbours in w.neighbors.items():
        dense[i, list(neighbours)] = 1
    return dense


if __name__ == "__main__":
    main(*sys.argv[1:4])
