from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

# A detector that raises is skipped in production (it costs its own findings only); in the
# tests it must fail loudly.
os.environ["MLDEBT_STRICT"] = "1"
