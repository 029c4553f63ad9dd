"""Every column in the schema that points at a member, and what "download my data" does
with it.

A test walks ``forum.models.metadata`` and fails when a foreign key to ``users.id`` is in
neither :data:`EXPORTED` nor :data:`NOT_EXPORTED`, so a new table keyed to members cannot be
forgotten: whoever adds it must decide, here, whether the member gets it and say why not.
"""

from __future__ import annotations

from sqlalchemy import Table

# (table, column) → the section of the export that holds those rows.
EXPORTED: dict[tuple[str, str], str] = {
    ("users", "id"): "profile",
    ("api_tokens", "user_id"): "api_tokens",
    ("password_reset_uses", "user_id"): "password_resets",
    ("board_memberships", "user_id"): "board_memberships",
    ("board_facilitators", "user_id"): "boards_facilitated",
    ("threads", "author_id"): "threads_started",
    ("posts", "author_id"): "posts",
    ("reactions", "user_id"): "reactions",
    ("thread_follows", "user_id"): "follows",
    ("read_markers", "user_id"): "read_markers",
    ("audit_entries", "actor_id"): "account_activity",
    ("notifications", "user_id"): "notifications",
    ("notification_preferences", "user_id"): "notification_preferences",
    ("email_jobs", "user_id"): "emails",
    ("account_emails", "user_id"): "account_emails",
    ("outgoing_mail", "user_id"): "other_emails",
    ("pending_email_changes", "user_id"): "email_changes",
    ("moderation_flags", "reporter_id"): "reports_made",
    ("moderation_sanctions", "user_id"): "sanctions",
    ("moderation_notices", "user_id"): "moderation_notices",
    ("moderation_appeals", "user_id"): "appeals",
    ("privacy_sign_in_addresses", "user_id"): "sign_in_addresses",
    ("user_sessions", "user_id"): "sessions",
    ("moderation_shifts", "user_id"): "staff_work",
    ("moderation_training_records", "user_id"): "staff_work",
}

# (table, column) → why the member's self-service copy leaves it out. Everything here can
# still be asked for through a formal subject access request, where the data protection
# contact can weigh other people's information (reporters, facilitators) before sharing.
NOT_EXPORTED: dict[tuple[str, str], str] = {
    ("board_memberships", "invited_by_id"):
        "Who this member invited to a private board: the invited member's information.",
    ("post_revisions", "editor_id"):
        "Edits made to other members' posts (as a facilitator). Earlier versions of the "
        "member's own posts are exported with each post.",
    ("post_quotes", "quoted_author_id"):
        "Other members' posts that quote this member: those posts are the other members' "
        "words. The quoted posts themselves are exported under posts.",
    ("notifications", "actor_id"):
        "Notifications this member caused for other people: those belong to them.",
    ("moderation_cases", "author_id"):
        "Facilitators' working case file. What was decided and why is exported as "
        "moderation notices; the file also names reporters, so it is only shared through "
        "a subject access request.",
    ("moderation_cases", "claimed_by_id"): "Staff work allocation, not about the member.",
    ("moderation_cases", "closed_by_id"): "Staff work allocation, not about the member.",
    ("moderation_case_events", "actor_id"):
        "Facilitators' timeline entries written as staff, about other members.",
    ("moderation_staff_notes", "subject_id"):
        "Staff notes about the member may name reporters or other members: shared through "
        "a subject access request after review.",
    ("moderation_staff_notes", "author_id"):
        "Notes this member wrote as staff about other members.",
    ("moderation_watched_words", "created_by_id"): "Site configuration written as staff.",
    ("moderation_message_templates", "updated_by_id"): "Site configuration written as staff.",
    ("moderation_sanctions", "created_by_id"): "Sanctions this member gave others as staff.",
    ("moderation_notices", "acted_by_id"):
        "Notices this member sent others as staff (which facilitator acted is not shown to "
        "members either).",
    ("moderation_appeals", "decided_by_id"): "Appeals this member decided as staff.",
    ("moderation_escalations", "raised_by_id"): "Escalations this member raised as staff.",
    ("moderation_escalations", "acknowledged_by_id"):
        "Escalations this member acknowledged as staff, about other members.",
    ("moderation_escalations", "resolved_by_id"):
        "Escalations this member resolved as staff, about other members.",
    ("moderation_escalation_events", "actor_id"):
        "Escalation timeline entries written as staff, about other members.",
    ("moderation_shifts", "created_by_id"): "Rota entries this member made as an admin.",
    ("moderation_handover_items", "cleared_by_id"): "Handover work done as staff.",
    ("moderation_training_records", "recorded_by_id"):
        "Training records this member entered for others as an admin.",
    ("moderation_staff_leads", "user_id"):
        "Whether this member is a named lead: staff configuration, shown to them on the "
        "escalation pages.",
    ("moderation_emergency_protocol", "updated_by_id"): "Site configuration written as staff.",
    ("recovery_codes", "user_id"):
        "Hashes of two-step recovery codes: secrets, never shown again after set-up.",
}


