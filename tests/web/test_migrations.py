"""The schema comes from Alembic migrations, and they match the models, on both databases."""

from __future__ import annotations

import asyncio

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

import moderation.models
import moderation.staff_models
import rooms.models
from rooms.config import DatabaseConfig
from rooms.db import Base, make_engine
from web.database import upgrade

pytestmark = pytest.mark.asyncio
_ = (rooms.models, moderation.models, moderation.staff_models)


async def test_migrations_build_the_schema_the_models_describe(database_url):
    """From an empty database, `upgrade head` gives exactly the tables and columns of the models."""
    await asyncio.to_thread(upgrade, database_url)
    engine = make_engine(DatabaseConfig.from_url(database_url))
    try:
        async with engine.connect() as connection:
            diff = await connection.run_sync(
                lambda sync: compare_metadata(MigrationContext.configure(sync), Base.metadata)
            )
    finally:
        await engine.dispose()
    assert diff == []


async def test_upgrading_twice_changes_nothing(sqlite_url):
    """`entraide db upgrade` on an up-to-date database is harmless."""
    await asyncio.to_thread(upgrade, sqlite_url)
    await asyncio.to_thread(upgrade, sqlite_url)
