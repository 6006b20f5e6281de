"""Run the command line interface with ``python -m clustergraph``."""

from clustergraph.cli import main

main()
