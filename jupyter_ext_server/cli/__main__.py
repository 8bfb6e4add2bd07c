"""`python -m jupyter_ext_server.cli`: the same as `dask-sites`."""

import sys

from . import main

sys.exit(main())
