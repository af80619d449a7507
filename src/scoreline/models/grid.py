"""Score-probability grids: every goal market for many fixtures at once.

A :class:`ScoreGrid` holds ``P(home goals = i, away goals = j)`` for ``i, j = 0..G`` and ``n`` fixtures as
an ``(n, G + 1, G + 1)`` array. Goal models truncate at ``G = MAX_GOALS = 15`` goals per side and renormalise
each fixture's grid to sum to one; the mass lost beyond 15 goals is below 1e-5 for a scoring rate of 4 and
below 1e-8 for rates up to 2.5, far under any price's precision. Every market below is vectorised over the
fixtures and returns arrays of shape ``(n,)`` (or ``(n, k)``).

Asian handicaps and goal lines are settled like bookmakers do: whole lines can push, half lines cannot,
and quarter lines (``x.25``, ``x.75``) split the stake in two halves on the neighbouring whole and half lines,
so a bet can win or lose half its stake. :class:`Settlement` gives the five outcome probabilities and the fair
(zero-margin) decimal price.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

MAX_GOALS = 15


LINE_TOLERANCE = 1e-9  # floating-point slack when a goal line is compared with whole and half goals


def _is_multiple(value: float, step: float) -> bool:
    return abs(value / step - round(value / step)) < LINE_TOLERANCE


@dataclass(frozen=True)
class Settlement:
    """Outcome probabilities of a bet on a handicap or goal line (arrays of shape ``(n,)``).

    ``win + half_win + push + half_loss + loss == 1``; half outcomes only occur on quarter lines.
    """

    win: np.ndarray
    half_win: np.ndarray
    push: np.ndarray
    half_loss: np.ndarray
    loss: np.ndarray

    @property
    def fair_price(self) -> np.ndarray:
        """Decimal odds with zero expected profit: ``1 + (loss + half_loss/2) / (win + half_win/2)``."""
        gain = self.win + 0.5 * self.half_win
        lose = self.loss + 0.5 * self.half_loss
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.asarray(np.where(gain > 0, 1.0 + lose / gain, np.inf))

    @property
    def expected_return(self) -> np.ndarray:
        """Expected profit per unit stake at even money (odds 2.0): ``win - loss``, halves counted half."""
        return np.asarray(self.win + 0.5 * self.half_win - 0.5 * self.half_loss - self.loss)

    def opposite(self) -> Settlement:
        """The other side of the same bet (e.g. under for over, away +h for home -h)."""
        return Settlement(self.loss, self.half_loss, self.push, self.half_win, self.win)


class Totals(NamedTuple):
    """``P(total > line)``, ``P(total == line)``, ``P(total < line)`` for a whole or half goal line."""

    over: np.ndarray
    push: np.ndarray
    under: np.ndarray


class LikelyScores(NamedTuple):
    """The ``k`` most likely scores per fixture, most likely first (arrays of shape ``(n, k)``)."""

    home_goals: np.ndarray
    away_goals: np.ndarray
    probability: np.ndarray


class ScoreGrid:
    """Joint score probabilities for ``n`` fixtures, shape ``(n, G + 1, G + 1)`` (rows: home goals).

    The input is validated (finite, non-negative, positive mass) and each fixture renormalised to sum to one.
    """

    def __init__(self, probabilities: np.ndarray) -> None:
        grid = np.asarray(probabilities, dtype=float)
        if grid.ndim == 2:
            grid = grid[None]
        if grid.ndim != 3 or grid.shape[1] != grid.shape[2]:
            raise ValueError(f"a score grid must have shape (n, G+1, G+1), got {grid.shape}")
        mass = grid.sum(axis=(1, 2), keepdims=True)
        # NaN fails >= 0 and an infinite cell makes its fixture's mass infinite: two checks cover all four
        if not (grid >= 0).all() or not np.isfinite(mass).all():
            raise ValueError("score probabilities must be finite and non-negative")
        if np.any(mass <= 0):
            raise ValueError("every fixture's score grid needs positive probability mass")
        self.probabilities = grid / mass
        goals = np.arange(grid.shape[1])
        self._difference = goals[:, None] - goals[None, :]
        self._total = goals[:, None] + goals[None, :]

    def __len__(self) -> int:
        return int(self.probabilities.shape[0])

    def __getitem__(self, index: int | slice | np.ndarray) -> ScoreGrid:
        return ScoreGrid(self.probabilities[np.atleast_1d(np.arange(len(self))[index])])

    def __repr__(self) -> str:
        return f"ScoreGrid(n={len(self)}, max_goals={self.max_goals})"

    @property
    def max_goals(self) -> int:
        return int(self.probabilities.shape[1] - 1)

    def _mass(self, mask: np.ndarray) -> np.ndarray:
        return np.asarray(np.einsum("nij,ij->n", self.probabilities, mask.astype(float)))

    # --- 1X2 ---------------------------------------------------------------------------------
    @property
    def home_win(self) -> np.ndarray:
        return self._mass(self._difference > 0)

    @property
    def draw(self) -> np.ndarray:
        return self._mass(self._difference == 0)

    @property
    def away_win(self) -> np.ndarray:
        return self._mass(self._difference < 0)

    def outcome_probabilities(self) -> np.ndarray:
        """Home win, draw, away win as an ``(n, 3)`` array (order ``columns.OUTCOMES``), rows sum to one."""
        home, draw = self.home_win, self.draw
        return np.column_stack([home, draw, np.clip(1.0 - home - draw, 0.0, 1.0)])

    # --- goals -------------------------------------------------------------------------------
    @property
    def home_goal_distribution(self) -> np.ndarray:
        return np.asarray(self.probabilities.sum(axis=2))

    @property
    def away_goal_distribution(self) -> np.ndarray:
        return np.asarray(self.probabilities.sum(axis=1))

    @property
    def total_goal_distribution(self) -> np.ndarray:
        """``P(total goals = k)`` for ``k = 0..2G``, shape ``(n, 2G + 1)``."""
        totals = self._total.ravel()
        flat = self.probabilities.reshape(len(self), -1)
        out = np.zeros((len(self), 2 * self.max_goals + 1))
        for k in range(out.shape[1]):
            out[:, k] = flat[:, totals == k].sum(axis=1)
        return out

    @property
    def expected_goals(self) -> np.ndarray:
        """Expected home and away goals under the (truncated) grid, shape ``(n, 2)``."""
        goals = np.arange(self.max_goals + 1, dtype=float)
        # einsum, not matmul: no BLAS call (whose idle threads spin for CPU a server's event loop needs)
        home = np.einsum("nij,i->n", self.probabilities, goals)
        return np.column_stack([home, np.einsum("nij,j->n", self.probabilities, goals)])

    def totals(self, line: float) -> Totals:
        """Over / push / under probabilities for a whole or half goal ``line`` (quarter lines: ``over``)."""
        if not _is_multiple(line, 0.5):
            raise ValueError(f"totals() takes whole or half lines, got {line}; use over() for quarter lines")
        return Totals(
            self._mass(self._total > line),
            self._mass(np.abs(self._total - line) < LINE_TOLERANCE),
            self._mass(self._total < line),
        )

    def over(self, line: float) -> Settlement:
        """Settlement of an *over* bet on any goal line, quarter lines too (under: ``over(l).opposite()``)."""
        return self._settle(self._total.astype(float), -line)

    def both_teams_to_score(self) -> np.ndarray:
        """``P(home goals > 0 and away goals > 0)``."""
        goals = np.arange(self.max_goals + 1)
        return self._mass((goals[:, None] > 0) & (goals[None, :] > 0))

    # --- handicaps ---------------------------------------------------------------------------
    def asian_handicap(self, line: float) -> Settlement:
        """Settlement of a bet on the *home* team with handicap ``line`` (-0.25: home gives a quarter goal).

        The away side of the same market is ``asian_handicap(line).opposite()``.
        """
        return self._settle(self._difference.astype(float), line)

    def _settle(self, margin: np.ndarray, line: float) -> Settlement:
        """Settle a bet that wins when ``margin + line > 0`` for every cell, splitting quarter lines."""
        if not _is_multiple(line, 0.25):
            raise ValueError(f"lines must be multiples of 0.25, got {line}")
        halves = (line, line) if _is_multiple(line, 0.5) else (line - 0.25, line + 0.25)
        # score of each half stake: +1 win, 0 push, -1 loss; summed over both halves: -2..2
        score = np.sign(np.round(margin + halves[0], 9)) + np.sign(np.round(margin + halves[1], 9))
        probabilities = [self._mass(score == s) for s in (2, 1, 0, -1, -2)]
        return Settlement(*probabilities)

    # --- correct scores ----------------------------------------------------------------------
    def correct_score(self, home_goals: int, away_goals: int) -> np.ndarray:
        """``P(score == home_goals - away_goals)``; zero beyond the grid."""
        if not (0 <= home_goals <= self.max_goals and 0 <= away_goals <= self.max_goals):
            return np.zeros(len(self))
        return np.asarray(self.probabilities[:, home_goals, away_goals])

    def most_likely_scores(self, k: int = 1) -> LikelyScores:
        """The ``k`` most likely scores of every fixture, most likely first."""
        if k < 1:
            raise ValueError(f"k must be at least 1, got {k}")
        flat = self.probabilities.reshape(len(self), -1)
        k = min(k, flat.shape[1])
        order = np.empty((len(self), k), dtype=np.intp)
        remaining = flat.copy()
        rows = np.arange(len(self))
        for rank in range(k):  # k argmax passes beat a full sort for the few scores anybody asks for
            order[:, rank] = np.argmax(remaining, axis=1)  # ties: the lower flat index first
            remaining[rows, order[:, rank]] = -1.0
        home, away = np.divmod(order, self.max_goals + 1)
        return LikelyScores(home, away, np.take_along_axis(flat, order, axis=1))
