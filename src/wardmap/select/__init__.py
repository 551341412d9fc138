"""The select stage: task-force focus areas and ward clusters (docs/focus.md).

- ``find_focus_areas(result, config.focus)``: ranked connected groups of k wards.
- ``find_clusters(result, config.clusters)``: contiguous groups of at most N similar wards.
- ``write_focus`` / ``write_clusters``: their files; ``run_focus`` / ``run_clusters``: the
  whole run with them, as ``wardmap focus`` and ``wardmap clusters`` do.

spopt and libpysal are imported only when clusters are asked for.
"""

from wardmap.select.clusters import find_clusters
from wardmap.select.focus import find_focus_areas, write_focus
from wardmap.select.outputs import write_clusters
from wardmap.select.stage import run_clusters, run_focus

__all__ = ["find_clusters", "find_focus_areas", "run_clusters", "run_focus", "write_clusters",
           "write_focus"]
