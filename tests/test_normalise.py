import numpy as np
import pandas as pd

from wardmap.normalise import add_rates, rate_summary


def test_rates_with_reasons_never_inf():
    wards = pd.DataFrame({"value": [10, 5, 3, 0], "population": [2000.0, np.nan, 0.0, 100.0]})
    out = add_rates(wards)
    assert out["rate_per_1000"].iloc[0] == 5.0 and out["rate_per_1000"].iloc[3] == 0.0
    assert out["rate_per_1000"].iloc[1:3].isna().all()
    assert out["rate_note"].tolist() == ["", "no population", "population is zero", ""]
    assert np.isfinite(out["rate_per_1000"].dropna()).all()
    assert rate_summary(out) == {"population": 2100.0, "rate_per_1000": 10 / 2100 * 1000}


def test_no_population_column():
    out = add_rates(pd.DataFrame({"value": [1, 2]}))
    assert out["rate_per_1000"].isna().all() and set(out["rate_note"]) == {"no population"}
