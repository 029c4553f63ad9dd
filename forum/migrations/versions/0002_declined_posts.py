"""declined posts get a state of their own

A held post a facilitator declined used to become "hidden", so other readers saw a
"hidden by a facilitator" note for a post that was never public. Such posts are now
"declined": the author and staff still see them, nobody else sees anything.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26 09:20:00
"""
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None

# The post's latest take-down decision, from the append-only audit log.
_LATEST_TAKEDOWN = """
    SELECT a.action FROM audit_entries a
    WHERE a.subject_type = 'post' AND a.subject_id = posts.id
      AND a.action IN ('post:hide', 'post:auto_hide', 'post:reject')
    ORDER BY a.id DESC LIMIT 1
"""


def upgrade() -> None:
    op.execute(f"UPDATE posts SET state = 'DECLINED' "
               f"WHERE state = 'HIDDEN' AND ({_LATEST_TAKEDOWN}) = 'post:reject'")


def downgrade() -> None:
    op.execute("UPDATE posts SET state = 'HIDDEN' WHERE state = 'DECLINED'")
