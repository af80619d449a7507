"""Secrets never leave: one redaction for every URL, setting, message, log record and API body.

:func:`redact` masks, in any text, the password of every ``scheme://user:password@host`` URL, the value of
every query parameter whose name says it is secret (``password``, ``token``, ``api_key``, ``secret``,
``signature``...) and every known secret value given (the API key, the alert webhook URL, URL passwords as
written and percent-decoded), wherever they appear: inside a URL, an exception message or a traceback.
:func:`redact_url` shows one URL setting: SQLAlchemy's own ``URL.render_as_string(hide_password=True)`` for a
database URL (the library that parses the URL knows best where its password is), then :func:`redact` for
whatever else it holds. :class:`RedactingFilter` applies :func:`redact` to every log record.

The mask is SQLAlchemy's ``***``, so every redacted text looks the same.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from urllib.parse import unquote

MASK = "***"
_MIN_SECRET_LENGTH = 4  # shorter "secrets" (e.g. a password "x") would mask unrelated text everywhere

# scheme://user:password@ -> scheme://user:***@ (the password runs to the last "@" before a blank)
_USERINFO = re.compile(r"(?P<head>[A-Za-z][A-Za-z0-9+.\-]*://[^\s:/?#@]*:)(?P<password>[^\s@]*)@")
_SECRET_QUERY = re.compile(
    r"(?P<head>[?&;](?:[A-Za-z0-9_.\-]*(?:password|passwd|pwd|secret|token|api[_-]?key|apikey|signature|sig"
    r"|credential|auth)[A-Za-z0-9_.\-]*)=)(?P<value>[^&#\s\"']*)",
    re.IGNORECASE,
)


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` with every URL password, secret query value and value of ``secrets`` replaced by ``***``."""
    for secret in sorted({s for s in secrets if len(s) >= _MIN_SECRET_LENGTH}, key=len, reverse=True):
        text = text.replace(secret, MASK)
    text = _USERINFO.sub(lambda m: f"{m['head']}{MASK}@" if m["password"] else m[0], text)
    return _SECRET_QUERY.sub(lambda m: f"{m['head']}{MASK}" if m["value"] else m[0], text)


def redact_url(url: str, secrets: Iterable[str] = ()) -> str:
    """One URL setting fit to show: SQLAlchemy hides a database URL's password, :func:`redact` the rest."""
    import sqlalchemy as sa  # here, not at import: settings import this module

    try:
        shown = sa.make_url(url).render_as_string(hide_password=True)
    except (sa.exc.ArgumentError, ValueError):
        shown = url
    return redact(shown, secrets)


def url_secrets(url: str | None) -> set[str]:
    """The password of ``url`` as written and percent-decoded (empty without one)."""
    if not url:
        return set()
    found = {m["password"] for m in _USERINFO.finditer(url) if m["password"]}
    return found | {unquote(password) for password in found}


class RedactingFilter(logging.Filter):
    """Redacts every log record in place (message, arguments, traceback, extra string fields).

    Installed on handlers (a filter on a logger would miss records propagated from child loggers); the record
    is changed in place, so every handler after this one sees the redacted record too. A traceback is
    formatted, redacted and appended to the message (``exc_info`` cleared) so that no formatter prints the
    original.
    """

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self.secrets = frozenset(secrets)

    def filter(self, record: logging.LogRecord) -> bool:
        message = redact(record.getMessage(), self.secrets)
        if record.exc_info:
            trace = logging.Formatter().formatException(record.exc_info)
            message = f"{message}\n{redact(trace, self.secrets)}"
            record.exc_info = None
        elif record.exc_text:
            message = f"{message}\n{redact(record.exc_text, self.secrets)}"
        record.exc_text = None
        record.msg, record.args = message, None
        for name, value in list(vars(record).items()):
            if name not in _STANDARD_RECORD_FIELDS and isinstance(value, str):
                setattr(record, name, redact(value, self.secrets))
        return True


_STANDARD_RECORD_FIELDS = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message"}


def install_log_redaction(secrets: Iterable[str] = ()) -> RedactingFilter:
    """Put one :class:`RedactingFilter` on every handler of the root logger (replacing an earlier one)."""
    redacting = RedactingFilter(secrets)
    for handler in logging.getLogger().handlers:
        for old in [f for f in handler.filters if isinstance(f, RedactingFilter)]:
            handler.removeFilter(old)
        handler.addFilter(redacting)
    return redacting
