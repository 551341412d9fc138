"""Bivariate reference values from esda/libpysal, computed in a separate process.

Run as ``python esda_bv_reference.py GEOMETRY CODE_COL INPUT.npz OUTPUT.npz``. numba is blocked
so that esda takes its plain-Python path (no compile step). INPUT holds ``x``, ``y`` (in the
order of CODE_COL sorted), ``permutations`` and ``seed``.
"""

import sys
import warnings

sys.modules["numba"] = None  # esda falls back to pure Python when numba cannot be imported

import esda  # noqa: E402
import geopandas as gpd  # noqa: E402
import libpysal  # noqa: E402
import numpy as np  # noqa: E402


def main(geometry: str, code_col: str, source: str, target: str) -> None:
    warnings.simplefilter("ignore")
    frame = gpd.read_file(geometry).sort_values(code_col).reset_index(drop=True)
    data = np.load(source)
    x, y = data["x"], data["y"]
    permutations, seed = int(data["permutations"]), int(data["seed"])
    queen = libpysal.weights.Queen.from_dataframe(frame, use_index=False)
    np.random.seed(seed)
    moran = esda.Moran_BV(x, y, queen, permutations=permutations)
    local = esda.Moran_Local_BV(x, y, queen, permutations=permutations, seed=seed)
    np.savez(target, I=moran.I, p_sim=moran.p_sim, Is=local.Is, q=local.q,
             local_p=local.p_sim)


if __name__ == "__main__":
    main(*sys.argv[1:5])
