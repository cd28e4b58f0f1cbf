"""Index tokens and sessions by user: revoking a user ends every one of them, and the
user list reads each user's tokens; without the indexes both scan the whole table.

Revision ID: accounts_0002
Revises: accounts_0001
"""

from __future__ import annotations

from alembic import op

revision = "accounts_0002"
down_revision = "accounts_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # if_not_exists: a database whose tables an early build made from the model already
    # has them.
    op.create_index("ix_account_tokens_user", "account_tokens", ["user_id"], if_not_exists=True)
    op.create_index("ix_account_sessions_user", "account_sessions", ["user_id"], if_not_exists=True)


def downgrade() -> None:
    op.drop_index("ix_account_sessions_user", table_name="account_sessions")
    op.drop_index("ix_account_tokens_user", table_name="account_tokens")
