"""``POST /api/entitlements``: a profile in, every provision it meets or may meet out.

A thin handler, like the rest of the API: the matching is ``Services.entitlements``
(``app.tools.entitlements``); the answer text is the same as the conversation's
(``app.answer.entitlements_text``).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from pydantic import Field

from app.answer.entitlements_text import answer_text
from app.server.errors import responses
from app.services import Services
from app.tools.entitlements import Entitlements, Profile

# The statuses every API route may answer with (a malformed or too large body, the index not ready).
router = APIRouter(prefix="/api", tags=["entitlements"], responses=responses(400, 413, 422, 503))


class EntitlementsAnswer(Entitlements):
    answer: str = Field("", description="the list in words, as the conversation gives it (Simplified)")


def services(request: Request) -> Services:
    return request.app.state.services  # type: ignore[no-any-return]


@router.post(
    "/entitlements",
    response_model=EntitlementsAnswer,
    summary="Every provision a person, an enterprise or an institution meets or may meet, with amounts and clauses",
)
def entitlements(profile: Profile, svc: Services = Depends(services)) -> Any:
    result = svc.entitlements(profile)
    return EntitlementsAnswer(**result.model_dump(), answer=answer_text(result, svc.clause_result))


@router.post(
    "/entitlements/csv",
    summary="The same list as CSV (UTF-8 with BOM), one row per provision, for a case system",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}}},
)
def entitlements_csv(profile: Profile, svc: Services = Depends(services)) -> Response:
    body = "\ufeff" + svc.entitlements(profile).csv()
    return Response(
        body,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="entitlements.csv"'},
    )
