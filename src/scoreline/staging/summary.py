"""The staging summary as typed values: what :func:`scoreline.staging.monitor.summarise` computes and
:mod:`scoreline.staging.alerts`, ``monitor.json`` and the dashboard read.

Plain frozen dataclasses with no behaviour beyond :meth:`Summary.to_dict` (the JSON form), so the monitor, the
alerts and the drift report depend on this module and not on each other. Means over no match are ``None``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

LIVE_RUN = "live"  # the same identifier as scoreline.staging.ledger.LIVE_RUN


@dataclass(frozen=True)
class WindowScores:
    """Means over the series' last ``size`` matches (``n`` of them; ``market_n`` priced by the market)."""

    size: int
    n: int
    rps: float | None
    logloss: float | None
    market_n: int
    market_rps: float | None
    gap_to_market: float | None  # model minus market over the window's priced matches


@dataclass(frozen=True)
class Comparison:
    """The champion beside another version (challenger or former champion) on the matches both predicted."""

    model_version: str
    matches: int
    rps: float | None  # the other version's mean RPS on those matches
    champion_rps: float | None  # the champion's on the same matches
    rps_gap_to_previous: float | None  # champion minus the other: negative means the champion is better


@dataclass(frozen=True)
class VersionScores:
    """One model version's record in the run: its own predictions and scored matches."""

    model_version: str
    predicting_since: str  # ISO time of its first prediction in the run
    predictions: int  # matches it predicted
    scored: int
    rps: float | None
    market_matches: int
    market_closing_rps: float | None
    rps_gap_to_market: float | None


@dataclass(frozen=True)
class ChampionChange:
    """A version taking over the series: from its first prediction, first scored match under it."""

    model_version: str
    predicting_since: str
    first_kickoff: str | None  # first match of the series it predicted (None: none scored yet)


@dataclass(frozen=True)
class RollingPoint:
    """One point of the rolling series: the version that predicted that match, and window means."""

    kickoff: str
    model_version: str
    n: int
    rps: float | None
    logloss: float | None
    market_rps: float | None
    previous_rps: float | None


@dataclass(frozen=True)
class Summary:
    """Totals of a run (the live ledger, or one replay run) for the JSON output, alerts and the dashboard.

    ``model_version`` is the champion (the version that took over last); the series (``scored``, ``rps``,
    ``window``, ``rolling``) follows, match by match, the version in charge when it was predicted, so a change
    of champion shows where it happened (``champion_changes``). ``previous`` compares the champion with the
    version before it on the matches both predicted; ``versions`` gives every version's own record.
    """

    run: str
    model_version: str | None
    predictions: int  # the champion's predicted matches
    scored: int  # matches in the series
    rps: float | None
    logloss: float | None
    market_matches: int
    market_closing_rps: float | None
    rps_gap_to_market: float | None  # model minus market over the series' priced matches
    previous: Comparison | None
    window: WindowScores
    versions: tuple[VersionScores, ...] = ()
    champion_changes: tuple[ChampionChange, ...] = ()
    rolling: tuple[RollingPoint, ...] = ()

    @property
    def replay(self) -> bool:
        """Whether this is a replay run (never the live ledger)."""
        return self.run != LIVE_RUN

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (``replay`` included)."""
        return {**asdict(self), "replay": self.replay}
