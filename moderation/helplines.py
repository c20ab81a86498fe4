"""Helpline cards per locale: the defaults of config.toml, and an admin's versions over them.

A card is what the crisis pointer (protocol §7) and closed rooms show: a short title, a
warm text, and a few lines to call or text, the national ones first. Locales are a
language with an optional country ("fr", "fr-BE", "en-GB"), the country being the one the
person chose on the room page (or their browser's language preferences: never their IP).
"ZZ" is the country nobody named ("Autre pays / Other country", CLDR's "unknown region"):
its card gives 112 and an offer to find a line, never a wrong country's number. A locale
without its own card therefore falls back to its language's "ZZ" card (fr-LU -> fr-ZZ),
then to its language's card, then to French ("fr" is France, overseas departments
included: the service is French first). The sources of every default are cited in
config.toml.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from moderation.audit import AuditEntry
from moderation.staff_models import HelplineCardRow
from rooms.configuration import ConfigError, Table

__all__ = [
    "LOCALE_PATTERN", "UNKNOWN_REGION", "Helpline", "HelplineCard", "HelplineStore", "Helplines", "HelplinesConfig",
]

LOCALE_PATTERN = re.compile(r"^[a-z]{2}(?:-[A-Z]{2})?$")
_PHONE = re.compile(r"^[0-9+][0-9 ().-]{1,30}$")
_SMS_BODY = re.compile(r"^[\w' -]{1,40}$")  # a keyword to write ("SHOUT", "TEXTO"): one short line
_CARD_KEYS = ("title", "text", "checked", "line")
_LINE_KEYS = ("name", "phone", "hours", "url", "description", "sms", "sms_body", "text_only")
_MAX_LINES = 6
FALLBACK = "fr"
UNKNOWN_REGION = "ZZ"
# The countries a language's own card (no region) already serves: "fr" is France's, and 3114, 15
# and 112 answer in the overseas departments too (Guadeloupe, Martinique, Guyane, La Réunion, Mayotte).
_LANGUAGE_CARD_REGIONS = {"fr": frozenset({"FR", "GP", "MQ", "GF", "RE", "YT"})}
_HOME = {"fr": "FR"}  # the country a language's own card is named after in the room page's choice


@dataclass(frozen=True, slots=True)
class Helpline:
    """One line of a card. `phone` is always its number (protocol §7); `sms` the number to text
    when it takes text messages (with `sms_body`, the word to write, if it asks for one); and
    `text_only` says that it *only* takes texts: no call link is offered then (Shout 85258)."""

    name: str
    phone: str
    hours: str
    url: str
    description: str
    sms: str = ""
    sms_body: str = ""
    text_only: bool = False

    @classmethod
    def from_table(cls, t: Table) -> Helpline:
        t.reject_unknown(_LINE_KEYS)
        phone = t.string("phone", max_length=32)
        if not _PHONE.match(phone):
            raise ConfigError(f"{t.key('phone')}: {phone!r} is not a phone number or short code")
        url = t.string("url", "", max_length=300, allow_empty=True)
        if url and not url.startswith("https://"):
            raise ConfigError(f"{t.key('url')}: must start with https://")
        sms = t.string("sms", "", max_length=32, allow_empty=True).strip()
        if sms and not _PHONE.match(sms):
            raise ConfigError(f"{t.key('sms')}: {sms!r} is not a number or short code to text")
        sms_body = t.string("sms_body", "", max_length=40, allow_empty=True).strip()
        if sms_body and not _SMS_BODY.match(sms_body):
            raise ConfigError(f"{t.key('sms_body')}: one short word or phrase, letters and digits")
        if sms_body and not sms:
            raise ConfigError(f"{t.key('sms_body')}: a word to text needs the number to text it to (sms)")
        text_only = t.boolean("text_only", False)
        if text_only and not sms:
            raise ConfigError(f"{t.key('text_only')}: a text-only line needs the number to text (sms)")
        return cls(
            name=t.string("name", max_length=120), phone=phone,
            hours=t.string("hours", "", max_length=120, allow_empty=True), url=url,
            description=t.string("description", "", max_length=300, allow_empty=True),
            sms=sms, sms_body=sms_body, text_only=text_only,
        )

    def public(self) -> dict[str, str | bool]:
        """As protocol §7 `resources` carries it (`sms`, `sms_body`, `text_only`: additions)."""
        return {"name": self.name, "phone": self.phone, "hours": self.hours, "url": self.url,
                "description": self.description, "sms": self.sms, "sms_body": self.sms_body,
                "text_only": self.text_only}


@dataclass(frozen=True, slots=True)
class HelplineCard:
    locale: str
    title: str
    text: str
    lines: tuple[Helpline, ...]
    checked: str  # when a person last checked these numbers on the organisations' own sites

    @classmethod
    def from_table(cls, t: Table, locale: str) -> HelplineCard:
        t.reject_unknown(_CARD_KEYS)
        lines = tuple(Helpline.from_table(line) for line in t.tables("line"))
        if not 1 <= len(lines) <= _MAX_LINES:
            raise ConfigError(f"{t.key('line')}: a card has 1 to {_MAX_LINES} lines")
        return cls(
            locale=locale, title=t.string("title", max_length=120), text=t.string("text", max_length=2000),
            lines=lines, checked=t.string("checked", "", max_length=10, allow_empty=True),
        )

    @classmethod
    def from_mapping(cls, raw: Mapping[str, Any], locale: str) -> HelplineCard:
        """An admin's card (JSON, the shape of `public()` or of config.toml); ConfigError when wrong."""
        if not LOCALE_PATTERN.match(locale):
            raise ConfigError(f"helplines.{locale}: not a locale like fr or fr-BE")
        data = dict(raw)
        data.pop("locale", None)
        if "resources" in data and "line" not in data:
            data["line"] = data.pop("resources")
        return cls.from_table(Table(data, f"helplines.{locale}"), locale)

    def public(self) -> dict[str, Any]:
        return {"locale": self.locale, "title": self.title, "text": self.text, "checked": self.checked,
                "resources": [line.public() for line in self.lines]}

    def stored(self) -> str:
        raw = {"title": self.title, "text": self.text, "checked": self.checked,
               "line": [line.public() for line in self.lines]}
        return json.dumps(raw, ensure_ascii=False)


