"""Command line: python -m emotion {predict,explain,evaluate,train,...}."""
import sys

from .cli import main

sys.exit(main())
