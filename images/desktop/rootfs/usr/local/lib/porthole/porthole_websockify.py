"""websockify, started without numpy.

websockify imports numpy only to unmask client-to-server frames faster; those frames are keyboard
and pointer events, a few bytes each, so the pure-Python path is plenty. Skipping the import halves
websockify's start-up (~0.23 s -> ~0.11 s), which is the longest step between container start and
the RFB banner. Command-line options are websockify's own.
"""

import sys
import warnings

sys.modules["numpy"] = None  # type: ignore[assignment]  # makes `import numpy` raise ImportError
warnings.filterwarnings("ignore", message="no 'numpy' module")

from websockify.websocketproxy import websockify_init  # noqa: E402

sys.argv[0] = "websockify"
websockify_init()
