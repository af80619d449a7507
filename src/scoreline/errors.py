"""Anticipated failures a user can fix, raised by library code where it sees them.

Each :class:`UserError` carries what happened (its message), what to do (``hint``) and an exit status for the
command line, whose one error boundary (:mod:`scoreline.cli.main`) prints both on a line each instead of a
traceback. Exit status 2 is for a configuration or usage mistake (fix the command or the settings), 1 for a
state of the world (a server down, an empty store, a busy file).
"""

from __future__ import annotations

FROM_DIR_HINT = "give a folder laid out as football-data's (DIR/<DIV>/<SEASON>.csv, DIR/fixtures.csv)"


class UserError(Exception):
    """An anticipated failure: ``str(error)`` says what happened, ``hint`` what to do about it."""

    exit_code = 1

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.hint = hint


class ConfigurationError(UserError, ValueError):
    """A setting or option is wrong: a malformed database URL, an unsupported backend, a weak API key."""

    exit_code = 2


class StoreUnavailableError(UserError):
    """The store cannot be opened: the server is down or refuses us, or another process holds the file."""


class EmptyStoreError(UserError, LookupError):
    """The store holds nothing for what was asked (run ``scoreline ingest`` first)."""
