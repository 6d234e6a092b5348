"""The one user-facing error of tribench, caught once at the CLI boundary."""

from __future__ import annotations

from pathlib import Path


class UserError(Exception):
    """Bad input or a failed precondition the user can fix; the message names the fix.

    `path` and `field` say where the problem is, so that every report of bad input names the
    file and the field.
    """

    def __init__(self, message: str, *, path: str | Path | None = None, field: str | None = None):
        self.message = message
        self.path = str(path) if path is not None else None
        self.field = field
        super().__init__(str(self))

    def __str__(self) -> str:
        where = self.path or ""
        if self.field:
            where = f"{where} [{self.field}]" if where else f"[{self.field}]"
        return f"{where}: {self.message}" if where else self.message
