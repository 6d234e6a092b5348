"""tribench's command line: one module per subcommand, one error boundary (`main`)."""

from __future__ import annotations

import sys

from rich.console import Console

from tribench.cli.app import app
from tribench.errors import UserError

# Each import registers its subcommand on `app`.
from tribench.cli import analyze as _analyze  # noqa: E402,F401


def main() -> None:
    try:
        app(standalone_mode=True)
    except UserError as exc:
        Console(stderr=True).print(f"[bold red]error:[/] {exc}", highlight=False)
        sys.exit(2)
