"""python -m bench --units N: the benchmark of the issue "Speed" (see bench.suite)."""

import sys

from .suite import main

sys.exit(main())
