"""`python -m ragkit`: the same as the `ragkit` command."""

from ragkit.apps.cli import main

main()
