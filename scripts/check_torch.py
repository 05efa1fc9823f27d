"""Fail loudly if anything replaced the pinned CPU torch (an unpinned torch pulls a multi-GB CUDA build)."""

import sys

import torch

EXPECTED = "2.13.0"
if not torch.__version__.startswith(EXPECTED):
    sys.exit(f"torch {torch.__version__} is installed but WhyRec pins {EXPECTED}: "
             f"run `.venv/bin/pip install -c constraints.txt torch=={EXPECTED}`")
print(f"torch {torch.__version__} ok", file=sys.stderr)
