"""The admins' changes to the crisis patterns, and the live detector they make with the shipped ones.

The shipped patterns live in `moderation/data/crisis_patterns.toml`; admins add patterns per
locale, and disable (or enable again) any pattern, shipped or added, any shipped rule, a
language model, or its review tier ("fr.review": the messages a helper should read though the
model did not flag them), all listed beside the patterns with their ``kind``, their ``phrase`` a
description. Each change is one row
of `crisis_pattern_overrides` (see `crisis_models`), written in the same transaction as its
audit entry ("crisis.pattern.add", ".disable", ".enable", ".remove").

`live_detector(store)` is the detector with both: the server builds it at start and again on
every process after each change (the "crisis_patterns" control message), and
`entraide crisis check` builds it to try a change on real examples.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from moderation.accounts import AccountError
from moderation.audit import Actor, AuditEntry
from moderation.crisis import (
    CATEGORIES,
    SEVERITIES,
    CrisisDetector,
    Pattern,
    encoder_id,
    expand_phrase,
    load_shipped,
    model_id,
    review_id,
)
from moderation.crisis_encoder import load_shipped_encoder
from moderation.crisis_model import load_shipped_models
from moderation.crisis_models import CrisisOverrideRow
from moderation.normalise import LANGS, normaliser_for

__all__ = ["MAX_PHRASE", "AddedPattern", "CrisisOverrides", "CrisisRules", "live_detector"]

log = logging.getLogger(__name__)

MAX_PHRASE = 200
_MAX_SPELLINGS = 512  # "{a|b}{c|d}..." multiplies: a phrase may not stand for more spellings than this
_MIN_LETTERS = 3


@dataclass(frozen=True, slots=True)
class AddedPattern:
    pattern: Pattern
    created_by: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class CrisisOverrides:
    """What the admins changed: patterns added (valid ones only) and ids disabled."""

    added: tuple[AddedPattern, ...]
    disabled: dict[str, tuple[str, datetime]]  # pattern id -> (by, at)

    @property
    def patterns(self) -> list[Pattern]:
        return [a.pattern for a in self.added]


def _bad(field: str, detail: str) -> AccountError:
    return AccountError(400, "bad_field", field=field, detail=detail)


def _check_phrase(pattern: Pattern) -> None:
    """Refuse a phrase the detector could not use: unbalanced braces, too many spellings, or
    nothing left once normalised (punctuation, emoji only), or so short it would match anywhere."""
    try:
        spellings = expand_phrase(pattern.phrase)
    except ValueError as error:
        raise _bad("phrase", str(error)) from None
    if len(spellings) > _MAX_SPELLINGS:
        raise _bad("phrase", f"more than {_MAX_SPELLINGS} spellings")
    normalise = normaliser_for(pattern.locale)
    for spelling in spellings:
        words = normalise(spelling.rstrip("$").rstrip("*"))
        if sum(c.isalnum() for c in words) < _MIN_LETTERS:
            raise _bad("phrase", f"the spelling {spelling!r} has fewer than {_MIN_LETTERS} letters once normalised")


def _compile(pattern: Pattern) -> None:
    """Build a detector with the phrase: what the server will do with it must not fail there."""
    try:
        CrisisDetector([pattern], load_shipped().lexicons)
    except Exception as error:  # noqa: BLE001 - any failure to compile is a refused phrase
        raise _bad("phrase", f"does not compile: {error}") from None


class CrisisRules:
    """The only SQL about crisis patterns."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def overrides(self) -> CrisisOverrides:
        async with self._sessions() as db:
            rows = (await db.scalars(select(CrisisOverrideRow).order_by(CrisisOverrideRow.id))).all()
        added: list[AddedPattern] = []
        disabled: dict[str, tuple[str, datetime]] = {}
        for row in rows:
            if row.kind == "disable":
                disabled[row.pattern_id] = (row.created_by, row.created_at)
                continue
            try:
                pattern = Pattern(
                    id=row.pattern_id, locale=row.locale, phrase=row.phrase or "", category=row.category or "",
                    severity=row.severity or "",
                )
            except ValueError:
                log.warning("crisis pattern override %s is no longer valid; left out", row.pattern_id)
                continue
            added.append(AddedPattern(pattern, row.created_by, row.created_at))
        return CrisisOverrides(tuple(added), disabled)

    async def list(self, locale: str | None = None) -> list[dict[str, Any]]:
        """The shipped and added patterns (of `locale`, or all), each with its state."""
        found = await self.overrides()
        out: list[dict[str, Any]] = []

        def entry(p: Pattern, source: str, **extra: Any) -> dict[str, Any]:
            off = found.disabled.get(p.id)
            return {
                "id": p.id, "locale": p.locale, "phrase": p.phrase, "category": p.category, "severity": p.severity,
                "source": source, "enabled": p.enabled and off is None,
                "disabled_by": None if off is None else off[0],
                "disabled_at": None if off is None else off[1].isoformat(), **extra,
            }

        added_ids = {a.pattern.id for a in found.added}
        for p in load_shipped().patterns:
            if (locale is None or p.locale == locale) and p.id not in added_ids:
                out.append(entry(p, "shipped", kind="pattern"))
        for p, kind in _switchable():
            if locale is None or p.locale == locale:
                out.append(entry(p, "shipped", kind=kind))
        for a in found.added:
            if locale is None or a.pattern.locale == locale:
                out.append(entry(
                    a.pattern, "admin", kind="pattern", created_by=a.created_by, created_at=a.created_at.isoformat(),
                ))
        return out

    async def _known(self, pattern_id: str) -> tuple[Pattern, bool] | None:
        """The pattern with this id and whether an admin added it."""
        for a in (await self.overrides()).added:
            if a.pattern.id == pattern_id:
                return a.pattern, True
        for p in load_shipped().patterns:
            if p.id == pattern_id:
                return p, False
        for p, _ in _switchable():
            if p.id == pattern_id:
                return p, False
        return None

    async def add(
        self, actor: Actor, body: dict[str, Any], now: datetime, reason: str | None = None,
    ) -> Pattern:
        """A new pattern from {locale, phrase, category, severity}; 400 bad_field when one is wrong."""
        unknown = sorted(set(body) - {"locale", "phrase", "category", "severity"})
        if unknown:
            raise _bad(unknown[0], "unknown field")
        locale, phrase = body.get("locale"), body.get("phrase")
        category, severity = body.get("category"), body.get("severity")
        if not isinstance(locale, str) or locale not in LANGS:
            raise _bad("locale", " or ".join(LANGS))
        if not isinstance(phrase, str) or not phrase.strip() or len(phrase) > MAX_PHRASE:
            raise _bad("phrase", f"1 to {MAX_PHRASE} characters")
        if not isinstance(category, str) or category not in CATEGORIES:
            raise _bad("category", ", ".join(CATEGORIES))
        if not isinstance(severity, str) or severity not in SEVERITIES[1:]:
            raise _bad("severity", ", ".join(SEVERITIES[1:]))
        pattern_id = f"{locale}.admin.{secrets.token_hex(4)}"
        try:
            pattern = Pattern(id=pattern_id, locale=locale, phrase=" ".join(phrase.split()), category=category,
                              severity=severity)
        except ValueError as error:
            raise _bad("pattern", str(error)) from None
        _check_phrase(pattern)
        await asyncio.to_thread(_compile, pattern)
        entry = AuditEntry(
            actor, "crisis.pattern.add", "crisis_pattern", pattern_id, now, reason=reason,
            details={"locale": locale, "phrase": pattern.phrase, "category": category, "severity": severity},
        )
        async with self._sessions.begin() as db:
            db.add(CrisisOverrideRow(
                locale=locale, pattern_id=pattern_id, kind="add", phrase=pattern.phrase, category=category,
                severity=severity, created_by=actor.name[:64], created_at=now,
            ))
            db.add(entry.row())
        return pattern

    async def set_enabled(
        self, actor: Actor, pattern_id: str, enabled: bool, now: datetime, reason: str | None = None,
    ) -> bool:
        """Disable or enable again a shipped or added pattern; False when it already was so."""
        known = await self._known(pattern_id)
        if known is None:
            raise AccountError(404, "not_found")
        pattern, _ = known
        details = {"locale": pattern.locale, "phrase": pattern.phrase}
        try:
            async with self._sessions.begin() as db:
                if enabled:
                    result = await db.execute(delete(CrisisOverrideRow).where(
                        CrisisOverrideRow.kind == "disable", CrisisOverrideRow.pattern_id == pattern_id,
                    ))
                    if not getattr(result, "rowcount", 0):
                        return False
                else:
                    existing = await db.scalar(select(CrisisOverrideRow.id).where(
                        CrisisOverrideRow.kind == "disable", CrisisOverrideRow.pattern_id == pattern_id,
                    ))
                    if existing is not None:
                        return False
                    db.add(CrisisOverrideRow(
                        locale=pattern.locale, pattern_id=pattern_id, kind="disable", created_by=actor.name[:64],
                        created_at=now,
                    ))
                action = "crisis.pattern.enable" if enabled else "crisis.pattern.disable"
                db.add(AuditEntry(actor, action, "crisis_pattern", pattern_id, now, reason=reason,
                                  details=details).row())
        except IntegrityError:
            return False  # disabled at the same moment by someone else
        return True

    async def remove(self, actor: Actor, pattern_id: str, now: datetime, reason: str | None = None) -> None:
        """Delete an added pattern (and its disable row); 400 for a shipped one, which can only be disabled."""
        known = await self._known(pattern_id)
        if known is None:
            raise AccountError(404, "not_found")
        pattern, added = known
        if not added:
            raise AccountError(400, "shipped_pattern", detail="a shipped pattern can be disabled, not removed")
        async with self._sessions.begin() as db:
            result = await db.execute(delete(CrisisOverrideRow).where(CrisisOverrideRow.pattern_id == pattern_id))
            if not getattr(result, "rowcount", 0):
                raise AccountError(404, "not_found")
            db.add(AuditEntry(
                actor, "crisis.pattern.remove", "crisis_pattern", pattern_id, now, reason=reason,
                details={"locale": pattern.locale, "phrase": pattern.phrase, "category": pattern.category,
                         "severity": pattern.severity},
            ).row())


