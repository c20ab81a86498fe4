"""Repeated content: the same message again, or a wall of one thing over and over.

The rate of messages is limited elsewhere (chat's token bucket); this check is about content.

* **The same text again.** A message that is the same, or nearly (``similarity`` of the words,
  0.9 by default), as one of the session's recent messages in the room is REJECT with code
  "repeated": the first copy is already there for everyone to read, and the writer is told so,
  privately. Messages shorter than ``min_length`` once folded are never counted: "merci",
  "oui", "bonne nuit" may well come twice. Texts are compared folded (case, accents,
  punctuation, emoji), so "AIDEZ-MOI !!!" repeats "aidez moi". This is lighter than the
  crisis check's normalisation (no SMS spellings, leetspeak or elongations): seeing a copy
  needs less, and the full one costs several times as much.
* **A wall.** A message of at least ``wall_min_length`` characters made for the most part
  (``wall_share``) of one character, word or short phrase repeated ("aaaa…", "lol lol lol…")
  is REJECT with code "repeated": it drowns the room. Shorter ones ("noooon", "😭😭😭",
  "AAAAAAH") are how people say what they feel, and pass.

A crisis message is never refused: the pipeline softens a REJECT of a message the crisis check
flagged into a HOLD.

Similarity is the Dice coefficient of the two texts' sets of words: changing one word of
twenty keeps it at 0.95, while two different messages, even on the same subject, share far
fewer of their words. Word order is not looked at: the same words shuffled are a copy too.
Each text's folded form and word set are kept in a small bounded cache, so a message is
folded once, when it is checked, and found there again while it is one of the recent ones;
a comparison is then one set intersection. (Sets of word pairs, tried first, cost five times
as much to build for no case that matters here.)
"""

from __future__ import annotations

import operator
import unicodedata
from typing import TYPE_CHECKING, Final

from moderation.verdict import Action, Verdict

if TYPE_CHECKING:
    from moderation.pipeline import Candidate

__all__ = ["RepetitionCheck"]

# A text with more distinct characters than this is no wall; ordinary sentences of 120
# characters have twenty or more. The exact measure below then runs only for walls.
_WALL_DISTINCT: Final = 16
_MAX_UNIT: Final = 40
# Lower-case letters and digits stay, every other byte becomes a space; bytes.translate with
# a 256-byte table is many times faster than str.translate with a dict.
_KEEP: Final = bytes(c if (48 <= c <= 57 or 97 <= c <= 122) else 32 for c in range(256))

# A text folded: its words joined by spaces, and the set its similarity is measured on.
_Folded = tuple[bytes, frozenset[bytes]]


def fold(text: str) -> bytes:
    """`text` in lower case without accents, punctuation or emoji, one space between words."""
    return b" ".join(_words(text))


def _words(text: str) -> list[bytes]:
    s = text.lower()
    if not s.isascii():
        s = unicodedata.normalize("NFKD", s)  # accents split off, then dropped with the rest
    return s.encode("ascii", "ignore").translate(_KEEP).split()


class RepetitionCheck:
    __slots__ = ("_cache", "_cache_size", "_exempt", "_min_length", "_similarity", "_wall_min", "_wall_share", "name")

    def __init__(
        self, *, similarity: float = 0.9, min_length: int = 30, wall_min_length: int = 120,
        wall_share: float = 0.8, exempt_roles: frozenset[str] = frozenset(), cache_size: int = 4096,
    ) -> None:
        self.name = "repetition"
        self._similarity = similarity
        self._min_length = min_length
        self._wall_min = wall_min_length
        self._wall_share = wall_share
        self._exempt = exempt_roles
        # Folded forms by text; bounded, oldest out first. It holds texts that the hub's
        # recent buffer holds anyway, in memory only.
        self._cache: dict[str, _Folded] = {}
        self._cache_size = cache_size

    def __call__(self, c: Candidate) -> Verdict | None:
        if c.role in self._exempt:
            return None
        if len(c.text) >= self._wall_min and self.is_wall(c.text):
            return Verdict(Action.REJECT, self.name, ("wall of repeated text",), code="repeated", priority=0)
        if not c.recent:
            return None
        folded = self._fold(c.text)
        if len(folded[0]) < self._min_length:
            return None
        for previous in reversed(c.recent):
            if self._similar(folded, self._fold(previous)):
                return Verdict(Action.REJECT, self.name, ("same as a recent message",), code="repeated", priority=0)
        return None

    def similar(self, a: str, b: str) -> bool:
        """Whether two texts are the same or nearly, once folded."""
        return self._similar(self._fold(a), self._fold(b))

    def _similar(self, a: _Folded, b: _Folded) -> bool:
        if a[0] == b[0]:
            return True
        words_a, words_b = a[1], b[1]
        total = len(words_a) + len(words_b)
        if not total or min(len(words_a), len(words_b)) * 2 < self._similarity * total:
            return False  # the sizes alone keep the coefficient under the threshold
        return 2 * len(words_a & words_b) >= self._similarity * total

    def is_wall(self, text: str) -> bool:
        """Whether `text` is mostly one character, word or short phrase repeated."""
        if len(set(text)) > _WALL_DISTINCT:
            return False
        chars = "".join(text.lower().split())
        # For each unit length, the share of characters equal to the one a unit earlier:
        # "lollollol" is 100 % alike at 3, "aaaa" at 1, "je t'aime je t'aime" at 7.
        for unit in range(1, min(_MAX_UNIT, len(chars) // 2) + 1):
            alike = sum(map(operator.eq, chars, chars[unit:]))
            if alike >= self._wall_share * (len(chars) - unit):
                return True
        return False

    def _fold(self, text: str) -> _Folded:
        cache = self._cache
        folded = cache.get(text)
        if folded is None:
            words = _words(text)
            folded = (b" ".join(words), frozenset(words))
            if len(cache) >= self._cache_size:
                del cache[next(iter(cache))]
            cache[text] = folded
        return folded
