"""Leagues and their teams, as the store knows them."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter

from scoreline import columns as c
from scoreline.serving.api.deps import SnapshotDep
from scoreline.serving.errors import ApiError, responses
from scoreline.serving.schemas import LeagueOut, LeaguesResponse, NameProblem, TeamsResponse
from scoreline.serving.snapshot import UnknownNameError

router = APIRouter(prefix="/v1/leagues", tags=["leagues"])


@router.get("", response_model=LeaguesResponse, summary="Leagues in the store.", responses=responses(503))
async def leagues(snapshot: SnapshotDep) -> LeaguesResponse:
    upcoming = snapshot.upcoming(datetime.now())[c.LEAGUE].value_counts()
    return LeaguesResponse(
        leagues=[
            LeagueOut(
                league=code,
                season=league.season,
                teams=len(league.teams),
                upcoming=int(upcoming.get(code, 0)),
            )
            for code, league in snapshot.directory.leagues.items()
        ]
    )


@router.get(
    "/{league}/teams",
    response_model=TeamsResponse,
    summary="Teams of a league's latest season.",
    responses=responses(404, 503),
)
async def teams(league: str, snapshot: SnapshotDep) -> TeamsResponse:
    try:
        found = snapshot.directory.league(league)
    except UnknownNameError as error:
        problem = NameProblem(
            loc=["path", "league"], kind="league", name=league, suggestions=error.suggestions
        )
        raise ApiError(404, str(error), [problem]) from None
    return TeamsResponse(league=found.code, season=found.season, teams=list(found.teams))
