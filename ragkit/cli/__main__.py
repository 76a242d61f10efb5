"""`python -m ragkit.cli`."""

from ragkit.cli import main

main()
