import sys
from pathlib import Path

# lattice.py (the constructed borough) sits beside these tests; the brief tests use it too.
sys.path.insert(0, str(Path(__file__).parent))
