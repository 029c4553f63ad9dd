"""The post hook: risk per board policy, personal-details confirmation, watched words,
spam, mutes, and the held-post case."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from forum.audit.models import AuditEntry
from forum.errors import Forbidden, Invalid
from forum.threads.actions import do_create_thread, do_edit_post
from forum.threads.models import Post, PostState
from moderation.actions import do_mute_member, do_save_watched_word
from moderation.hooks import NeedsConfirmation
from moderation.models import Case, CaseKind, Flag, FlagReason, Severity

pytestmark = pytest.mark.usefixtures("fake_checks")


def _flags(db, post_id):
    return list(db.scalars(select(Flag).where(Flag.post_id == post_id)))


def test_risk_post_is_published_and_urgent_with_crisis_notice(db, make, captured_events,
                                                                 app):
    board = make.board(risk_policy="publish_and_flag")
    outcome = make.thread(board, body="I can't go on [risk]")
    assert outcome.post.state == PostState.PUBLISHED
    case = db.scalar(select(Case).where(Case.post_id == outcome.post.id))
    assert case.severity == Severity.URGENT and case.kind == CaseKind.FLAGGED
    [notice] = outcome.notices
    assert notice["kind"] == "risk"
    assert 2 <= len(notice["contacts"]) <= 3
    assert notice["contacts"] == app.config["CRISIS_CONTACTS"][:3]
    assert "can't go on" not in str(notice)  # never shows their words back
    [flag] = _flags(db, outcome.post.id)
    assert flag.reason == FlagReason.SYSTEM and flag.rules[0]["rule"] == "risk.test"
    names = [(e.name, e.room) for e in captured_events]
    assert ("case.opened", f"staff:{board.slug}") in names
    assert ("thread.created", f"board:{board.slug}") in names
    assert db.scalar(select(AuditEntry).where(AuditEntry.action == "flag:system",
                                              AuditEntry.subject_id == outcome.post.id))


def test_risk_post_is_held_and_urgent_when_board_holds(db, make, captured_events):
    board = make.board(risk_policy="hold_and_flag")
    thread = make.thread(board).thread
    outcome = make.reply(thread, body="tonight is the night [risk]")
    assert outcome.post.state == PostState.HELD
    case = db.scalar(select(Case).where(Case.post_id == outcome.post.id))
    assert case.severity == Severity.URGENT and case.kind == CaseKind.HELD
    assert outcome.notices[0]["kind"] == "risk"
    assert "waiting for a facilitator" in outcome.notices[0]["text"]
    rooms = {e.room for e in captured_events if e.name.startswith("post.")}
    assert f"thread:{thread.id}" not in rooms  # nobody but staff and the author hears it


def test_personal_details_need_confirmation_then_flag(db, make):
    board = make.board()
    author = make.user()
    with pytest.raises(NeedsConfirmation) as err:
        make.thread(board, author, body="[phone] ring me")
    assert "phone number" in err.value.fields["body"]
    assert err.value.kinds == ["phone"] and err.value.code == "needs_confirmation"
    assert db.scalar(select(Post).where(Post.author_id == author.id)) is None
    outcome = do_create_thread(db, actor=make.viewer(author), board=board, title="Hi",
                               body="[phone] ring me", confirmed=True)
    assert outcome.post.state == PostState.PUBLISHED
    [flag] = _flags(db, outcome.post.id)
    assert flag.rules[0]["kind"] == "phone" and flag.rules[0]["span"] == [0, 7]


def test_watched_words_block_hold_flag_replace(db, make):
    admin = make.viewer(make.admin())
    board = make.board()
    do_save_watched_word(db, actor=admin, pattern="badword", action="block",
                         message="Please don't use that word here.")
    do_save_watched_word(db, actor=admin, pattern="holdme", action="hold", board=board)
    do_save_watched_word(db, actor=admin, pattern="flagme", action="flag")
    do_save_watched_word(db, actor=admin, pattern="darn", action="replace", replacement="d***")
    with pytest.raises(Invalid) as err:
        make.thread(board, body="this has badword in it")
    assert err.value.fields["body"] == "Please don't use that word here."
    held = make.thread(board, body="please holdme now").post
    assert held.state == PostState.HELD
    flagged = make.thread(board, body="please flagme now").post
    assert flagged.state == PostState.PUBLISHED and _flags(db, flagged.id)
    replaced = make.thread(board, body="oh darn it").post
    assert replaced.body_source == "oh d*** it" and "darn" not in replaced.body_html
    assert not _flags(db, replaced.id)
    other = make.board()
    assert make.thread(other, body="please holdme now").post.state == PostState.PUBLISHED


def test_spam_from_new_account_is_held(db, make):
    board = make.board()
    post = make.thread(board, body="[spam] buy now").post
    assert post.state == PostState.HELD
    case = db.scalar(select(Case).where(Case.post_id == post.id))
    assert case.kind == CaseKind.HELD


def test_held_by_policy_opens_a_case(db, make, captured_events):
    board = make.board(posting_policy="all_held")
    post = make.thread(board).post
    assert post.state == PostState.HELD
    case = db.scalar(select(Case).where(Case.post_id == post.id))
    assert case.kind == CaseKind.HELD and case.severity == Severity.LOW
    assert all(e.room in (f"staff:{board.slug}", f"user:{post.author_id}")
               for e in captured_events)


def test_edit_that_adds_risk_flags(db, make):
    board = make.board()
    author = make.user()
    post = make.thread(board, author).post
    do_edit_post(db, actor=make.viewer(author), post=post, body="edited [risk]")
    case = db.scalar(select(Case).where(Case.post_id == post.id))
    assert case.severity == Severity.URGENT


def test_mute_stops_posting_on_that_board(db, make):
    board = make.board()
    guide = make.viewer(make.facilitator(board))
    author = make.user()
    do_mute_member(db, actor=guide, user=author, board=board, days=14, reason="Rude replies")
    with pytest.raises(Forbidden):
        make.thread(board, author)
    assert db.scalar(select(Post).where(Post.author_id == author.id)) is None
    assert make.thread(make.board(), author).post.state == PostState.PUBLISHED


def test_facilitator_posts_are_not_screened(db, make):
    board = make.board(posting_policy="all_held")
    guide = make.facilitator(board)
    post = make.thread(board, guide, body="[risk] [spam]").post
    assert post.state == PostState.PUBLISHED
    assert not _flags(db, post.id)


def test_model_only_risk_hunch_is_flagged_without_notice(db, make, monkeypatch):
    import moderation.checks as engine
    from moderation.checks.types import CheckResult, Finding

    hunch = Finding("model.minilm-risk", "risk", "medium", "similar wording", None, None, 0.6)
    monkeypatch.setattr(engine, "run_checks", lambda text, meta=None: CheckResult([hunch]))
    board = make.board(risk_policy="hold_and_flag")
    outcome = make.thread(board, body="this weekend will be different")
    assert outcome.post.state == PostState.PUBLISHED and outcome.notices == []
    case = db.scalar(select(Case).where(Case.post_id == outcome.post.id))
    assert case.severity == Severity.HIGH


def test_at_mention_is_not_a_social_handle(db, make, monkeypatch):
    import moderation.checks as engine
    from moderation.checks.types import CheckResult, Finding

    friend = make.user("friendly")

    def handles(text, meta=None):
        at = text.index("@")
        end = at + 1 + len(text[at + 1:].split()[0])
        return CheckResult([Finding("pii.social", "pii", "low", "handle", (at, end), "social")])

    monkeypatch.setattr(engine, "run_checks", handles)
    board = make.board()
    assert make.thread(board, body=f"Thanks @{friend.username} for this").post.id
    assert make.thread(board, body="Thanks @someone_else too").post.id