@dataclass(frozen=True, slots=True)
class HelplinesConfig:
    """The `[helplines.<locale>]` tables of config.toml."""

    cards: tuple[HelplineCard, ...]

    @classmethod
    def from_raw(cls, raw: object) -> HelplinesConfig:
        """The value of the `helplines` key: a table of locale tables."""
        t = Table(raw if raw is not None else {}, "helplines")
        names = list(raw) if isinstance(raw, Mapping) else []
        cards = []
        for locale in names:
            if not LOCALE_PATTERN.match(locale):
                raise ConfigError(f"{t.key(locale)}: not a locale like fr or fr-BE")
            cards.append(HelplineCard.from_table(t.table(locale), locale))
        if cards and FALLBACK not in names:
            raise ConfigError(f"{t.key(FALLBACK)}: the French card is the fallback of every locale")
        return cls(tuple(cards))

    def by_locale(self) -> dict[str, HelplineCard]:
        return {card.locale: card for card in self.cards}


def candidates(locale: str) -> list[str]:
    """Which cards may serve `locale`, best first: fr-BE; fr-LU, then fr-ZZ (no wrong country's
    number), then fr; fr-FR or fr-RE, then fr (France's); en-NZ, then en-ZZ, en, fr."""
    out = [locale]
    language, _, region = locale.partition("-")
    language = language.lower()
    if region and region != UNKNOWN_REGION and region not in _LANGUAGE_CARD_REGIONS.get(language, ()):
        out.append(f"{language}-{UNKNOWN_REGION}")
    if language != locale:
        out.append(language)
    if FALLBACK not in out:
        out.append(FALLBACK)
    return out


class HelplineStore:
    """The only SQL about helpline cards: the admins' versions."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def overrides(self) -> dict[str, tuple[HelplineCard, str, datetime]]:
        async with self._sessions() as db:
            rows = (await db.scalars(select(HelplineCardRow))).all()
        out = {}
        for row in rows:
            try:
                card = HelplineCard.from_mapping(json.loads(row.card), row.locale)
            except (ConfigError, ValueError):
                continue  # a card written by an older version and no longer valid: the default serves
            out[row.locale] = (card, row.updated_by, row.updated_at)
        return out

    async def put(self, card: HelplineCard, by: str, now: datetime, audit: Sequence[AuditEntry] = ()) -> None:
        async with self._sessions.begin() as db:
            row = await db.get(HelplineCardRow, card.locale)
            if row is None:
                db.add(HelplineCardRow(locale=card.locale, card=card.stored(), updated_at=now, updated_by=by))
            else:
                row.card, row.updated_at, row.updated_by = card.stored(), now, by
            db.add_all(entry.row() for entry in audit)

    async def clear(self, locale: str, audit: Sequence[AuditEntry] = ()) -> bool:
        """Back to the default of config.toml; False when there was no admin version."""
        async with self._sessions.begin() as db:
            row = await db.get(HelplineCardRow, locale)
            if row is None:
                return False
            await db.execute(delete(HelplineCardRow).where(HelplineCardRow.locale == locale))
            db.add_all(entry.row() for entry in audit)
        return True


class Helplines:
    """The card to show for a locale. Reads the database each time: cards are shown rarely
    (a crisis pointer, a closed room), and so an admin's edit is live on every process at once."""

    def __init__(self, defaults: HelplinesConfig, store: HelplineStore) -> None:
        self._defaults = defaults.by_locale()
        self._store = store

    async def card(self, locale: str) -> HelplineCard | None:
        overrides = await self._store.overrides()
        for candidate in candidates(locale):
            if candidate in overrides:
                return overrides[candidate][0]
            if candidate in self._defaults:
                return self._defaults[candidate]
        return None

    async def countries(self, language: str) -> list[str]:
        """The countries that have a card in `language` (config.toml's or an admin's), for the room
        page's country choice: ["FR", "BE", "CA", "CH"] for French ("fr" itself is France's card)."""
        overrides = await self._store.overrides()
        out = set()
        for locale in set(self._defaults) | set(overrides):
            lang, _, region = locale.partition("-")
            if lang != language:
                continue
            if not region and language in _LANGUAGE_CARD_REGIONS:
                out.add(_HOME[language])
            elif region and region != UNKNOWN_REGION:
                out.add(region)
        return sorted(out, key=lambda region: (region != _HOME.get(language), region))

    async def all(self) -> list[dict[str, Any]]:
        """Every locale's card, saying whether it is config.toml's or an admin's."""
        overrides = await self._store.overrides()
        out = []
        for locale in sorted(set(self._defaults) | set(overrides), key=lambda x: (x != FALLBACK, x)):
            if locale in overrides:
                card, by, at = overrides[locale]
                out.append({**card.public(), "source": "admin", "updated_by": by, "updated_at": at.isoformat(),
                            "has_default": locale in self._defaults})
            else:
                out.append({**self._defaults[locale].public(), "source": "config", "has_default": True})
        return out
