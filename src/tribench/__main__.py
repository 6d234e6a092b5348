"""`python -m tribench`: the command line."""

from tribench.cli import main

main()
