"""Personal data: a message that may identify its writer is held, and the writer told why.

People here speak under a pseudonym, often about the hardest week of their life; a phone
number or an Instagram handle dropped in a bad moment ties all of it to their name. So such a
message is HOLD with code "personal_data": it is not published, the writer privately reads
why (`moderation.notices`) and may write it again without the detail, and a helper may still
approve it. Reasons name the kind, never the value: "phone number", "e-mail address",
"street address", "social handle".

What is found, on the raw text (digits and shapes matter here, so no normalisation):

* phone numbers: French national numbers in any grouping ("06 12 34 56 78", "06.12.34.56.78",
  "0612345678", "0 800 235 236"), "+33 6…", "0033 6…", "+33 (0)6…", and international
  numbers with "+" or "00" and 8 to 15 digits. Numbers in the allowlist (helplines) pass in any
  spelling. Short codes (3114, 15, 112, 116 123, 988), times ("22h30", "10:30"), dates,
  dosages ("2 x 25mg"), ages, years and prices never have the shape of a phone number;
* e-mail addresses, also spelled out ("prenom at gmail dot com", "prenom arobase gmail point
  fr", "prenom [at] gmail [.] com");
* street addresses: a number then a street type, in French ("12 rue de la Paix", "3 bis
  avenue…", "bd", "allée", "impasse"; "place", "chemin", "quai"… only before a capitalised
  name, since "1 place de parking" is not an address) and in English ("221B Baker Street",
  "10 Downing St"), and "j'habite au 12" or "mon adresse c'est…";
* social handles: "insta: julie", "mon snap c'est…", "ajoute-moi sur snap", "add me on
  discord", "whatsapp me", "julie#1234", or an @handle in a message that names a platform.
  A bare "@Héron calme" is how people answer each other in a room, so it alone is not held.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, Final

import ahocorasick

from moderation.verdict import Action, Verdict

if TYPE_CHECKING:
    from moderation.pipeline import Candidate

__all__ = ["PersonalDataCheck", "canonical_phone"]

# Phone numbers. French national numbers: 0, then 1..9, then eight digits in any grouping.
# International ones: "+" or "00", a country code, digits (8 to 15 in all, checked after).
# Each branch starts with "+" or "0", which the engine looks for fast; the look-behind
# after that first character keeps a match from starting inside a word or a longer number.
_SEP: Final = r"[ .\-\u00a0\u202f]"
_PHONE: Final = re.compile(
    rf"(?:\+|0)(?<![\w+].)(?:(?<=\+){_SEP}?[1-9]\d{{0,2}}(?:{_SEP}?\(0\))?(?:{_SEP}?\d){{5,13}}"
    rf"|(?<=0)0{_SEP}?[1-9]\d{{0,2}}(?:{_SEP}?\(0\))?(?:{_SEP}?\d){{5,13}}"
    rf"|(?<=0){_SEP}?[1-9](?:{_SEP}?\d){{8}})(?!\d)"
)
_DATE: Final = re.compile(r"\d{1,2}[./-]\d{1,2}[./-](?:19|20)\d{2}")

# E-mail addresses, matched where the automaton saw "@", " at ", "arobase"… (on lower case).
_TLDS: Final = r"(?:com|fr|net|org|be|ch|ca|io|eu|info|me|uk|de|es|it)"
_EMAIL_AT: Final = re.compile(r"(?<=[\w.+-])\s?@\s?[\w-]+(?:\.[\w-]+)*\.[a-z]{2,24}\b")
_SPELLED_AT: Final = re.compile(
    r"(?<=[\w.+-])\s?(?:@|\(at\)|\[at\]|\{at\}|at\b|\(arobase\)|arobase\b|arobas\b)\s?[\w-]{2,63}\s?"
    r"(?:\.|\(dot\)|\[dot\]|\[\.\]|\(\.\)|dot\b|point\b)\s?" + _TLDS + r"\b"
)
_EMAIL_KEYS: Final = ("@", " at ", "(at)", "[at]", "{at}", "arobas")

# Street addresses. Street types that are addresses after any number,
# and those that need a capitalised name after them ("1 place de parking", "2 cours de yoga").
_STREET_SAFE: Final = r"(?:rue|avenue|av|bd|boulevard|all[ée]e|impasse|faubourg|lotissement|lieu-dit)"
_STREET_NAMED: Final = (
    r"(?:place|chemin|quai|route|square|cit[ée]|r[ée]sidence|sentier|voie|hameau|villa|passage|cours)"
)
# As for phone numbers, the first digit comes first so the engine can look for it fast.
_NUMBER: Final = r"\d{0,3}(?:\s?(?:bis|ter|b)\b)?,?\s*"
_ADDRESS: Final = re.compile(
    r"\d(?<![\w:.,/].)(?:"
    rf"{_NUMBER}(?i:{_STREET_SAFE})\.?\s+[^\W\d]"
    rf"|{_NUMBER}(?i:{_STREET_NAMED})\s+(?i:(?:de\s+la|de\s+l[’']|du|des|de|d[’']|la|le|les)\s*)?[A-ZÀ-Ý]"
    r"|\d{0,4}[A-Za-z]?\s+(?:[A-Z][\w'-]*\s+){1,3}"
    r"(?i:street|st|road|rd|avenue|ave|lane|ln|drive|boulevard|blvd|court|ct|close|crescent|terrace|way|gardens)\b)"
)
_ADDRESS_CUE: Final = re.compile(
    r"mon\s+adresse\s*(?::|c[’']?\s?est|est)|my\s+(?:home\s+)?address\s+is|j[’']?\s?habite\s+au\s+\d{1,4}\b(?![\w’'])"
)
_ADDRESS_KEYS: Final = ("adresse", "address", "habite")

# Social handles, matched around each platform name the automaton saw.
_PLATFORMS: Final = (
    "instagram", "insta", "snapchat", "snap", "tiktok", "tik tok", "twitter", "discord", "telegram", "whatsapp",
    "whats app", "facebook", "fb", "messenger", "twitch", "reddit", "signal", "kik", "bluesky", "bsky",
    "mastodon", "linkedin", "skype", "viber", "wechat",
)
# "whatsapp me" is an invitation, "signal me" is not.
_PLATFORMS_ME: Final = frozenset({"whatsapp", "whats app", "snapchat", "snap", "instagram", "insta", "telegram", "kik"})
_AFTER_PLATFORM: Final = re.compile(r"\s?(?::|=|->|→)\s?@?[\w.]{2,}|\W{1,12}@[\w.]{2,}")
_ME: Final = re.compile(r"\s+(?:me|moi)\b")
_MY_AFTER: Final = re.compile(r"\s+(?:c[’']?\s?est|c\s+est|is|id|handle|pseudo|username)\b")
# What comes just before a platform name in an invitation. Verbs that invite only with a
# pronoun ("je suis sur insta" is no invitation, "suis-moi sur insta" is), verbs that invite
# without one ("viens sur snap"), "on se parle sur…", "@julie sur insta", "mon insta".
_BEFORE_PLATFORM: Final = re.compile(
    r"(?:\b(?:ajoute|ajoutez|add|[ée]cris|[ée]crivez|contacte|contactez|follow|suis|suivez|rejoins|rejoignez|join|"
    r"message|text|appelle|call|retrouve|retrouvez|find|parle|talk|chat|hit)[\s-]*(?:moi|me|nous|us)(?:\s+up)?"
    r"\s+(?:sur|on|via|en|par|by|to)"
    r"|\b(?:viens|venez|continuons|passons|dm|hmu)(?:[\s-]*(?:moi|me|nous|us))?\s+(?:sur|on|via|en|par|by|to)"
    r"|\b(?:on|nous)\s+(?:se\s+|nous\s+)?(?:parle|continue|[ée]crit|voit|capte)\s+(?:sur|en|par)"
    r"|(?<![\w.])@[\w.]{2,}\s+(?:sur|on))\s+$"
)
_MY_BEFORE: Final = re.compile(r"\b(?:mon|ma|my)\s+$")
_DISCORD_TAG: Final = re.compile(r"(?<![\w@#])[\w.]{2,32}#\d{4}\b")
_BEFORE_WINDOW: Final = 60

_PLATFORM, _EMAIL, _ADDRESS_HINT, _HASH = 0, 1, 2, 3


def _hints() -> Any:
    """One automaton for every word that makes a pattern worth trying: a single pass over the
    lower-case message finds them all, and most messages have none."""
    automaton = ahocorasick.Automaton()
    for kind, keys in ((_PLATFORM, _PLATFORMS), (_EMAIL, _EMAIL_KEYS), (_ADDRESS_HINT, _ADDRESS_KEYS), (_HASH, ("#",))):
        for key in keys:
            automaton.add_word(key, (kind, key))
    automaton.make_automaton()
    return automaton


def canonical_phone(number: str) -> str:
    """One spelling per number: "+33 9 72 39 40 50", "0033972394050" and "09 72 39 40 50" all
    read "0972394050"; other international numbers read "+" and their digits."""
    digits = "".join(ch for ch in number if ch.isdigit())
    if number.lstrip().startswith("+") or digits.startswith("00"):
        digits = digits[2:] if digits.startswith("00") else digits
        if digits.startswith("33"):
            return "0" + digits[2:].removeprefix("0")
        return "+" + digits
    return digits


class PersonalDataCheck:
    __slots__ = ("_allowed", "_exempt", "_hints", "name")

    def __init__(self, phone_allowlist: Iterable[str] = (), *, exempt_roles: frozenset[str] = frozenset()) -> None:
        self.name = "personal_data"
        self._allowed = frozenset(canonical_phone(number) for number in phone_allowlist)
        self._exempt = exempt_roles
        self._hints = _hints()

    def __call__(self, c: Candidate) -> Verdict | None:
        if c.role in self._exempt:
            return None
        kinds = self.kinds(c.text)
        if not kinds:
            return None
        return Verdict(Action.HOLD, self.name, kinds, code="personal_data", priority=1)

    def kinds(self, text: str) -> tuple[str, ...]:
        """The kinds of personal data `text` seems to hold, in a fixed order."""
        low = text.lower()
        email = address = handle = False
        for end, (kind, key) in self._hints.iter(low):
            start = end - len(key) + 1
            if kind == _PLATFORM:
                handle = handle or _handle_near(low, start, end + 1, key)
            elif kind == _EMAIL:
                email = email or _email_at(low, start)
            elif kind == _ADDRESS_HINT:
                address = address or bool(_ADDRESS_CUE.search(low))
            else:
                handle = handle or bool(_DISCORD_TAG.search(low))
        kinds: list[str] = []
        if self._has_phone(text):
            kinds.append("phone number")
        if email:
            kinds.append("e-mail address")
        if address or _ADDRESS.search(text):
            kinds.append("street address")
        if handle:
            kinds.append("social handle")
        return tuple(kinds)

    def _has_phone(self, text: str) -> bool:
        for found in _PHONE.finditer(text):
            number = found.group()
            canonical = canonical_phone(number)
            if canonical in self._allowed:
                continue
            # "01.02.2023-05.03" has ten digits after a 0; a date inside is not a phone number.
            if _DATE.search(number):
                continue
            if canonical[0] == "+" and not 8 <= len(canonical) - 1 <= 15:
                continue
            return True
        return False


def _handle_near(low: str, start: int, end: int, name: str) -> bool:
    """Whether the platform name at low[start:end] comes with a handle or an invitation."""
    if (start and low[start - 1].isalnum()) or (end < len(low) and low[end].isalnum()):
        return False  # inside a word: "snap" in "snapped", "fb" in "fbi"
    if _AFTER_PLATFORM.match(low, end) or (name in _PLATFORMS_ME and _ME.match(low, end)):
        return True
    before = low[max(0, start - _BEFORE_WINDOW):start]
    return bool(_BEFORE_PLATFORM.search(before) or (_MY_BEFORE.search(before) and _MY_AFTER.match(low, end)))


def _email_at(low: str, start: int) -> bool:
    """Whether an e-mail address is written around the "@", " at " or "arobase" at `start`."""
    if start and low[start - 1] == " ":
        start -= 1  # "julie @ gmail.com": the space belongs to the match
    return bool(_EMAIL_AT.match(low, start) or _SPELLED_AT.match(low, start))
