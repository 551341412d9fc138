"""The test stage: spatial weights, global Moran's I, local Moran (LISA), Getis-Ord Gi*."""

from wardmap.stats.weights import Weights, build_weights

__all__ = ["Weights", "build_weights"]
