from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

# A detector that raises is skipped in production (it costs its own findings only); in the
# tests it must fail loudly.
os.environ["MLDEBT_STRICT"] = "1"

# The cache's HMAC key lives in the user cache directory: keep the tests' key out of $HOME.
os.environ["XDG_CACHE_HOME"] = tempfile.mkdtemp(prefix="mldebt-test-cache-home-")
os.environ.pop("MLDEBT_CACHE_KEY", None)
