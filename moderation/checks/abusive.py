"""Abusive language in French and English, from the word lists of ``data/abusive.toml``.

What each category does, and why:

* **insult** → FLAG, priority 1. The message is published and a helper may look: an insult
  between peers is a matter for a word from a helper, not for silencing on a word list's say.
* **slur** → HOLD, priority 2. Racist, homophobic, transphobic or ableist slurs hurt everyone
  who reads them, so nobody reads them before a helper decides.
* **harassment** ("va te pendre", "kill yourself", "kys", "crève", "personne ne te
  regrettera") → HOLD, priority 2, not REJECT: telling someone to die, in a room where people
  may be suicidal, must never reach them, and a helper must see who wrote it to act (a
  rejection would drop it without anyone knowing). A held message a helper finds harmless (a
  quote the guards missed) is approved at once.
* **threat** and **sexual** (solicitations, remarks aimed at someone) → HOLD, priority 2,
  for the same reasons.

Every abusive verdict has code "abusive" and reasons "abusive: <category>", most severe first;
the matched words never appear in them.

How a message is read: the shared normaliser (`moderation.normalise`, the crisis detector's)
turns it into canonical tokens, and one Aho-Corasick automaton per language finds every
phrase on whole words in a single pass ("con" never matches "contre", nor "bite" "bitume").
As in the crisis detector, the first pass keeps elongations and spots them ("connnnard");
only then is the message normalised fully and read again with every double letter
squeezed, on both sides, so "connnasse" and "conasse" both find "connasse". Matches preceded
by a guard are dropped: a quote or the writer speaking of themselves within the four words
before ("il m'a traité de…", "je suis une…"), and, for harassment, a subject or a negation
just before ("je crève de chaud", "don't kill yourself").
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Any, Final

import ahocorasick

from moderation.crisis import expand_phrase
from moderation.normalise import LANGS, Normaliser, normaliser_for, squeeze_doubles
from moderation.verdict import Action, Verdict

if TYPE_CHECKING:
    from moderation.pipeline import Candidate

__all__ = ["CATEGORIES", "AbusiveCheck", "WordList", "load_shipped", "parse_word_lists"]

# Most severe first: the order of the reasons.
CATEGORIES: Final = ("harassment", "threat", "slur", "sexual", "insult")
_POLICY: Final = {
    "harassment": (Action.HOLD, 2), "threat": (Action.HOLD, 2), "slur": (Action.HOLD, 2),
    "sexual": (Action.HOLD, 2), "insult": (Action.FLAG, 1),
}
_HARASSMENT: Final = CATEGORIES.index("harassment")
_ELONGATION: Final = -1
_WINDOW: Final = 4


@dataclass(frozen=True, slots=True)
class WordList:
    """One language's phrases by category, and the guards that cancel a match."""

    phrases: Mapping[str, tuple[str, ...]]
    window_guards: tuple[str, ...] = ()
    before_guards: tuple[str, ...] = ()


def parse_word_lists(data: Mapping[str, Any]) -> dict[str, WordList]:
    """Word lists from the parsed data file (see abusive.toml for its shape)."""
    lists: dict[str, WordList] = {}
    for lang, section in data.items():
        if lang not in LANGS:
            raise ValueError(f"abusive word lists: unknown language {lang!r}")
        unknown = set(section) - {*CATEGORIES, "guards"}
        if unknown:
            raise ValueError(f"abusive word lists: unknown category {sorted(unknown)[0]!r} in [{lang}]")
        guards = section.get("guards", {})
        lists[lang] = WordList(
            phrases={category: tuple(section.get(category, ())) for category in CATEGORIES},
            window_guards=tuple(guards.get("window", ())),
            before_guards=tuple(guards.get("before", ())),
        )
    return lists


@cache
def load_shipped() -> dict[str, WordList]:
    """Read the shipped data file (its only I/O; once per process)."""
    text = resources.files("moderation").joinpath("data", "abusive.toml").read_text(encoding="utf-8")
    return parse_word_lists(tomllib.loads(text))


# A match: (index of the space before its first word, the categories of its phrase).
_Hit = tuple[int, tuple[int, ...]]


