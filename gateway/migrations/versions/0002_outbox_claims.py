"""Outbox claims: which process delivers each pending storefront and ticket delivery, and until when.

Why: with several gateway processes, every pending row must be delivered by one process at a time, and the rows
of a process that dies must be taken over by another (gateway/claims.py). Existing rows get no claim (NULL),
which counts as expired: the first process to sweep takes them over, as a dead process's rows would be.
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

OUTBOXES = ("deliveries", "ticket_deliveries")


def upgrade() -> None:
    for table in OUTBOXES:
        with op.batch_alter_table(table) as batch_op:
            batch_op.add_column(sa.Column("claimed_by", sa.String(), nullable=True))
            batch_op.add_column(sa.Column("claimed_until", sa.Float(), nullable=True))


def downgrade() -> None:
    for table in OUTBOXES:
        with op.batch_alter_table(table) as batch_op:
            batch_op.drop_column("claimed_until")
            batch_op.drop_column("claimed_by")
