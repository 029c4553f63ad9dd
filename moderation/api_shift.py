"""The shift's work over the API, as on the pages: the handover queue (read it, clear what
you have read), unanswered posts (conversations and members waiting for a reply) and the
facilitators' workload, each calling the query or action the pages call
(:mod:`moderation.duty`, :mod:`moderation.unanswered`, :mod:`moderation.workload`).

The handover queue and unanswered posts: facilitators (their boards) and admins; members
and leads of no board 403. Workload: admins only. Views never commit.
"""

from __future__ import annotations

from typing import Any

from flask import current_app

from forum.api.registry import Result
from forum.auth import current_viewer
from forum.db import get_session
from forum.threads.serialize import absolute_url
from moderation import duty as D
from moderation.api_base import TAGS, api
from moderation.api_schemas_shift import (
    HandoverClearIn,
    HandoverClearOut,
    HandoverOut,
    HandoverQuery,
    UnansweredOut,
    WorkloadOut,
)
from moderation.duty_models import HandoverItem
from moderation.unanswered import quiet_members, unanswered_threads
from moderation.workload import WINDOW_DAYS, workload


def _item_url(item: HandoverItem) -> str | None:
    if item.escalation_id is not None:
        return absolute_url("moderation.escalation", escalation_id=item.escalation_id)
    if item.case_id is not None:
        return absolute_url("moderation.case", case_id=item.case_id)
    return None


def handover_json(item: HandoverItem) -> dict[str, Any]:
    return {"id": item.id, "board": item.board.slug, "kind": item.kind,
            "summary": item.summary, "case_id": item.case_id, "post_id": item.post_id,
            "thread_id": item.thread_id, "escalation_id": item.escalation_id,
            "url": _item_url(item), "created_at": item.created_at,
            "cleared_at": item.cleared_at}


@api.route("/handover", methods=["GET"], query=HandoverQuery, responses={200: HandoverOut},
           auth=True, tags=TAGS)
def handover_queue(query: HandoverQuery) -> Result:
    """What happened on your boards while no trained facilitator was on duty, oldest first
    (facilitators and administrators)."""
    items = D.handover_items(get_session(), current_viewer(), include_cleared=query.cleared)
    return {"items": [handover_json(i) for i in items]}


@api.route("/handover/clear", methods=["POST"], body=HandoverClearIn,
           responses={200: HandoverClearOut}, auth=True, tags=TAGS)
def clear_handover(body: HandoverClearIn) -> Result:
    """Mark handover items as read (on boards you facilitate)."""
    cleared = D.do_clear_handover(get_session(), actor=current_viewer(), item_ids=body.items)
    return {"cleared": cleared}


@api.route("/unanswered", methods=["GET"], responses={200: UnansweredOut}, auth=True,
           tags=TAGS)
def unanswered() -> Result:
    """Conversations on your boards nobody has answered, and members whose recent posts got
    no reply, so a guiding reply can go out (facilitators and administrators)."""
    viewer = current_viewer()
    session = get_session()
    threads = unanswered_threads(session, viewer)
    members = quiet_members(session, viewer)
    return {"wait_hours": int(current_app.config.get("UNANSWERED_HOURS", 24)),
            "threads": [{"id": t.id, "title": t.title, "board": t.board.slug,
                         "author": t.author.username if t.author else None,
                         "created_at": t.created_at,
                         "url": absolute_url("threads.show", thread_id=t.id)}
                        for t in threads],
            "members": [{"user": m.user.username, "unanswered": m.unanswered,
                         "last_posted_at": m.last_posted_at,
                         "last_thread_id": m.last_thread.id,
                         "last_thread_url": absolute_url("threads.show",
                                                         thread_id=m.last_thread.id)}
                        for m in members]}


@api.route("/workload", methods=["GET"], responses={200: WorkloadOut}, auth=True, tags=TAGS)
def workload_list() -> Result:
    """Each facilitator's load, response times and high-risk escalations handled in each
    shift over the last 30 days (administrators)."""
    rows = workload(get_session(), current_viewer())
    return {"window_days": WINDOW_DAYS,
            "facilitators": [{"user": r.user.username, "open_cases": r.open_cases,
                              "open_escalations": r.open_escalations,
                              "median_ack_minutes": r.median_ack_minutes,
                              "median_act_minutes": r.median_act_minutes,
                              "high_risk_handled": r.high_risk_handled,
                              "most_in_a_shift": r.most_in_a_shift,
                              "shifts": [{"starts_at": s.starts_at, "ends_at": s.ends_at,
                                          "high_risk": s.high_risk} for s in r.shifts]}
                             for r in rows]}
