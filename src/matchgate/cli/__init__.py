"""The ``matchgate`` command line: a thin shell over the library.

Each command calls one library function; errors become exit codes in ``exit_codes``.
"""

from __future__ import annotations

import sys
import warnings
from typing import TextIO

import typer
from rich.console import Console
from rich.markup import escape

from matchgate.cli import (
    agency_commands,
    assess_commands,
    db_commands,
    ledger_commands,
    lookup_commands,
    master_commands,
    pipeline_commands,
    reason_commands,
    review_commands,
    risk_commands,
    serve_commands,
    user_commands,
)
from matchgate.cli.exit_codes import exit_code_for
from matchgate.errors import MatchgateError

__all__ = ["app", "main"]

app = typer.Typer(
    name="matchgate",
    help="Answer inter-agency taxpayer address requests only where 26 U.S.C. 6103(i)(2) "
    "allows it and only when the person is certainly the right one.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
pipeline_commands.register(app)
master_commands.register(app)
review_commands.register(app)
ledger_commands.register(app)
serve_commands.register(app)
reason_commands.register(app)
agency_commands.register(app)
risk_commands.register(app)
assess_commands.register(app)
lookup_commands.register(app)
user_commands.register(app)
db_commands.register(app)


def _show_warning(
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    file: TextIO | None = None,
    line: str | None = None,
) -> None:
    """A matchgate warning (e.g. a ledger key inside the workspace) as one plain line."""
    from matchgate.ledger import LedgerKeyWarning

    if issubclass(category, LedgerKeyWarning):
        Console(stderr=True, soft_wrap=True).print(
            f"[bold yellow]warning:[/] {escape(str(message))}", highlight=False
        )
    else:
        _python_show_warning(message, category, filename, lineno, file, line)


_python_show_warning = warnings.showwarning


def main() -> None:
    """Entry point: run the app, turning matchgate errors into a message and an exit code."""
    warnings.showwarning = _show_warning
    try:
        app(standalone_mode=False)
    except MatchgateError as error:
        Console(stderr=True, soft_wrap=True).print(
            f"[bold red]error:[/] {escape(str(error))}", highlight=False
        )
        sys.exit(exit_code_for(error))
    except typer.Exit as done:
        sys.exit(done.exit_code)
    except typer.Abort:
        Console(stderr=True).print("aborted")
        sys.exit(130)
    except Exception as click_error:
        # A usage error (unknown command, bad option) carries its own message and exit
        # code. typer >= 0.29 raises its vendored click's class, older ones click's own.
        if _is_usage_error(click_error):
            click_error.show()  # type: ignore[attr-defined]
            sys.exit(click_error.exit_code)  # type: ignore[attr-defined]
        raise


def _is_usage_error(error: Exception) -> bool:
    import click

    kinds: list[type[Exception]] = [click.ClickException]
    try:
        from typer._click.exceptions import ClickException as VendoredClickException
    except ImportError:  # typer before 0.29 used click itself
        pass
    else:
        kinds.append(VendoredClickException)
    return isinstance(error, tuple(kinds))
