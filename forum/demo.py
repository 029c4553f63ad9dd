"""Demo content for development: boards, members, staff and conversations that read like
real peer support. Loaded by ``forum demo`` and by ``make run`` when the database is empty."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import func, select

from forum.accounts.actions import do_create_user
from forum.accounts.models import Role, User
from forum.boards.actions import (
    do_assign_facilitator,
    do_create_board,
    do_join_board,
    do_update_board,
)
from forum.db import job_session
from forum.permissions import load_viewer
from forum.threads.actions import do_add_reaction, do_create_thread, do_reply
from forum.threads.models import PostState

DEMO_PASSWORD = "alongside-demo-2026"  # noqa: S105 - documented demo accounts only

DEMO_USERS = [
    ("sam_admin", "admin@example.org", Role.ADMIN),
    ("rowan_facilitator", "rowan@example.org", Role.FACILITATOR),
    ("maple", "maple@example.org", Role.MEMBER),
    ("heron", "heron@example.org", Role.MEMBER),
    ("tideline", "tideline@example.org", Role.MEMBER),
]

DEMO_BOARDS = [
    {"name": "Living with type 2 diabetes", "slug": "type-2-diabetes",
     "condition": "Type 2 diabetes",
     "description": "Everyday life with type 2 diabetes: food, tablets, tiredness, "
                    "and the feelings that come with a diagnosis.",
     "support_model": {"who_for": "Adults living with type 2 diabetes",
                       "supporters": "Trained peer facilitators who live with diabetes",
                       "delivery": "Online forum, open to all members",
                       "frequency": "Facilitators on duty every weekday evening"}},
    {"name": "Carers of people with dementia", "slug": "dementia-carers",
     "condition": "Caring for someone with dementia",
     "description": "For partners, children and friends caring for someone with dementia."},
    {"name": "Long COVID", "slug": "long-covid", "condition": "Long COVID",
     "description": "Pacing, fatigue, going back to work, and being believed."},
    {"name": "Young adults with IBD (private)", "slug": "ibd-young-adults",
     "condition": "Crohn's disease and ulcerative colitis, ages 18 to 25",
     "description": "A private group: members join by invitation from a facilitator.",
     "visibility": "private"},
]

CONVERSATIONS = [
    ("type-2-diabetes", "maple", "Just diagnosed and feeling overwhelmed",
     "Got my diagnosis last week after a routine blood test. I feel fine, which makes it "
     "harder to take in. The leaflet is a lot. How did you all start?",
     [("heron", "It was the same for me three years ago. Honestly, the first month is the "
                "hardest. I started by changing one thing at a time — swapping my evening "
                "snack was the first."),
      ("tideline", "Ask your GP about the structured education course (mine was called "
                   "DESMOND). Meeting other people in the same boat helped more than the "
                   "leaflets did."),
      ("maple", "Thank you both. One thing at a time sounds doable.")]),
    ("type-2-diabetes", "heron", "Tips for eating out?",
     "We have a family birthday meal on Saturday. Any tips for eating out without "
     "making a fuss?",
     [("tideline", "I look at the menu online beforehand so I'm not deciding on the spot. "
                   "Makes it much less stressful.")]),
    ("dementia-carers", "tideline", "Mum doesn't recognise me some days",
     "Some days Mum knows exactly who I am and other days she asks when her daughter is "
     "coming. I know it's the illness but it still hurts. How do you cope with that?",
     [("heron", "Sending you a hug. My dad is the same. I've learned to go along with "
                "wherever he is that day — it's kinder for both of us.")]),
    ("long-covid", "maple", "Pacing when you feel good",
     "On good days I overdo it and pay for it for three days after. Does anyone have "
     "a way of pacing that actually works?",
     [("heron", "I use a timer on my phone — 25 minutes doing, 10 minutes resting, even "
                "when I feel fine. Boring but it works for me.")]),
]


def load_demo(app: Flask, *, only_if_empty: bool = False) -> bool:
    """Create the demo content; with ``only_if_empty``, only into an empty database."""
    with job_session(app) as session:
        if only_if_empty and (session.scalar(select(func.count(User.id))) or 0) > 0:
            return False
        users: dict[str, User] = {}
        for username, email, role in DEMO_USERS:
            users[username] = do_create_user(session, actor=None, username=username,
                                              email=email, password=DEMO_PASSWORD, role=role)
        boards = {}
        for spec in DEMO_BOARDS:
            board = do_create_board(session, actor=None, **spec)
            boards[board.slug] = board
            do_assign_facilitator(session, actor=None, board=board,
                                  user=users["rowan_facilitator"])
        for username in ("maple", "heron", "tideline"):
            viewer = load_viewer(session, users[username])
            for slug in ("type-2-diabetes", "dementia-carers", "long-covid"):
                do_join_board(session, actor=viewer, board=boards[slug])
        for slug, author, title, body, replies in CONVERSATIONS:
            outcome = do_create_thread(session, actor=load_viewer(session, users[author]),
                                       board=boards[slug], title=title, body=body)
            shown = [outcome.post]
            for reply_author, text in replies:
                shown.append(do_reply(session, actor=load_viewer(session, users[reply_author]),
                                      thread=outcome.thread, body=text).post)
            # The automatic checks may hold a post for a facilitator, as they would any
            # member's: the thanks go to the last post that was published.
            published = [post for post in shown if post.state == PostState.PUBLISHED]
            if published:
                do_add_reaction(session, actor=load_viewer(session, users[author]),
                                post=published[-1], kind="thank_you")
        # New members' first posts wait for a facilitator here; set after the demo posts.
        admin = load_viewer(session, users["sam_admin"])
        do_update_board(session, actor=admin, board=boards["dementia-carers"],
                        posting_policy="new_members_held")
        return True