def _switchable() -> list[tuple[Pattern, str]]:
    """The shipped rules and language models, shaped as patterns for listing and disabling: the
    phrase describes what they read ("drug+stock | …" for a rule)."""
    out = [
        (Pattern(id=r.id, locale=r.locale, phrase=" | ".join(r.when), category=r.category, severity=r.severity), "rule")
        for r in load_shipped().rules
    ]
    models = load_shipped_models()
    out += [
        (Pattern(id=model_id(lang), locale=lang, phrase="model", category="ideation", severity="medium"), "model")
        for lang in sorted(models)
    ]
    out += [
        (Pattern(id=review_id(lang), locale=lang, phrase="model: review", category="ideation", severity="low"),
         "review")
        for lang in sorted(models) if models[lang].review_threshold is not None
    ]
    if load_shipped_encoder() is not None:
        out += [
            (Pattern(id=encoder_id(lang), locale=lang, phrase="encoder", category="ideation", severity="medium"),
             "encoder")
            for lang in LANGS
        ]
    return out


def _build(added: Sequence[Pattern], disabled: Sequence[str]) -> CrisisDetector:
    if not added and not disabled:
        return CrisisDetector.shipped()  # the common case, and every start without changes
    return CrisisDetector.with_overrides(added, disabled)


async def live_detector(store: CrisisRules) -> CrisisDetector:
    """The shipped patterns plus the admins' changes (built off the event loop: up to a second)."""
    found = await store.overrides()
    return await asyncio.to_thread(_build, found.patterns, list(found.disabled))
