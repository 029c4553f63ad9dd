"""Duty and the rota over the API: who is on duty now, going on and off duty, the rota's
shifts (list, add, remove) and the coming week's coverage with its gaps, each calling the
query or action in :mod:`moderation.duty` that the pages call.

Who is on duty: facilitators, leads and admins (members 403). Going on or off duty:
facilitators and admins. The rota and coverage: admins only. Views call one action or
query and never commit.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from forum.api.registry import Result
from forum.auth import current_viewer
from forum.db import get_session, utcnow
from moderation import duty as D
from moderation.access import require_admin, require_staff
from moderation.api_base import TAGS, api, board_ids, user_by_name
from moderation.api_schemas_duty import (
    CoverageOut,
    CoverageQuery,
    DutyNowOut,
    GoOnDutyIn,
    RotaOut,
    RotaQuery,
    ShiftIn,
    ShiftOut,
)
from moderation.duty_models import Shift


def shift_json(shift: Shift, slugs: dict[int, str]) -> dict[str, Any]:
    return {"id": shift.id, "user": shift.user.username,
            "boards": [slugs[b] for b in shift.board_ids or [] if b in slugs],
            "starts_at": shift.starts_at, "ends_at": shift.ends_at}


@api.route("/duty", methods=["GET"], responses={200: DutyNowOut}, auth=True, tags=TAGS)
def duty_now() -> Result:
    """Who is on duty now, and for which boards; and your own shift, if you are on duty."""
    viewer = current_viewer()
    session = get_session()
    rows = D.on_duty_now(session, viewer)
    mine = D.current_shift(session, viewer.id) if viewer.id else None
    return {"on_duty": [{"user": r.user.username, "boards": r.board_slugs, "until": r.until}
                        for r in rows],
            "my_shift": shift_json(mine, D.board_slugs(session)) if mine else None}


@api.route("/duty/on", methods=["POST"], body=GoOnDutyIn, responses={201: ShiftOut},
           auth=True, tags=TAGS, errors=[409])
def go_on_duty(body: GoOnDutyIn) -> Result:
    """Go on duty now, until you go off duty or for `hours`, for every board you
    facilitate or the `boards` named. 409 if you are already on duty."""
    viewer = current_viewer()
    session = get_session()
    require_staff(viewer)  # before the body's boards are looked up
    shift = D.do_go_on_duty(session, actor=viewer, hours=body.hours,
                            board_ids=board_ids(session, body.boards))
    return shift_json(shift, D.board_slugs(session)), 201


@api.route("/duty/off", methods=["POST"], responses={200: ShiftOut}, auth=True, tags=TAGS,
           errors=[409])
def go_off_duty() -> Result:
    """Go off duty now. 409 if you are not on duty."""
    session = get_session()
    shift = D.do_go_off_duty(session, actor=current_viewer())
    return shift_json(shift, D.board_slugs(session))


@api.route("/rota", methods=["GET"], query=RotaQuery, responses={200: RotaOut}, auth=True,
           tags=TAGS)
def rota_list(query: RotaQuery) -> Result:
    """The rota: every shift running now or starting in the coming `days` (administrators).
    """
    session = get_session()
    shifts = D.list_shifts(session, current_viewer(), days=query.days)
    slugs = D.board_slugs(session)
    return {"shifts": [shift_json(s, slugs) for s in shifts]}


@api.route("/rota", methods=["POST"], body=ShiftIn, responses={201: ShiftOut}, auth=True,
           tags=TAGS)
def add_rota_shift(body: ShiftIn) -> Result:
    """Put a facilitator on the rota (administrators). At most 24 hours a shift."""
    viewer = current_viewer()
    session = get_session()
    require_admin(viewer)  # before the body's names are looked up
    shift = D.do_add_shift(session, actor=viewer, user=user_by_name(session, body.user),
                           starts_at=body.starts_at, ends_at=body.ends_at,
                           board_ids=board_ids(session, body.boards))
    return shift_json(shift, D.board_slugs(session)), 201


@api.route("/rota/<int:shift_id>", methods=["DELETE"], responses={204: None}, auth=True,
           tags=TAGS)
def delete_rota_shift(shift_id: int) -> Result:
    """Take a shift off the rota (administrators)."""
    D.do_delete_shift(get_session(), actor=current_viewer(), shift_id=shift_id)
    return None, 204


@api.route("/coverage", methods=["GET"], query=CoverageQuery, responses={200: CoverageOut},
           auth=True, tags=TAGS)
def coverage_week(query: CoverageQuery) -> Result:
    """Each board's cover for the coming `days` (a week by default): the shifts of
    facilitators with current training, and the gaps where nobody is (administrators)."""
    session = get_session()
    now = utcnow()
    boards = D.coverage(session, current_viewer(), now=now, days=query.days)
    slugs = D.board_slugs(session)
    return {"starts_at": now, "ends_at": now + timedelta(days=query.days),
            "boards": [{"board": b.board.slug, "board_name": b.board.name,
                        "shifts": [shift_json(s, slugs) for s in b.shifts],
                        "gaps": [{"starts_at": a, "ends_at": z} for a, z in b.gaps]}
                       for b in boards]}
