"""Text normalisation shared by the crisis check and, later, the abusive-language check.

`Normaliser(lang)(text)` turns a chat message into canonical tokens separated by single spaces:

* lower case, apostrophes unified (’ ‘ ` ´ → '), accents stripped (é → e, œ → oe) through NFKD,
  which also folds fullwidth and "fancy" Unicode letters back to plain ones;
* laughter (😂, "hahaha", "mdr", "lol") becomes the single token ``lol``; other emoji are dropped
  and punctuation becomes a space;
* letters spelled apart are joined: "m o u r i r", "s.u.i.c.i.d.e", "k-m-s";
* leetspeak is undone only inside words that also hold letters ("m0urir", "w4nt", "$uicide"), never
  in numbers ("3114", "15") nor in quantities with a short unit ("20mg", "3h", "15ans");
* a letter repeated three times or more collapses to one ("mouriiiir" → "mourir", "nooon" → "non").
  Doubles are left alone, so French keeps "elle" and "aller"; what this costs ("killll" → "kil")
  the crisis detector pays back by also compiling each phrase with its doubles squeezed, see
  `squeeze_doubles`;
* whole tokens are rewritten from `normalise_tables`: elisions to one canonical form ("j'ai",
  "jai" and "g" all read "je ai"), SMS spellings ("jveux" → "je veux", "chui" → "je suis",
  "kms" → "kill myself"), contractions ("don't" → "do not") and filler words dropped
  ("vraiment", "juste", "literally"), as is the French "ne", which "pas" or "plus" already carry.

Patterns go through the very same function, so a phrase is written in ordinary spelling and
matches every variant the message may use. The output is meant for matching, not for reading.

Everything is compiled once per language; a call costs a handful of C-level regular-expression
passes and one dictionary look-up per token.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Final

from moderation.normalise_tables import COMMON_SINGLE_LETTERS, LAUGH, TOKENS

__all__ = ["LANGS", "Normaliser", "Token", "normalise", "normaliser_for", "squeeze_doubles"]

LANGS: Final = tuple(TOKENS)

_APOSTROPHES: Final = ("’", "‘", "`", "ʼ", "′", "´")
_LAUGH_EMOJI: Final = ("😂", "🤣", "😆", "😹")
# A letter, a separator, then at least two more single letters after that same separator.
_SPACED: Final = re.compile(r"(?<![a-z0-9'])[a-z]([ .\-_*/]{1,3})[a-z](?![a-z0-9'])(?:\1[a-z](?![a-z0-9'])){1,}")
_SEPARATORS: Final = str.maketrans("", "", " .-_*/")
_LEET_CHARS: Final = "0123456789@$"
_LEET_RUN: Final = re.compile(r"[0-9@$]+")
# Each byte to its class (letter "a", digit "0", "@" and "$" to "$", the rest a space), so that a
# few substring searches tell whether a word may hold leetspeak; see `_may_hold_leet`.
_LEET_CLASSES: Final = bytes(
    0x61 if chr(b).islower() else 0x30 if chr(b).isdigit() else 0x24 if chr(b) in "@$" else 0x20 for b in range(256)
)
_LEET_WORD: Final = re.compile(r"(?<![a-z0-9@$])(?=[0-9@$]*[a-z])[a-z0-9@$]*[0-9@$][a-z0-9@$]*")
_QUANTITY: Final = re.compile(r"\d+[a-z]{0,3}\d*")
_LEET: Final = str.maketrans("0134573@$", "oieaste" + "as")
_RUNS: Final = re.compile(r"([a-z])\1{2,}")
_HAHA: Final = re.compile(r"(?<![a-z])(?:ha|ah|he|hi){2,}h?(?![a-z])")
_HAHA_HINTS: Final = ("haha", "ahah", "hihi", "hehe")
# Every other ASCII character becomes a space, the apostrophe too: elisions and contractions are
# read as separate tokens ("j ai", "don t"). The text is ASCII by then, and `bytes.translate`
# with a 256-byte table is the fastest way there is (about 0.3 µs for 300 characters).
_NOISE: Final = bytes(b if chr(b).islower() or chr(b).isdigit() else 0x20 for b in range(256))
_SPACE_BITS: Final = bytes(1 if b == 0x20 else 0 for b in range(256))
# Three one-letter words in a row; it starts on a space, which the engine finds fast.
_SPACED_GATE: Final = re.compile(r" [a-z] +[a-z] +[a-z] ")
_CHUNKS: Final = re.compile(r"\S+")
_BORN: Final = re.compile(r"(?<!\w)né(?!\w)")
_DOUBLES: Final = re.compile(r"([a-z])\1")


def _may_hold_triples(text: str) -> bool:
    """Whether a letter or digit is repeated three times in a row, found with integer arithmetic
    over the whole text at once (a regular expression costs several times more). `text` is ASCII
    with punctuation already turned into spaces; spaces are masked out, so "   " does not count."""
    data = text.encode("ascii")
    x = int.from_bytes(data, "big")
    # A zero byte in `diff` is a position whose byte equals the next two and is not a space.
    diff = (x ^ (x >> 8)) | (x ^ (x >> 16)) | int.from_bytes(data.translate(_SPACE_BITS), "big")
    ones = _ONES.get(len(data))
    if ones is None:
        ones = _ONES[len(data)] = int.from_bytes(b"\x01" * len(data), "big")
    return bool((diff - ones) & ~diff & (ones << 7))


_ONES: dict[int, int] = {}


def _may_hold_leet(text: str) -> bool:
    """Whether `_undo_leet` may change `text` (ASCII): some word has "@" or "$", a letter before a
    digit ("m0urir", "3h30"), or a digit before four letters or more ("0verdose"). Numbers and
    quantities ("3114", "4h", "20mg"), most of the digits in chat, have none of these."""
    classes = text.encode("ascii").translate(_LEET_CLASSES)
    return b"$" in classes or b"a0" in classes or b"0aaaa" in classes


def _blank_noise(text: str) -> str:
    """`text` (ASCII) with everything but lower-case letters and digits turned into spaces."""
    return text.encode("ascii").translate(_NOISE).decode("ascii")


def _undo_leet(text: str) -> str:
    # Only the words that hold a digit, @ or $ are looked at; finding them is a fast scan.
    out: list[str] = []
    last = 0
    for found in _LEET_RUN.finditer(text):
        if found.start() < last:
            continue
        start = text.rfind(" ", 0, found.start()) + 1
        end = text.find(" ", found.end())
        end = len(text) if end < 0 else end
        word = text[start:end]
        if word.isdigit() or _QUANTITY.fullmatch(word):
            continue
        out.append(text[last:start])
        out.append(_LEET_WORD.sub(_unleet, word))
        last = end
    if not out:
        return text
    out.append(text[last:])
    return "".join(out)


def _join_spaced(match: re.Match[str]) -> str:
    letters = match.group().translate(_SEPARATORS)
    # "il y a à" is French, not a word spelled out: runs of ordinary one-letter words stay.
    if set(letters) <= COMMON_SINGLE_LETTERS:
        return match.group()
    return letters


def _unleet(match: re.Match[str]) -> str:
    word = match.group()
    if _QUANTITY.fullmatch(word):
        return word
    return word.translate(_LEET)


def _first_letter(match: re.Match[str]) -> str:
    return match.group(1)


def squeeze_doubles(text: str) -> str:
    """Every doubled letter once: "kill" → "kil", the form "killll" takes after normalisation."""
    return _DOUBLES.sub(_first_letter, text)


@dataclass(frozen=True, slots=True)
class Token:
    """A canonical token and the span of the raw text it came from (end exclusive)."""

    text: str
    start: int
    end: int


class Normaliser:
    """Canonical tokens for one language; build once (see `normaliser_for`), call per message."""

    def __init__(self, lang: str) -> None:
        if lang not in TOKENS:
            raise ValueError(f"no normalisation tables for language {lang!r}")
        self.lang = lang
        raw = TOKENS[lang]
        self._table: dict[str, str] = dict(raw)
        self._get: Callable[[str, str], str] = self._table.get
        # Values are ordinary spelling; bring them to canonical tokens with the raw table.
        self._table = {key: self(value) for key, value in raw.items()}
        # "jpppp" collapses to "jp": give every key with a double its squeezed spelling too.
        for key, value in list(self._table.items()):
            self._table.setdefault(squeeze_doubles(key), value)
        self._get = self._table.get

    def __call__(self, text: str, elongations: bool = True) -> str:
        """Canonical tokens of `text`. With ``elongations=False`` letters repeated three times or
        more are left as they are, which saves a test on every message for a caller that can
        spot "aaa"…"zzz" itself in a pass it makes anyway (the crisis detector's automaton) and
        normalise again when it finds one."""
        s = text.lower()
        if not s.isascii():
            for apostrophe in _APOSTROPHES:
                if apostrophe in s:
                    s = s.replace(apostrophe, "'")
            for emoji in _LAUGH_EMOJI:
                if emoji in s:
                    s = s.replace(emoji, f" {LAUGH} ")
            if "œ" in s or "æ" in s:
                s = s.replace("œ", "oe").replace("æ", "ae")
            if "né" in s:
                # "né" would lose its accent and then read as the negation "ne", which is dropped:
                # "pas être né" would become "pas être", as in "c'est pas être faible". It is
                # read as "née" instead, so both genders meet the same phrases.
                s = _BORN.sub("née", s)
            # NFKD splits accents off their letters and folds fullwidth and mathematical letters
            # to plain ones; dropping what is left outside ASCII removes accents and emoji alike.
            s = unicodedata.normalize("NFKD", s).encode("ascii", "ignore").decode("ascii").lower()
        spaced = _blank_noise(s)
        # The rare cases (leetspeak, letters spelled apart, elongations, "hahaha") each cost a
        # regular-expression pass; cheap tests on the whole text decide whether it is needed.
        changed = False
        if any(map(s.__contains__, _LEET_CHARS)) and _may_hold_leet(s):
            s = _undo_leet(s)
            changed = True
        if _SPACED_GATE.search(f" {spaced} "):
            s = _SPACED.sub(_join_spaced, s)
            changed = True
        if elongations and _may_hold_triples(spaced):
            s = _RUNS.sub(_first_letter, s)
            changed = True
        for hint in _HAHA_HINTS:
            if hint in s:
                s = _HAHA.sub(f" {LAUGH} ", s)
                changed = True
                break
        if changed:
            spaced = _blank_noise(s)
        words = spaced.split()
        out = " ".join(map(self._get, words, words))
        if "  " in out or out[:1] == " " or out[-1:] == " ":
            out = " ".join(out.split())
        return out

    def tokens(self, text: str) -> list[Token]:
        """The same tokens with the raw span each came from, for showing a helper what matched.

        Slower than a call (it normalises chunk by chunk) and meant for explaining a flag, not
        for scanning. Letters spelled apart are taken as one chunk, as the scan takes them.
        """
        lowered = text.lower()
        spans: list[tuple[int, int]] = []
        cursor = 0
        for run in _SPACED.finditer(lowered):
            spans.extend((m.start() + cursor, m.end() + cursor) for m in _CHUNKS.finditer(lowered[cursor:run.start()]))
            spans.append((run.start(), run.end()))
            cursor = run.end()
        spans.extend((m.start() + cursor, m.end() + cursor) for m in _CHUNKS.finditer(lowered[cursor:]))
        return [Token(word, start, end) for start, end in spans for word in self(text[start:end]).split()]


@cache
def normaliser_for(lang: str) -> Normaliser:
    """The shared normaliser for a language ("fr", "en")."""
    return Normaliser(lang)


def normalise(text: str, lang: str) -> str:
    """Canonical tokens of `text` for `lang`, separated by single spaces."""
    return normaliser_for(lang)(text)
