"""a stamp on every post that changes whenever the post does

The thread page's whole-page cache (forum/threads/page_key.py) keys each page by what it
shows; ``posts.stamp`` stands for a post's own columns (a new random value on every write),
so one short statement can tell whether any post on a page has changed. Existing rows
start at 0 and get a random stamp at their next change.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26 12:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('posts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('stamp', sa.BigInteger(), server_default='0',
                                      nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('posts', schema=None) as batch_op:
        batch_op.drop_column('stamp')