def user_foreign_keys(tables: list[Table]) -> set[tuple[str, str]]:
    """(table, column) for every foreign key to ``users.id``, plus the users table itself."""
    found: set[tuple[str, str]] = {("users", "id")}
    for table in tables:
        for fk in table.foreign_keys:
            if fk.column.table.name == "users" and fk.column.name == "id":
                found.add((table.name, fk.parent.name))
    return found


# What closing an account (forum.privacy.actions.do_delete_account) does with each of the
# same columns. A test fails when a column pointing at members is in none of these, and
# checks, after a real closing, that no row in the first two still points at the member.

#: Rows deleted outright (forum.privacy.erasure.remove_personal_rows).
CLOSE_DELETES: frozenset[tuple[str, str]] = frozenset({
    ("api_tokens", "user_id"), ("password_reset_uses", "user_id"),
    ("board_memberships", "user_id"), ("board_facilitators", "user_id"),
    ("reactions", "user_id"), ("thread_follows", "user_id"), ("read_markers", "user_id"),
    ("notifications", "user_id"), ("notification_preferences", "user_id"),
    ("email_jobs", "user_id"), ("account_emails", "user_id"), ("outgoing_mail", "user_id"),
    ("pending_email_changes", "user_id"), ("privacy_sign_in_addresses", "user_id"),
    ("user_sessions", "user_id"), ("recovery_codes", "user_id"),
})

#: Rows that stay (other people's, or the conversation's) with the link to the member
#: cleared, so they no longer say who it was.
CLOSE_DETACHES: frozenset[tuple[str, str]] = frozenset({
    ("threads", "author_id"), ("posts", "author_id"),
    ("board_memberships", "invited_by_id"), ("post_quotes", "quoted_author_id"),
    ("notifications", "actor_id"),
})

#: Rows kept, pointing at the nameless account, and why. The retention purge removes them
#: in time (README "Retention").
CLOSE_KEEPS: dict[tuple[str, str], str] = {
    ("users", "id"): "The row stays with its name, email, password and two-step secret "
                     "replaced, so records that point at it keep their meaning.",
    ("audit_entries", "actor_id"): "The audit log is append-only; its entries carry no "
                                   "content, and go after AUDIT_RETENTION_DAYS.",
    ("post_revisions", "editor_id"): "Who made an edit; the words of the member's own "
                                     "posts are removed, and staff edits stay on record.",
    ("moderation_flags", "reporter_id"): "Reports they made are moderation records, kept "
                                         "for MODERATION_RETENTION_DAYS.",
    ("moderation_sanctions", "user_id"): "Moderation records, kept for the retention time.",
    ("moderation_notices", "user_id"): "Moderation records, kept for the retention time.",
    ("moderation_appeals", "user_id"): "Moderation records, kept for the retention time.",
    ("moderation_staff_notes", "subject_id"): "Safeguarding and moderation notes, staff "
                                              "only, kept for the retention time.",
    ("moderation_shifts", "user_id"): "The rota as it was worked: staff work records.",
    ("moderation_training_records", "user_id"): "Training as it was recorded: staff work "
                                                "records.",
    ("moderation_staff_leads", "user_id"): "Staff configuration, changed by an admin.",
    ("moderation_cases", "author_id"): "The case file, kept for the retention time.",
}
#: What a member did as staff stays as staff work, pointing at the nameless account.
CLOSE_KEEPS_STAFF_WORK: frozenset[tuple[str, str]] = frozenset({
    ("moderation_appeals", "decided_by_id"), ("moderation_case_events", "actor_id"),
    ("moderation_cases", "claimed_by_id"), ("moderation_cases", "closed_by_id"),
    ("moderation_emergency_protocol", "updated_by_id"),
    ("moderation_escalation_events", "actor_id"),
    ("moderation_escalations", "acknowledged_by_id"),
    ("moderation_escalations", "raised_by_id"), ("moderation_escalations", "resolved_by_id"),
    ("moderation_handover_items", "cleared_by_id"),
    ("moderation_message_templates", "updated_by_id"), ("moderation_notices", "acted_by_id"),
    ("moderation_sanctions", "created_by_id"), ("moderation_shifts", "created_by_id"),
    ("moderation_staff_notes", "author_id"), ("moderation_training_records", "recorded_by_id"),
    ("moderation_watched_words", "created_by_id"),
})
