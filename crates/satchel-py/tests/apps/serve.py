"""Serves `application` of the module named on the command line with werkzeug's
threaded development server: `python serve.py MODULE PORT`."""

import importlib
import sys

from werkzeug.serving import run_simple

if __name__ == "__main__":
    module = importlib.import_module(sys.argv[1])
    run_simple("127.0.0.1", int(sys.argv[2]), module.application, threaded=True)
