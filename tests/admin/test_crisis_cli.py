"""`entraide crisis check` end to end: a real subprocess on a temporary database, before and after
an admin's change to the patterns."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from moderation.crisis_rules import CrisisRules
from rooms.config import DatabaseConfig
from rooms.db import make_engine, make_sessionmaker
from tests.admin.conftest import SETUP
from tests.admin.test_cli import entraide

pytestmark = pytest.mark.asyncio

LINES = [
    {"text": "jveux mourir", "lang": "fr"},
    {"text": "la lanterne verte s'éteint", "lang": "fr"},
    {"text": "je mérite de mourir", "lang": "fr"},  # no rule or word model reads it once its phrase is off
    {"text": "I want to die", "lang": "en"},
]


@pytest.fixture
def url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'crisis.db'}"


async def check(url: str, lines: list[str]) -> list[dict[str, object]]:
    code, out, err = await entraide(url, "crisis", "check", stdin="".join(f"{line}\n" for line in lines))
    assert code == 0, err
    return [json.loads(line) for line in out.splitlines()]


async def test_check_follows_the_admins_changes(url: str) -> None:
    code, _, err = await entraide(url, "db", "upgrade")
    assert code == 0, err
    inputs = [json.dumps(line, ensure_ascii=False) for line in LINES]
    before = await check(url, inputs)
    assert before[0] == {"flagged": True, "severity": "high", "categories": ["ideation"],
                         "matches": ["fr.ideation.vouloir_mourir"], "review": False}
    assert before[1] == {"flagged": False, "severity": "none", "categories": [], "matches": [], "review": False}
    assert before[2]["matches"] == ["fr.ideation.merite_mourir"]
    assert before[3]["flagged"] is True

    engine = make_engine(DatabaseConfig.from_url(url))
    try:
        rules = CrisisRules(make_sessionmaker(engine))
        now = datetime.now(UTC)
        added = await rules.add(SETUP, {"locale": "fr", "phrase": "lanterne verte", "category": "farewell",
                                        "severity": "high"}, now)
        assert await rules.set_enabled(SETUP, "fr.ideation.merite_mourir", False, now)
        # The encoder reads that message as the crisis it is: off too, to see the phrase alone go.
        assert await rules.set_enabled(SETUP, "fr.encoder", False, now)
    finally:
        await engine.dispose()

    after = await check(url, inputs)
    assert after[0] == before[0] and after[3] == before[3]
    assert after[1] == {"flagged": True, "severity": "high", "categories": ["farewell"], "matches": [added.id],
                        "review": False}
    # Without its phrase (and the encoder) the message is no longer flagged; the model may still
    # send it for review.
    matches = after[2]["matches"]
    assert after[2]["flagged"] is False and isinstance(matches, list) and "fr.ideation.merite_mourir" not in matches


async def test_a_bad_line_is_reported_and_the_rest_goes_on(url: str) -> None:
    out = await check(url, [
        '{"text": "je veux mourir", "lang": "fr"}', "not json", '{"text": 3, "lang": "fr"}', "",
        '["text"]', '{"text": "bonjour", "lang": "fr"}',
    ])
    assert [o.get("error") for o in out] == [None, "bad_line", "bad_line", "bad_line", None]
    assert [o.get("line") for o in out] == [None, 2, 3, 5, None]
    assert out[0]["flagged"] is True and out[-1]["flagged"] is False
