"""`python -m ragkit`."""

from ragkit.apps.cli import main

main()
