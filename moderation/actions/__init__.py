"""Every change of state in moderation, split by topic. Each public ``do_*`` checks
permission, writes, audits, queues events and commits."""

from moderation.actions.appeals import do_appeal, do_decide_appeal
from moderation.actions.cases import (
    do_add_case_note,
    do_claim_case,
    do_close_case,
    do_escalate_case,
    do_release_case,
)
from moderation.actions.flags import do_report_post
from moderation.actions.members import (
    do_add_staff_note,
    do_lift_expired_sanctions,
    do_mute_member,
    do_suspend_member,
    do_warn_member,
)
from moderation.actions.posts import (
    do_approve_post,
    do_guide,
    do_hide_post,
    do_moderate_edit_post,
    do_reject_post,
    do_restore_post,
)
from moderation.actions.settings import (
    do_delete_watched_word,
    do_save_ladder,
    do_save_message_template,
    do_save_watched_word,
)
from moderation.actions.threads import do_lock_thread, do_move_thread, do_pin_thread

__all__ = [
    "do_add_case_note", "do_add_staff_note", "do_appeal", "do_approve_post", "do_claim_case",
    "do_close_case", "do_decide_appeal", "do_delete_watched_word", "do_escalate_case",
    "do_guide", "do_hide_post", "do_lift_expired_sanctions", "do_lock_thread",
    "do_moderate_edit_post", "do_move_thread", "do_mute_member", "do_pin_thread",
    "do_reject_post", "do_release_case", "do_report_post", "do_restore_post",
    "do_save_ladder", "do_save_message_template", "do_save_watched_word",
    "do_suspend_member", "do_warn_member",
]
