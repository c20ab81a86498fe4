"""tête-à-têtes: private rooms and who may enter them

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24 09:30:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("rooms") as batch:
        batch.add_column(sa.Column("private", sa.Boolean(), server_default=sa.false(), nullable=False))
    op.create_table(
        "private_rooms",
        sa.Column("slug", sa.String(length=40), nullable=False),
        sa.Column("item_id", sa.String(length=20), nullable=False),
        sa.Column("origin_room", sa.String(length=40), nullable=False),
        sa.Column("helper_session_id", sa.String(length=32), nullable=False),
        sa.Column("helper_username", sa.String(length=64), nullable=False),
        sa.Column("helper_pseudonym", sa.String(length=64), nullable=False),
        sa.Column("person_session_id", sa.String(length=32), nullable=False),
        sa.Column("person_pseudonym", sa.String(length=64), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("reason", sa.String(length=10), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["slug"], ["rooms.slug"], name=op.f("fk_private_rooms_slug_rooms"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("slug", name=op.f("pk_private_rooms")),
    )
    op.create_index("ix_private_rooms_state", "private_rooms", ["state"], unique=False)
    op.create_index("ix_private_rooms_person", "private_rooms", ["person_session_id"], unique=False)
    op.create_index("ix_private_rooms_helper", "private_rooms", ["helper_session_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_private_rooms_helper", table_name="private_rooms")
    op.drop_index("ix_private_rooms_person", table_name="private_rooms")
    op.drop_index("ix_private_rooms_state", table_name="private_rooms")
    op.drop_table("private_rooms")
    with op.batch_alter_table("rooms") as batch:
        batch.drop_column("private")
