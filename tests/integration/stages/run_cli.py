"""Run a package's command line in-process as its console script would (the stage environment's package only).

usage: run_cli.py PACKAGE_MODULE ARGS...   (PACKAGE_MODULE's cli.main(argv) is called with ARGS)
"""

import importlib
import sys

module = sys.argv[1].replace("-", "_")
status = importlib.import_module(f"{module}.cli").main(sys.argv[2:])
sys.exit(status)
