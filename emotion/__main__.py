"""Command line: python -m emotion {predict,evaluate,train,...}."""
import sys

from .cli import main

sys.exit(main())
