"""Who gets what: every route, walked as seven kinds of visitor, against one table.

Every (method, endpoint) in ``app.url_map`` needs at least one line in :data:`TABLE`; a
route with no line fails the test, with a line to copy. One line per endpoint and target:

    (method, endpoint, target, anonymous, member, other_member, facilitator,
     expired_facilitator, other_facilitator, admin)

``target`` says which fixture the URL is built from: ``public`` or ``private`` (a board,
with a thread and a post on it), or ``-`` for routes with no values. "member" is a member
of the target board; "other member" belongs only to a different private board;
"facilitator" facilitates the target board with their required training current;
"expired facilitator" facilitates the target board but their record for the required
course has lapsed; "other facilitator" facilitates only the other board (trained). A cell
is a status code or a tuple of acceptable codes.

An expired facilitator may still read everything they facilitate (the queue, cases,
escalations, earlier versions of posts) but not act: the moderation actions refuse them
(``require_trained``: 403), and so do going on duty (``require_trained``), inviting a
member to a board (page and form: ``Viewer.acts_for``, before the form is read) and the
forum's facilitator powers over other members' posts (editing, deleting:
``Viewer.acts_for``). Other forms sent empty are refused for being empty (422) before that
question comes up, so those cells match the trained facilitator's.

Fixtures per target board: a thread and reply by the member, the reply reported by the
facilitator (an open case), a warning to the member on that board with the member's
appeal (a notice and an appeal), the case escalated by the facilitator (an escalation).
Shared: a watched word, a notification for the member, the member's unsubscribe token, the
"hide" message template, a shift tomorrow for the facilitator, a training record for the
facilitator, a lead (an eighth user: a lead sees escalations from level 2), the member's
username, a session id nobody has, and one required training course.

Blueprints still being built on another branch (no write routes yet: the skeleton views)
keep their lines in the table but are only checked once their feature is merged.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask, url_for
from helpers import Factories
from sqlalchemy import select
from sqlalchemy.orm import Session
from stubs import is_stub, sign_in

from forum.boards.actions import do_invite_member
from forum.boards.models import Visibility
from forum.db import utcnow
from forum.notifications.emails import unsubscribe_token
from forum.notifications.fanout import notify_member
from forum.permissions import load_viewer
from moderation.actions import (
    do_appeal,
    do_escalate_case,
    do_report_post,
    do_save_watched_word,
    do_warn_member,
)
from moderation.duty import do_add_shift
from moderation.models import ActionNotice, Case
from moderation.protocol import do_add_lead
from moderation.training import do_record_training, do_save_course

ROLES = ("anonymous", "member", "other_member", "facilitator", "expired_facilitator",
         "other_facilitator", "admin")
Cell = int | tuple[int, ...]
OK, FOUND, LOGIN, NOPE = 200, 302, 401, 404
PRIVATE_ONLY_INSIDERS = (NOPE, OK, NOPE, OK, OK, NOPE, OK)
EVERYONE_OK = (OK,) * 7

TABLE: list[tuple[Any, ...]] = [
    # method, endpoint,          target,   anon, member, other_m, facil, expired, other_f, admin
    ("GET", "help.crisis",       "-",      *EVERYONE_OK),
    ("GET", "help.guidelines",   "-",      *EVERYONE_OK),
    ("GET", "help.privacy",      "-",      *EVERYONE_OK),
    ("GET", "help.security_txt", "-",      *EVERYONE_OK),
    ("GET", "health.healthz",    "-",      *EVERYONE_OK),
    ("GET", "health.readyz",     "-",      *EVERYONE_OK),
    ("GET", "boards.index",      "-",      *EVERYONE_OK),
    ("GET", "boards.show",       "public", *EVERYONE_OK),
    ("GET", "boards.show",       "private", *PRIVATE_ONLY_INSIDERS),
    ("GET", "threads.show",      "public", *EVERYONE_OK),
    ("GET", "threads.show",      "private", *PRIVATE_ONLY_INSIDERS),
    ("GET", "threads.permalink", "public", *(FOUND,) * 7),
    ("GET", "threads.permalink", "private", NOPE, FOUND, NOPE, FOUND, FOUND, NOPE, FOUND),
    # Accounts and API lines were checked against branches accounts + api merged together.
    # API writes are sent with no JSON body: anonymous is refused (401) before the body is
    # read (415); the body-less ones show the permission answer itself.
    ("DELETE", "api.delete_post",             "public",  401, 204, 403, 204, 403, 403, 204),
    ("DELETE", "api.delete_post",             "private", 401, 204, 404, 204, 403, 404, 204),
    ("DELETE", "api.leave_board",             "public",  401, 200, 200, 200, 200, 200, 200),
    ("DELETE", "api.leave_board",             "private", 401, 200, 404, 200, 200, 404, 200),
    ("DELETE", "api.remove_reaction",         "public",  401, 415, 415, 415, 415, 415, 415),
    ("DELETE", "api.remove_reaction",         "private", 401, 415, 415, 415, 415, 415, 415),
    ("DELETE", "api.revoke_current_token",    "-",       401, 401, 401, 401, 401, 401, 401),
    ("DELETE", "api.unfollow_thread",         "public",  401, 200, 200, 200, 200, 200, 200),
    ("DELETE", "api.unfollow_thread",         "private", 401, 200, 404, 200, 200, 404, 200),
    ("GET", "accounts.change_email",          "-",       302, 200, 200, 200, 200, 200, 200),
    ("GET", "accounts.change_password",       "-",       302, 200, 200, 200, 200, 200, 200),
    # The emailed sign-up link (here a link that is not one): a calm 400 page; signed-in
    # visitors are sent home (303) rather than switched to a new account.
    ("GET", "accounts.confirm_registration",  "-",       400, 303, 303, 303, 303, 303, 303),
    ("POST", "accounts.confirm_registration", "-",       400, 303, 303, 303, 303, 303, 303),
    # The link sent to a new email address (here a link that is not one): a calm 400 page
    # for everyone, signed in or not (the link works signed out too).
    ("GET", "accounts.confirm_email_change",  "-",       400, 400, 400, 400, 400, 400, 400),
    ("POST", "accounts.confirm_email_change", "-",       400, 400, 400, 400, 400, 400, 400),
    ("GET", "accounts.login",                 "-",       200, 302, 302, 302, 302, 302, 302),
    ("GET", "accounts.register",              "-",       200, 302, 302, 302, 302, 302, 302),
    ("GET", "accounts.request_reset",         "-",       200, 200, 200, 200, 200, 200, 200),
    ("GET", "accounts.reset_password",        "-",       400, 400, 400, 400, 400, 400, 400),
    ("GET", "accounts.settings",              "-",       302, 200, 200, 200, 200, 200, 200),
    ("GET", "api.board",                      "public",  200, 200, 200, 200, 200, 200, 200),
    ("GET", "api.board",                      "private", 404, 200, 404, 200, 200, 404, 200),
    ("GET", "api.board_threads",              "public",  200, 200, 200, 200, 200, 200, 200),
    ("GET", "api.board_threads",              "private", 404, 200, 404, 200, 200, 404, 200),
    ("GET", "api.boards",                     "-",       200, 200, 200, 200, 200, 200, 200),
    ("GET", "api.me",                         "-",       401, 200, 200, 200, 200, 200, 200),
    ("GET", "api.openapi",                    "-",       200, 200, 200, 200, 200, 200, 200),
    ("GET", "api.thread",                     "public",  200, 200, 200, 200, 200, 200, 200),
    ("GET", "api.thread",                     "private", 404, 200, 404, 200, 200, 404, 200),
    ("GET", "api.thread_posts",               "public",  200, 200, 200, 200, 200, 200, 200),
    ("GET", "api.thread_posts",               "private", 404, 200, 404, 200, 200, 404, 200),
    ("PATCH", "api.edit_post",                "public",  401, 415, 415, 415, 415, 415, 415),
    ("PATCH", "api.edit_post",                "private", 401, 415, 415, 415, 415, 415, 415),
    ("POST", "accounts.change_email",         "-",       302, 422, 422, 422, 422, 422, 422),
    ("POST", "accounts.change_password",      "-",       302, 422, 422, 422, 422, 422, 422),
    ("POST", "accounts.create_token",         "-",       302, 422, 422, 422, 422, 422, 422),
    ("POST", "accounts.login",                "-",       422, 422, 422, 422, 422, 422, 422),
    ("POST", "accounts.logout",               "-",       303, 303, 303, 303, 303, 303, 303),
    ("POST", "accounts.register",             "-",       422, 302, 302, 302, 302, 302, 302),
    ("POST", "accounts.request_reset",        "-",       422, 422, 422, 422, 422, 422, 422),
    ("POST", "accounts.reset_password",       "-",       400, 400, 400, 400, 400, 400, 400),
    ("POST", "accounts.revoke_token",         "-",       302, 404, 404, 404, 404, 404, 404),
    ("POST", "api.add_reaction",              "public",  401, 415, 415, 415, 415, 415, 415),
    ("POST", "api.add_reaction",              "private", 401, 415, 415, 415, 415, 415, 415),
    ("POST", "api.create_thread",             "public",  401, 415, 415, 415, 415, 415, 415),
    ("POST", "api.create_thread",             "private", 401, 415, 415, 415, 415, 415, 415),
    ("POST", "api.create_token",              "-",       415, 415, 415, 415, 415, 415, 415),
    ("POST", "api.follow_thread",             "public",  401, 200, 200, 200, 200, 200, 200),
    ("POST", "api.follow_thread",             "private", 401, 200, 404, 200, 200, 404, 200),
    ("POST", "api.join_board",                "public",  401, 200, 200, 200, 200, 200, 200),
    ("POST", "api.join_board",                "private", 401, 200, 404, 200, 200, 404, 403),
    ("POST", "api.mark_read",                 "public",  401, 415, 415, 415, 415, 415, 415),
    ("POST", "api.mark_read",                 "private", 401, 415, 415, 415, 415, 415, 415),
    ("POST", "api.reply",                     "public",  401, 415, 415, 415, 415, 415, 415),
    ("POST", "api.reply",                     "private", 401, 415, 415, 415, 415, 415, 415),
    ("GET", "privacy.export",                 "-",       302, 200, 200, 200, 200, 200, 200),
    ("POST", "privacy.export",                "-",       302, 422, 422, 422, 422, 422, 422),
    ("GET", "privacy.delete_account",         "-",       302, 200, 200, 200, 200, 200, 200),
    ("POST", "privacy.delete_account",        "-",       302, 422, 422, 422, 422, 422, 422),
    ("GET", "privacy.account_closed",         "-",       *EVERYONE_OK),
    # Boards, threads, notifications and moderation (pages and /api/v1/moderation). Pages
    # answer a signed-out visitor 401 (the sign-in page, with its link) where a route needs
    # an account, or 302 to sign-in where the view redirects itself; admin pages are 403 to
    # everyone else; moderation pages are 403 to members, and a case or appeal of a board
    # you do not facilitate is 404. The facilitator here is the one who warned the member:
    # deciding the appeal against their own decision is refused (403), an admin may (422,
    # empty form). The member cannot report their own post (403). The report's confirmation
    # is only for whoever reported the post (nobody here): anyone else is sent to the report
    # form (302), whatever the post, so it tells nobody anything. Moderation API writes
    # are sent with no JSON body (415 once signed in).
    ("DELETE", "moderation_api.delete_watched_word", "-",       401, 403, 403, 403, 403, 403, 204),
    ("GET", "boards.admin_edit",                    "public",  401, 403, 403, 403, 403, 403, 200),
    ("GET", "boards.admin_edit",                    "private", 401, 403, 403, 403, 403, 403, 200),
    ("GET", "boards.admin_facilitators",            "public",  401, 403, 403, 403, 403, 403, 200),
    ("GET", "boards.admin_facilitators",            "private", 401, 403, 403, 403, 403, 403, 200),
    ("GET", "boards.admin_list",                    "-",       401, 403, 403, 403, 403, 403, 200),
    ("GET", "boards.admin_new",                     "-",       401, 403, 403, 403, 403, 403, 200),
    ("GET", "boards.invite",                        "public",  401, 403, 403, 200, 403, 403, 200),
    ("GET", "boards.invite",                        "private", 404, 403, 404, 200, 403, 404, 200),
    ("GET", "moderation.appeal",                    "public",  401, 403, 403, 200, 200, 404, 200),
    ("GET", "moderation.appeal",                    "private", 401, 403, 403, 200, 200, 404, 200),
    ("GET", "moderation.appeal_notice",             "public",  401, 200, 404, 404, 404, 404, 404),
    ("GET", "moderation.appeal_notice",             "private", 401, 200, 404, 404, 404, 404, 404),
    ("GET", "moderation.audit_log",                 "-",       401, 403, 403, 403, 403, 403, 200),
    ("GET", "moderation.case",                      "public",  401, 403, 403, 200, 200, 404, 200),
    ("GET", "moderation.case",                      "private", 401, 403, 403, 200, 200, 404, 200),
    ("GET", "moderation.ladder",                    "-",       401, 403, 403, 403, 403, 403, 200),
    ("GET", "moderation.message_template",          "-",       401, 403, 403, 403, 403, 403, 200),
    ("GET", "moderation.message_templates",         "-",       401, 403, 403, 403, 403, 403, 200),
    ("GET", "moderation.my_notices",                "-",       401, 200, 200, 200, 200, 200, 200),
    ("GET", "moderation.my_reports",                "-",       401, 200, 200, 200, 200, 200, 200),
    ("GET", "moderation.queue",                     "-",       401, 403, 403, 200, 200, 200, 200),
    ("GET", "moderation.queue_items",               "-",       401, 403, 403, 200, 200, 200, 200),
    ("GET", "moderation.report",                    "public",  401, 200, 200, 200, 200, 200, 200),
    ("GET", "moderation.report",                    "private", 401, 200, 404, 200, 200, 404, 200),
    ("GET", "moderation.report_sent",               "public",  401, 302, 302, 302, 302, 302, 302),
    ("GET", "moderation.report_sent",               "private", 401, 302, 302, 302, 302, 302, 302),
    ("GET", "moderation.staff_notes",               "-",       401, 403, 403, 200, 200, 200, 200),
    ("GET", "moderation.watched_word",              "-",       401, 403, 403, 403, 403, 403, 200),
    ("GET", "moderation.watched_words",             "-",       401, 403, 403, 403, 403, 403, 200),
    ("GET", "moderation_api.audit",                 "-",       401, 403, 403, 403, 403, 403, 200),
    ("GET", "moderation_api.case",                  "public",  401, 403, 403, 200, 200, 404, 200),
    ("GET", "moderation_api.case",                  "private", 401, 403, 403, 200, 200, 404, 200),
    ("GET", "moderation_api.my_notices",            "-",       401, 200, 200, 200, 200, 200, 200),
    ("GET", "moderation_api.my_reports",            "-",       401, 200, 200, 200, 200, 200, 200),
    ("GET", "moderation_api.queue",                 "-",       401, 403, 403, 200, 200, 200, 200),
    ("GET", "moderation_api.watched_words",         "-",       401, 403, 403, 403, 403, 403, 200),
    ("GET", "notifications.index",                  "-",       302, 200, 200, 200, 200, 200, 200),
    ("GET", "notifications.open",                   "-",       302, 302, 404, 404, 404, 404, 404),
    ("GET", "notifications.settings",               "-",       302, 200, 200, 200, 200, 200, 200),
    ("GET", "notifications.unsubscribe",            "-",       200, 200, 200, 200, 200, 200, 200),
    ("GET", "threads.delete",                       "public",  401, 200, 403, 200, 403, 403, 200),
    ("GET", "threads.delete",                       "private", 404, 200, 404, 200, 403, 404, 200),
    ("GET", "threads.edit",                         "public",  401, 200, 403, 200, 403, 403, 200),
    ("GET", "threads.edit",                         "private", 404, 200, 404, 200, 403, 404, 200),
    ("GET", "threads.first_unread",                 "public",  302, 302, 302, 302, 302, 302, 302),
    ("GET", "threads.first_unread",                 "private", 404, 302, 404, 302, 302, 404, 302),
    ("GET", "threads.new",                          "public",  401, 200, 200, 200, 200, 200, 200),
    ("GET", "threads.new",                          "private", 404, 200, 404, 200, 200, 404, 200),
    ("GET", "threads.reply",                        "public",  401, 200, 200, 200, 200, 200, 200),
    ("GET", "threads.reply",                        "private", 404, 200, 404, 200, 200, 404, 200),
    ("GET", "threads.revisions",                    "public",  401, 403, 403, 200, 200, 403, 200),
    ("GET", "threads.revisions",                    "private", 404, 403, 404, 200, 200, 404, 200),
    ("POST", "boards.admin_archive",                "public",  401, 403, 403, 403, 403, 403, 302),
    ("POST", "boards.admin_archive",                "private", 401, 403, 403, 403, 403, 403, 302),
    ("POST", "boards.admin_edit",                   "public",  401, 403, 403, 403, 403, 403, 422),
    ("POST", "boards.admin_edit",                   "private", 401, 403, 403, 403, 403, 403, 422),
    ("POST", "boards.admin_facilitators",           "public",  401, 403, 403, 403, 403, 403, 422),
    ("POST", "boards.admin_facilitators",           "private", 401, 403, 403, 403, 403, 403, 422),
    ("POST", "boards.admin_new",                    "-",       401, 403, 403, 403, 403, 403, 422),
    ("POST", "boards.invite",                       "public",  401, 403, 403, 422, 403, 403, 422),
    ("POST", "boards.invite",                       "private", 404, 403, 404, 422, 403, 404, 422),
    ("POST", "boards.join",                         "public",  401, 302, 302, 302, 302, 302, 302),
    ("POST", "boards.join",                         "private", 404, 302, 404, 302, 302, 404, 403),
    ("POST", "boards.leave",                        "public",  401, 302, 302, 302, 302, 302, 302),
    ("POST", "boards.leave",                        "private", 404, 302, 404, 302, 302, 404, 302),
    ("POST", "moderation.appeal",                   "public",  401, 403, 403, 403, 403, 404, 422),
    ("POST", "moderation.appeal",                   "private", 401, 403, 403, 403, 403, 404, 422),
    ("POST", "moderation.appeal_notice",            "public",  401, 422, 404, 404, 404, 404, 404),
    ("POST", "moderation.appeal_notice",            "private", 401, 422, 404, 404, 404, 404, 404),
    ("POST", "moderation.case_action",              "public",  401, 403, 403, 302, 403, 404, 302),
    ("POST", "moderation.case_action",              "private", 401, 403, 403, 302, 403, 404, 302),
    ("POST", "moderation.delete_watched_word",      "-",       401, 403, 403, 403, 403, 403, 302),
    ("POST", "moderation.ladder",                   "-",       401, 403, 403, 403, 403, 403, 422),
    ("POST", "moderation.message_template",         "-",       401, 403, 403, 403, 403, 403, 422),
    ("POST", "moderation.report",                   "public",  401, 403, 422, 422, 422, 422, 422),
    ("POST", "moderation.report",                   "private", 401, 403, 404, 422, 422, 404, 422),
    ("POST", "moderation.staff_notes",              "-",       401, 403, 403, 422, 422, 422, 422),
    ("POST", "moderation.watched_word",             "-",       401, 403, 403, 403, 403, 403, 422),
    ("POST", "moderation_api.add_watched_word",     "-",       401, 415, 415, 415, 415, 415, 415),
    ("POST", "moderation_api.appeal",               "public",  401, 415, 415, 415, 415, 415, 415),
    ("POST", "moderation_api.appeal",               "private", 401, 415, 415, 415, 415, 415, 415),
    ("POST", "moderation_api.case_action",          "public",  401, 415, 415, 415, 415, 415, 415),
    ("POST", "moderation_api.case_action",          "private", 401, 415, 415, 415, 415, 415, 415),
    ("POST", "moderation_api.decide",               "public",  401, 415, 415, 415, 415, 415, 415),
    ("POST", "moderation_api.decide",               "private", 401, 415, 415, 415, 415, 415, 415),
    ("POST", "moderation_api.preview",              "-",       401, 415, 415, 415, 415, 415, 415),
    ("POST", "moderation_api.report",               "-",       401, 415, 415, 415, 415, 415, 415),
    ("POST", "notifications.read_all",              "-",       302, 302, 302, 302, 302, 302, 302),
    ("POST", "notifications.settings",              "-",       302, 422, 422, 422, 422, 422, 422),
    ("POST", "notifications.unsubscribe",           "-",       200, 200, 200, 200, 200, 200, 200),
    ("POST", "threads.delete",                      "public",  401, 302, 403, 302, 403, 403, 302),
    ("POST", "threads.delete",                      "private", 404, 302, 404, 302, 403, 404, 302),
    ("POST", "threads.edit",                        "public",  401, 422, 403, 422, 403, 403, 422),
    ("POST", "threads.edit",                        "private", 404, 422, 404, 422, 403, 404, 422),
    ("POST", "threads.follow",                      "public",  401, 302, 302, 302, 302, 302, 302),
    ("POST", "threads.follow",                      "private", 404, 302, 404, 302, 302, 404, 302),
    ("POST", "threads.new",                         "public",  401, 422, 422, 422, 422, 422, 422),
    ("POST", "threads.new",                         "private", 404, 422, 404, 422, 422, 404, 422),
    ("POST", "threads.react",                       "public",  401, 422, 422, 422, 422, 422, 422),
    ("POST", "threads.react",                       "private", 404, 422, 404, 422, 422, 404, 422),
    ("POST", "threads.reply",                       "public",  401, 422, 422, 422, 422, 422, 422),
    ("POST", "threads.reply",                       "private", 404, 422, 404, 422, 422, 404, 422),
    # Two-step sign-in and "Where you're signed in" (accounts). Signed-out visitors are sent
    # to sign-in (302); the second step and the staff set-up page need a half-finished
    # sign-in, so with none they send everyone back to sign-in (303). Ending a session that
    # is not yours (or does not exist) is 404; the forms sent empty are 422.
    ("GET", "accounts.sessions",                    "-",       302, 200, 200, 200, 200, 200, 200),
    ("GET", "accounts.two_factor_code",             "-",       303, 303, 303, 303, 303, 303, 303),
    ("GET", "accounts.two_factor_settings",         "-",       302, 200, 200, 200, 200, 200, 200),
    ("GET", "accounts.two_factor_setup",            "-",       303, 303, 303, 303, 303, 303, 303),
    ("POST", "accounts.end_other_sessions",         "-",       302, 303, 303, 303, 303, 303, 303),
    ("POST", "accounts.end_session",                "-",       302, 404, 404, 404, 404, 404, 404),
    ("POST", "accounts.two_factor_code",            "-",       303, 303, 303, 303, 303, 303, 303),
    ("POST", "accounts.two_factor_off",             "-",       302, 422, 422, 422, 422, 422, 422),
    ("POST", "accounts.two_factor_settings",        "-",       302, 422, 422, 422, 422, 422, 422),
    ("POST", "accounts.two_factor_setup",           "-",       303, 303, 303, 303, 303, 303, 303),
    # Member details (privacy): admins only, and the sign-in redirect for signed-out
    # visitors; the reason form sent empty is 422.
    ("GET", "privacy.member_details",               "-",       302, 403, 403, 403, 403, 403, 200),
    ("POST", "privacy.member_details",              "-",       302, 403, 403, 403, 403, 403, 422),
    # Resetting a staff member's two-step sign-in (here the facilitator's): admins only,
    # the reason form sent empty is 422.
    ("GET", "accounts.reset_two_factor",            "-",       302, 403, 403, 403, 403, 403, 200),
    ("POST", "accounts.reset_two_factor",           "-",       302, 403, 403, 403, 403, 403, 422),
    # Moderation part 2. Duty, handover, unanswered and the escalations list are for every
    # facilitator (their own boards' items) and admins; an escalation on a board you do not
    # facilitate is 404. Rota, training, workload and the emergency protocol are admin
    # pages. Posting to duty with no hours puts staff on duty for the default shift (302),
    # except a facilitator whose training has lapsed (403: renew first);
    # handover with nothing chosen flashes and redirects (302); the admin forms sent empty
    # are 422; deleting the fixture's shift or lead is 302.
    ("GET", "moderation.duty",                      "-",       401, 403, 403, 200, 200, 200, 200),
    ("GET", "moderation.emergency",                 "-",       401, 403, 403, 403, 403, 403, 200),
    ("GET", "moderation.escalation",                "public",  401, 403, 403, 200, 200, 404, 200),
    ("GET", "moderation.escalation",                "private", 401, 403, 403, 200, 200, 404, 200),
    ("GET", "moderation.escalations",               "-",       401, 403, 403, 200, 200, 200, 200),
    ("GET", "moderation.handover",                  "-",       401, 403, 403, 200, 200, 200, 200),
    ("GET", "moderation.rota",                      "-",       401, 403, 403, 403, 403, 403, 200),
    ("GET", "moderation.training",                  "-",       401, 403, 403, 403, 403, 403, 200),
    ("GET", "moderation.unanswered",                "-",       401, 403, 403, 200, 200, 200, 200),
    ("GET", "moderation.workload",                  "-",       401, 403, 403, 403, 403, 403, 200),
    ("POST", "moderation.delete_lead",              "-",       401, 403, 403, 403, 403, 403, 302),
    ("POST", "moderation.delete_shift",             "-",       401, 403, 403, 403, 403, 403, 302),
    ("POST", "moderation.duty",                     "-",       401, 403, 403, 302, 403, 302, 302),
    ("POST", "moderation.emergency",                "-",       401, 403, 403, 403, 403, 403, 422),
    ("POST", "moderation.escalation_action",        "public",  401, 403, 403, 302, 403, 404, 302),
    ("POST", "moderation.escalation_action",        "private", 401, 403, 403, 302, 403, 404, 302),
    ("POST", "moderation.handover",                 "-",       401, 403, 403, 302, 302, 302, 302),
    ("POST", "moderation.rota",                     "-",       401, 403, 403, 403, 403, 403, 422),
    ("POST", "moderation.training",                 "-",       401, 403, 403, 403, 403, 403, 422),
    ("PUT", "moderation_api.change_watched_word",   "-",       401, 415, 415, 415, 415, 415, 415),
    # Moderation API, part 2 (escalations, duty, rota, coverage, training, handover,
    # unanswered, workload). The same
    # answers as the pages: members 403; an escalation of a board you do not facilitate
    # 404; rota, coverage and training records for admins only. Acknowledging the
    # fixture's (medium, unacknowledged) escalation works for its board's staff; going
    # off duty when not on duty is 409; deleting the fixture's shift or training record
    # is 204; writes with a body are sent without one (415 once signed in).
    ("GET", "moderation_api.escalation_list",       "-",       401, 403, 403, 200, 200, 200, 200),
    ("GET", "moderation_api.escalation_detail",     "public",  401, 403, 403, 200, 200, 404, 200),
    ("GET", "moderation_api.escalation_detail",     "private", 401, 403, 403, 200, 200, 404, 200),
    ("POST", "moderation_api.acknowledge_escalation", "public", 401, 403, 403, 200, 403, 404, 200),
    ("POST", "moderation_api.acknowledge_escalation", "private", 401, 403, 403, 200, 403, 404, 200),
    ("POST", "moderation_api.start_escalation",     "public",  401, 415, 415, 415, 415, 415, 415),
    ("POST", "moderation_api.start_escalation",     "private", 401, 415, 415, 415, 415, 415, 415),
    ("POST", "moderation_api.hand_over_escalation", "public",  401, 415, 415, 415, 415, 415, 415),
    ("POST", "moderation_api.hand_over_escalation", "private", 401, 415, 415, 415, 415, 415, 415),
    ("POST", "moderation_api.resolve_escalation",   "public",  401, 415, 415, 415, 415, 415, 415),
    ("POST", "moderation_api.resolve_escalation",   "private", 401, 415, 415, 415, 415, 415, 415),
    ("POST", "moderation_api.add_escalation_note",  "public",  401, 415, 415, 415, 415, 415, 415),
    ("POST", "moderation_api.add_escalation_note",  "private", 401, 415, 415, 415, 415, 415, 415),
    ("GET", "moderation_api.duty_now",              "-",       401, 403, 403, 200, 200, 200, 200),
    ("POST", "moderation_api.go_on_duty",           "-",       401, 415, 415, 415, 415, 415, 415),
    ("POST", "moderation_api.go_off_duty",          "-",       401, 403, 403, 409, 409, 409, 409),
    ("GET", "moderation_api.rota_list",             "-",       401, 403, 403, 403, 403, 403, 200),
    ("POST", "moderation_api.add_rota_shift",       "-",       401, 415, 415, 415, 415, 415, 415),
    ("DELETE", "moderation_api.delete_rota_shift",  "-",       401, 403, 403, 403, 403, 403, 204),
    ("GET", "moderation_api.coverage_week",         "-",       401, 403, 403, 403, 403, 403, 200),
    ("GET", "moderation_api.training_records",      "-",       401, 403, 403, 403, 403, 403, 200),
    ("POST", "moderation_api.record_training",      "-",       401, 415, 415, 415, 415, 415, 415),
    ("DELETE", "moderation_api.delete_training_record", "-",   401, 403, 403, 403, 403, 403, 204),
    ("GET", "moderation_api.my_training",           "-",       401, 403, 403, 200, 200, 200, 200),
    # The handover queue and unanswered posts for staff (their boards), workload for admins,
    # as on the pages. Clearing is a write with a body, sent without one (415).
    ("GET", "moderation_api.handover_queue",        "-",       401, 403, 403, 200, 200, 200, 200),
    ("POST", "moderation_api.clear_handover",       "-",       401, 415, 415, 415, 415, 415, 415),
    ("GET", "moderation_api.unanswered",            "-",       401, 403, 403, 200, 200, 200, 200),
    ("GET", "moderation_api.workload_list",         "-",       401, 403, 403, 403, 403, 403, 200),
]

# Values one endpoint needs instead of the shared ones ("claim" is a case verb).
VALUES_FOR: dict[str, dict[str, Any]] = {
    "moderation.escalation_action": {"verb": "acknowledge"},
    "accounts.reset_two_factor": {"username": "facilitator_here"},
}

# Never walked: Flask's static files.
NOT_ROUTES = {"static"}


@dataclass
class World:
    users: dict[str, Any]
    values: dict[str, dict[str, Any]]


@pytest.fixture()
def world(secure_app: Flask, smake: Factories, sdb: Session) -> World:
    public = smake.board("Public board")
    private = smake.board("Private board", visibility=Visibility.PRIVATE)
    elsewhere = smake.board("Elsewhere board", visibility=Visibility.PRIVATE)
    facilitator = smake.user("facilitator_here", role="facilitator")
    from forum.boards.actions import do_assign_facilitator

    for board in (public, private):
        do_assign_facilitator(sdb, actor=None, board=board, user=facilitator)
    other_facilitator = smake.facilitator(elsewhere, "facilitator_elsewhere")
    member = smake.member_of(public, "member_here")
    do_invite_member(sdb, actor=smake.viewer(facilitator), board=private, user=member)
    other_member = smake.user("member_elsewhere")
    do_invite_member(sdb, actor=smake.viewer(other_facilitator), board=elsewhere,
                     user=other_member)
    admin = smake.admin("admin_here")
    # One required course: the two facilitators hold it, current; a third facilitator of
    # the target boards let theirs lapse (read-only in the queue).
    expired_facilitator = smake.user("facilitator_lapsed", role="facilitator")
    for board in (public, private):
        do_assign_facilitator(sdb, actor=None, board=board, user=expired_facilitator)
    course = do_save_course(sdb, actor=smake.viewer(admin), name="Safe moderation",
                            required=True, high_risk=False)
    today = utcnow().date()
    for trained in (facilitator, other_facilitator):
        do_record_training(sdb, actor=smake.viewer(admin), user=trained, course=course,
                           completed_on=today - timedelta(days=30),
                           expires_on=today + timedelta(days=335))
    do_record_training(sdb, actor=smake.viewer(admin), user=expired_facilitator,
                       course=course, completed_on=today - timedelta(days=400),
                       expires_on=today - timedelta(days=1))
    word = do_save_watched_word(sdb, actor=smake.viewer(admin), pattern="zzqx",
                                action="flag")
    notification = notify_member(sdb, member.id, "notice", "A notice for you", "/my/notices")
    # A shift tomorrow for the facilitator, a training record of a course nobody is
    # required to hold (so it gates nobody), and a lead who is none of the six visitors.
    tomorrow = utcnow() + timedelta(days=1)
    shift = do_add_shift(sdb, actor=smake.viewer(admin), user=facilitator, starts_at=tomorrow,
                         ends_at=tomorrow + timedelta(hours=8), board_ids=[public.id])
    course = do_save_course(sdb, actor=smake.viewer(admin), name="Peer-support induction",
                            required=False, high_risk=False)
    training = do_record_training(sdb, actor=smake.viewer(admin), user=facilitator,
                                  course=course, completed_on=utcnow().date(), expires_on=None)
    lead = do_add_lead(sdb, actor=smake.viewer(admin),
                       username=smake.user("lead_here").username, title="Clinical lead")
    sdb.commit()
    shared = {"token_id": 1, "word_id": word.id, "key": "hide", "user_id": member.id,
              "notification_id": notification.id, "shift_id": shift.id, "lead_id": lead.id,
              "record_id": training.id,
              "username": member.username, "session_id": "0" * 32,
              "token": unsubscribe_token(secure_app, member.id)}
    values: dict[str, dict[str, Any]] = {}
    for name, board in (("public", public), ("private", private)):
        outcome = smake.thread(board, member)
        # A reply by the member, reported by the board's facilitator: an open case.
        reply = smake.reply(outcome.thread, member, body="A reply someone reported.")
        do_report_post(sdb, actor=smake.viewer(facilitator), post=reply.post, reason="abuse",
                       note="Please look")
        case = sdb.scalar(select(Case).where(Case.post_id == reply.post.id))
        assert case is not None
        # A warning on this board, which the member has appealed: a notice and an appeal.
        sanction = do_warn_member(sdb, actor=smake.viewer(facilitator), user=member,
                                  board=board, reason="Test warning")
        notice = sdb.scalar(select(ActionNotice).where(ActionNotice.sanction_id == sanction.id))
        assert notice is not None
        appeal = do_appeal(sdb, actor=smake.viewer(member), notice=notice, text="Please")
        # The facilitator escalates the open case: an escalation on this board.
        escalation = do_escalate_case(sdb, actor=smake.viewer(facilitator), case=case,
                                      reason="Worried about this member", tier="medium")
        values[name] = {"slug": board.slug, "thread_id": outcome.thread.id,
                        "post_id": outcome.post.id, "case_id": case.id,
                        "notice_id": notice.id, "appeal_id": appeal.id, "verb": "claim",
                        "escalation_id": escalation.id, **shared}
    users = {"anonymous": None, "member": member, "other_member": other_member,
             "facilitator": facilitator, "expired_facilitator": expired_facilitator,
             "other_facilitator": other_facilitator, "admin": admin}
    return World(users=users, values=values)


def _routes(app: Flask) -> set[tuple[str, str]]:
    found = set()
    for rule in app.url_map.iter_rules():
        if rule.endpoint in NOT_ROUTES or is_stub(app, rule.endpoint):
            continue
        for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}:
            found.add((method, rule.endpoint))
    return found


def _feature_merged(app: Flask, endpoint: str) -> bool:
    """Skeleton blueprints (no write routes yet) are checked once their branch lands."""
    blueprint = endpoint.split(".", 1)[0]
    if blueprint not in {"boards", "threads"}:
        return True
    return any("POST" in (rule.methods or ()) and rule.endpoint.startswith(blueprint + ".")
               and not is_stub(app, rule.endpoint) for rule in app.url_map.iter_rules())


def test_every_route_has_a_line_in_the_table(secure_app: Flask) -> None:
    covered = {(line[0], line[1]) for line in TABLE}
    missing = sorted(_routes(secure_app) - covered)
    assert missing == [], "Routes with no line in TABLE (add one each):\n" + "\n".join(
        f'    ("{method}", "{endpoint}", "public", ...),' for method, endpoint in missing)


def test_table_lines_are_well_formed() -> None:
    for line in TABLE:
        assert len(line) == 3 + len(ROLES), line
        assert line[2] in {"-", "public", "private"}, line


def _path(app: Flask, endpoint: str, target: str, world: World) -> str:
    rule = next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint)
    values = {**world.values["public" if target == "-" else target],
              **VALUES_FOR.get(endpoint, {})}
    with app.test_request_context():
        return url_for(endpoint, **{name: values[name] for name in rule.arguments})


def test_each_visitor_gets_the_answer_in_the_table(
        secure_app: Flask, world: World, sdb: Session) -> None:
    wrong = []
    checked = 0
    for method, endpoint, target, *cells in TABLE:
        if (endpoint not in secure_app.view_functions or is_stub(secure_app, endpoint)
                or not _feature_merged(secure_app, endpoint)):
            continue
        path = _path(secure_app, endpoint, target, world)
        for role, expected in zip(ROLES, cells, strict=True):
            client = secure_app.test_client()
            if world.users[role] is not None:
                sign_in(client, world.users[role])
            # Each visit is undone afterwards, so a write (leaving a board, deleting a post)
            # cannot change what the next visitor finds.
            savepoint = sdb.connection().begin_nested()
            try:
                status = client.open(path, method=method).status_code
            finally:
                savepoint.rollback()
            allowed = expected if isinstance(expected, tuple) else (expected,)
            checked += 1
            if status not in allowed:
                wrong.append(f"{method} {endpoint} [{target}] as {role}: "
                             f"got {status}, expected {expected}")
    assert checked > 0
    assert wrong == [], "\n".join(wrong)


def test_a_board_staff_note_stays_with_that_boards_staff(
        secure_app: Flask, world: World, sdb: Session) -> None:
    """Staff notes about a member are open to every facilitator (the route is 200 for the
    other board's facilitator) but a note made on a private board is not: it would tell
    them the member belongs to that condition board."""
    from forum.boards.models import Board
    from moderation.actions import do_add_staff_note

    private = sdb.scalar(select(Board).where(Board.slug == world.values["private"]["slug"]))
    member = world.users["member"]
    do_add_staff_note(sdb, actor=load_viewer(sdb, world.users["facilitator"]), user=member,
                      body="Private board: prefers a gentle tone", board=private)
    do_add_staff_note(sdb, actor=load_viewer(sdb, world.users["facilitator"]), user=member,
                      body="Everywhere: new this month")
    with secure_app.test_request_context():
        path = url_for("moderation.staff_notes", user_id=member.id)
    seen = {}
    for role in ("facilitator", "other_facilitator", "admin"):
        client = sign_in(secure_app.test_client(), world.users[role])
        response = client.get(path)
        assert response.status_code == 200
        seen[role] = response.get_data(as_text=True)
    assert all("Everywhere: new this month" in page for page in seen.values())
    assert "prefers a gentle tone" in seen["facilitator"]
    assert "prefers a gentle tone" in seen["admin"]
    assert "prefers a gentle tone" not in seen["other_facilitator"]