class _Locale:
    """The automata and guards of one language."""

    def __init__(self, lang: str, words: WordList) -> None:
        self.normalise: Normaliser = normaliser_for(lang)
        plain: dict[str, set[int]] = {}
        squeezed: dict[str, set[int]] = {}
        for index, category in enumerate(CATEGORIES):
            for phrase in words.phrases.get(category, ()):
                for spelling in expand_phrase(phrase):
                    tokens = self.normalise(spelling)
                    if " " not in tokens and len(spelling.split()) > 1:
                        # "sale putain" would read "sale": the normaliser drops filler words.
                        raise ValueError(f"abusive phrase {spelling!r} ({lang}) shrinks to {tokens!r}")
                    if tokens:
                        plain.setdefault(f" {tokens} ", set()).add(index)
                        squeezed.setdefault(f" {squeeze_doubles(tokens)} ", set()).add(index)
        # The first pass reads the message with elongations left in; these keys spot one.
        for letter in "abcdefghijklmnopqrstuvwxyz":
            plain[letter * 3] = {_ELONGATION}
        self.plain = _compile(plain)
        self.squeezed = _compile(squeezed)
        window = [self.normalise(g) for g in words.window_guards]
        before = [self.normalise(g) for g in words.before_guards]
        # Guards as they read in each pass: plain, then with doubles squeezed.
        self.window = (tuple(f" {g} " for g in window if g), tuple(f" {squeeze_doubles(g)} " for g in window if g))
        self.before = (tuple(f" {g} " for g in before if g), tuple(f" {squeeze_doubles(g)} " for g in before if g))

    def categories(self, text: str) -> set[int]:
        norm = f" {self.normalise(text, elongations=False)} "
        hits = _hits(self.plain, norm)
        squeezed = 0
        if hits is None:
            norm = f" {squeeze_doubles(self.normalise(text))} "
            hits = _hits(self.squeezed, norm) or []
            squeezed = 1
        found: set[int] = set()
        for start, cats in hits:
            if self._guarded(norm, start, cats, squeezed):
                continue
            found.update(cats)
        return found

    def _guarded(self, norm: str, start: int, cats: tuple[int, ...], squeezed: int) -> bool:
        # Only reached on a match, which few messages have: the string work here is affordable.
        head = norm[:start + 1]
        window = " " + " ".join(head.split()[-_WINDOW:]) + " "
        if any(g in window for g in self.window[squeezed]):
            return True
        return cats == (_HARASSMENT,) and any(head.endswith(g) for g in self.before[squeezed])


def _compile(entries: dict[str, set[int]]) -> Any:
    automaton = ahocorasick.Automaton()
    for key, cats in entries.items():
        automaton.add_word(key, (len(key), tuple(sorted(cats))))
    automaton.make_automaton()
    return automaton


def _hits(automaton: Any, norm: str) -> list[_Hit] | None:
    """The phrase matches in `norm`, or None when it holds an elongation to normalise first."""
    hits: list[_Hit] = []
    for end, (length, cats) in automaton.iter(norm):
        if cats[0] == _ELONGATION:
            return None
        hits.append((end - length + 1, cats))
    return hits


class AbusiveCheck:
    __slots__ = ("_exempt", "_locales", "name")

    def __init__(self, lists: Mapping[str, WordList], *, exempt_roles: frozenset[str] = frozenset()) -> None:
        self.name = "abusive"
        self._locales = {lang: _Locale(lang, words) for lang, words in lists.items()}
        self._exempt = exempt_roles

    @classmethod
    def shipped(cls, *, exempt_roles: frozenset[str] = frozenset()) -> AbusiveCheck:
        """The check with the shipped word lists."""
        return cls(load_shipped(), exempt_roles=exempt_roles)

    def _locales_for(self, lang: str) -> Iterator[_Locale]:
        # "fr-CA" reads as "fr"; a language without lists is read with all of them. Only the
        # message's own language otherwise: French "retard" (late) is no English slur.
        base = lang.replace("_", "-").split("-", 1)[0].lower()
        if base in self._locales:
            yield self._locales[base]
        else:
            yield from self._locales.values()

    def categories(self, text: str, lang: str) -> tuple[str, ...]:
        """The categories of abusive language in `text`, most severe first."""
        found: set[int] = set()
        for locale in self._locales_for(lang):
            found |= locale.categories(text)
        return tuple(CATEGORIES[i] for i in sorted(found))

    def __call__(self, c: Candidate) -> Verdict | None:
        if c.role in self._exempt:
            return None
        found = self.categories(c.text, c.lang)
        if not found:
            return None
        action, priority = max(_POLICY[category] for category in found)
        return Verdict(action, self.name, tuple(f"abusive: {category}" for category in found),
                       code="abusive", priority=priority)
