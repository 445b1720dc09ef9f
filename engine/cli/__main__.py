"""`python -m peie.cli`: the `peie` command."""

import sys

from .main import main

sys.exit(main())
