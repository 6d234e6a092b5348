"""tribench's command line: one module per subcommand, one error boundary (`main`)."""

from __future__ import annotations

import sys

from rich.console import Console
from rich.markup import escape

from tribench.cli.app import app
from tribench.errors import UserError

# Each import registers its subcommand on `app`.
from tribench.cli import analyze as _analyze  # noqa: E402,F401
from tribench.cli import ingest as _ingest  # noqa: E402,F401
from tribench.cli import parse as _parse  # noqa: E402,F401
from tribench.cli import export as _export  # noqa: E402,F401
from tribench.cli import upload as _upload  # noqa: E402,F401
from tribench.cli import report as _report  # noqa: E402,F401
from tribench.cli import run as _run  # noqa: E402,F401
from tribench.cli import calibrate as _calibrate  # noqa: E402,F401
from tribench.cli import demo as _demo  # noqa: E402,F401
from tribench.cli import engines as _engines  # noqa: E402,F401
from tribench.cli import agent as _agent  # noqa: E402,F401


def main() -> None:
    try:
        app(standalone_mode=True)
    except UserError as exc:
        # Escaped: a message's brackets (`[field]`, `tribench[ray]`) are text, not rich markup.
        Console(stderr=True).print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False)
        sys.exit(2)
