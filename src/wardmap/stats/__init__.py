"""The test stage: spatial weights, global Moran's I, local Moran (LISA), Getis-Ord Gi* and
empirical Bayes rates. Imports stay light (numpy, scipy, shapely, pandas): no numba, esda or
libpysal, so that a cold command-line run starts fast.
"""

from wardmap.stats.stage import test_stage
from wardmap.stats.weights import Weights, build_weights

__all__ = ["Weights", "build_weights", "test_stage"]
