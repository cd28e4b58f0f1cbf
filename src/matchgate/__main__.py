"""``python -m matchgate`` is the same as the ``matchgate`` command."""

from matchgate.cli import main

main()
