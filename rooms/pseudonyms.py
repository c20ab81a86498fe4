"""Generated and wished pseudonyms: "Héron calme" in French, "Calm Heron" in English.

Pure apart from reading the word lists once. A pseudonym is never derived from anything
about the person: it is drawn at random, per room.
"""

from __future__ import annotations

import random
import re
import tomllib
import unicodedata
from dataclasses import dataclass
from pathlib import Path

__all__ = ["PseudonymError", "Pseudonyms", "normalise_name"]

_DATA = Path(__file__).parent / "data" / "pseudonyms.toml"
_ALLOWED_PUNCTUATION = frozenset(" -'.")
_LEET = str.maketrans("013457@$", "oieastas")
_NON_ALNUM = re.compile(r"[^a-z0-9]+")


class PseudonymError(ValueError):
    """A wished pseudonym is not acceptable."""


def _fold(text: str) -> str:
    """Lower-case, without accents: the form used for uniqueness and word checks."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def normalise_name(name: str) -> str:
    """Uniqueness key: case, accents and runs of spaces ignored ("Héron  Calme" = "heron calme")."""
    return " ".join(_fold(name).split())


@dataclass(frozen=True, slots=True)
class _French:
    name: str
    gender: str


class Pseudonyms:
    def __init__(self, data: dict[str, object] | None = None, rng: random.Random | None = None) -> None:
        raw = data if data is not None else tomllib.loads(_DATA.read_text(encoding="utf-8"))
        fr, en = raw["fr"], raw["en"]
        assert isinstance(fr, dict) and isinstance(en, dict)
        self._fr_animals = [_French(a["name"], a["gender"]) for a in fr["animals"]]
        self._fr_adjectives: list[dict[str, str]] = list(fr["adjectives"])
        self._en_animals: list[str] = list(en["animals"])
        self._en_adjectives: list[str] = list(en["adjectives"])
        reserved, blocked = raw.get("reserved", {}), raw.get("blocked", {})
        assert isinstance(reserved, dict) and isinstance(blocked, dict)
        words = [*reserved.get("words", []), *blocked.get("words", [])]
        self._words = frozenset(_NON_ALNUM.sub(" ", w.lower()).strip() for w in words)
        # Long words are also looked for inside other words ("superadmin"); short ones
        # only whole, so that "con" never refuses "Faucon".
        self._long_words = tuple(w.replace(" ", "") for w in self._words if len(w.replace(" ", "")) >= 5)
        self._rng = rng or random.SystemRandom()

    def generate(self, lang: str) -> str:
        if lang == "en":
            return f"{self._rng.choice(self._en_adjectives)} {self._rng.choice(self._en_animals)}"
        animal = self._rng.choice(self._fr_animals)
        return f"{animal.name} {self._rng.choice(self._fr_adjectives)[animal.gender]}"

    def validate(self, wish: str) -> str:
        """The granted pseudonym (the trimmed wish), or PseudonymError saying why not."""
        name = wish.strip()
        if not 2 <= len(name) <= 32:
            raise PseudonymError("length")
        for i, ch in enumerate(name):
            category = unicodedata.category(ch)
            if not (ch.isalpha() or ch.isdigit() or ch in _ALLOWED_PUNCTUATION
                    or (category.startswith("M") and i > 0)):
                raise PseudonymError("character")
        if not any(ch.isalpha() for ch in name):
            raise PseudonymError("letters")
        if self._is_blocked(name):
            raise PseudonymError("blocked")
        return name

    def _is_blocked(self, name: str) -> bool:
        for form in (_fold(name), _fold(name).translate(_LEET)):
            words = _NON_ALNUM.sub(" ", form).split()
            joined = " ".join(words)
            if any(w in self._words for w in words):
                return True
            if any(f" {w} " in f" {joined} " for w in self._words if " " in w):
                return True
            squashed = "".join(words)
            if any(w in squashed for w in self._long_words):
                return True
        return False
