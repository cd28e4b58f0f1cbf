"""``python -m matchgate`` is the same as the ``matchgate`` command."""

from matchgate.cli import main

if __name__ == "__main__":
    main()
