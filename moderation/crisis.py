"""Crisis detection: a message and its language in, a `CrisisResult` out. Pure, no I/O.

This module only *detects*; what to do about a result (the pointer card, alerting the helpers on
duty) belongs to escalation, so that policy can change without touching the matcher.

How a message is read, in order:

1. It is normalised (`moderation.normalise`): case, accents, SMS spellings, leetspeak, letters
   spelled apart, elongations, punctuation and emoji noise.
2. Two Aho-Corasick automata per language find every phrase of three kinds: crisis **patterns**
   in a first pass, then, only when one matched, **exclusions** (idioms such as "mourir de rire"
   or "to die for") and context **markers** (a relation such as "ma sœur", a film or the news, a
   recovery told in the past, "ce soir", laughter, a means such as "les médicaments"). Phrases are
   matched on whole words only; an exclusion also cancels a cue marker it overlaps (see step 3).
3. Of overlapping pattern matches only the longest are kept ("je veux mourir", not also "veux
   mourir"). A match is then dropped when an exclusion overlaps it; when the word just before it
   says it is someone else's or negated ("tu as envie de mourir ?", "pas envie de mourir"); when
   one of the marker kinds its pattern lists under ``unless`` is present (a recovery story cancels
   a past-tense pattern, unless the message also says it is happening again); when the pattern
   lists ``needs`` and none of them is met (a vague act such as "je vais le faire" or "do it"
   holds only beside a means, a goodbye or a final word: "j'ai les médicaments", "for good");
   and, for concern for someone else, when no relation is named or the subject is a character in
   a film or book.
4. Severity is the highest of what is left, raised to "high" when the message gives a time
   ("ce soir", "tonight") and lowered one step by laughter, except for a plan or a farewell.
5. Where no pattern and no rule held, the language's linear model (`moderation.crisis_model`)
   flags what it scores above its threshold; what it scores a little below is not flagged but
   marked ``review``: a person should read it (a helper, not the card: the model is unsure).
6. `detect` stops there: it is the fast reading (tens of microseconds) that runs on every
   message as it is checked. `second_reading` is the slow one (milliseconds): a neural
   sentence encoder (`moderation.crisis_encoder`) reads what the fast reading did not flag and
   flags it when it scores above its threshold. The hub runs it off the event loop, right after
   the message is published (`chat.second_reading`); `detect_fully` does both in one call, for
   the command line, the console and the evaluation.

The phrases live in ``moderation/data/crisis_patterns.toml``; `load_shipped` reads them and
`CrisisDetector.with_overrides` merges the admins' additions and disabled ids.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from itertools import pairwise
from typing import Any, Final

import ahocorasick

from moderation.crisis_encoder import CrisisEncoder, load_shipped_encoder
from moderation.crisis_model import LinearModel, features, load_shipped_models
from moderation.normalise import LANGS, Normaliser, normaliser_for, squeeze_doubles

__all__ = [
    "CATEGORIES",
    "NOT_FLAGGED",
    "SEVERITIES",
    "CrisisDetector",
    "CrisisResult",
    "Explanation",
    "Lexicon",
    "Pattern",
    "Rule",
    "Shipped",
    "encoder_id",
    "expand_phrase",
    "load_shipped",
    "model_id",
    "parse_shipped",
    "review_id",
]

CATEGORIES: Final = ("ideation", "plan", "self_harm", "farewell", "concern_other")
SEVERITIES: Final = ("none", "low", "medium", "high")
_RANK: Final = {name: rank for rank, name in enumerate(SEVERITIES)}
_NEVER_SOFTENED: Final = frozenset({"plan", "farewell"})
# What a flag from the model alone is filed under when the model has no category weights: the
# first category whose cue kinds the message holds, else ideation. The category picks the card's
# text ("someone else" or "you").
_MODEL_CATEGORY_CUES: Final = (
    ("concern_other", frozenset({"relation"})),
    ("self_harm", frozenset({"hurt_self", "injury", "injury_now", "self_hurt"})),
    ("plan", frozenset({"drug", "tool", "stock", "research", "place", "when_set", "rail"})),
    ("farewell", frozenset({"farewell_act", "gone_soon", "left_for", "parting", "past_us"})),
)
_PATTERN, _EXCLUSION, _MARKER, _ELONGATION = 0, 1, 2, 3


def _check_labels(what: str, locale: str, category: str, severity: str) -> None:
    if locale not in LANGS:
        raise ValueError(f"{what}: unknown locale {locale!r}")
    if category not in CATEGORIES:
        raise ValueError(f"{what}: unknown category {category!r}")
    if severity not in SEVERITIES[1:]:
        raise ValueError(f"{what}: unknown severity {severity!r}")


@dataclass(frozen=True, slots=True)
class Pattern:
    """One crisis phrase. ``phrase`` is ordinary spelling with ``{a|b|}`` alternatives (an empty one
    makes the group optional), a trailing ``*`` to match a word's beginning ("suicid*") and a
    trailing ``$`` to match only at the end of the message. ``unless`` names marker kinds whose
    presence cancels this pattern. ``needs``, when not empty, names what the message must also
    hold for this pattern to count: each entry is one marker kind, or several joined by "+" that
    must all be present ("resolve+imminent"), and one entry met is enough. It is for phrases in
    ordinary words ("I'm going to do it") that say a crisis only beside another cue."""

    id: str
    locale: str
    phrase: str
    category: str
    severity: str
    enabled: bool = True
    unless: tuple[str, ...] = ()
    needs: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        _check_labels(f"pattern {self.id}", self.locale, self.category, self.severity)


@dataclass(frozen=True, slots=True)
class Rule:
    """A crisis told in no set phrase, recognised by the kinds of cue it combines: a means with a
    stockpile ("j'ai mis de côté toutes mes plaquettes"), a wish with a death ("I pray I won't wake
    up"), a relation with an injury ("ma coloc a des coupures partout"). ``when`` lists entries as
    in `Pattern.needs` (marker kinds joined by "+", all present); one entry met is enough, and
    ``unless`` cancels it as for a pattern. Cues are read anywhere in the message: a chat message
    is short, and what the person says of themselves in it hangs together."""

    id: str
    locale: str
    when: tuple[str, ...]
    category: str
    severity: str
    enabled: bool = True
    unless: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        _check_labels(f"rule {self.id}", self.locale, self.category, self.severity)
        if not self.when:
            raise ValueError(f"rule {self.id}: empty 'when'")


@dataclass(frozen=True, slots=True)
class Lexicon:
    """What is not a pattern, for one locale: idioms that cancel an overlapping match, context
    markers by kind, words that make the match after them not the writer's own or negated
    (``not_mine``), first-person words that make a concern-for-others match the writer's, and
    words that negate the match before them (``not_after``, French "je me scarifie plus")."""

    exclusions: tuple[str, ...] = ()
    markers: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    not_mine: frozenset[str] = frozenset()
    first_person: frozenset[str] = frozenset()
    not_after: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class Shipped:
    """The patterns, rules and lexicons of the data file."""

    patterns: tuple[Pattern, ...]
    lexicons: Mapping[str, Lexicon]
    rules: tuple[Rule, ...] = ()


@dataclass(frozen=True, slots=True)
class CrisisResult:
    """What the detector found. ``matches`` are the ids of the patterns that held, for explaining.
    ``review``: not flagged, but close enough that a person should read it (``matches`` then
    names the language's review tier, "fr.review")."""

    flagged: bool
    severity: str
    categories: tuple[str, ...]
    matches: tuple[str, ...]
    review: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "flagged": self.flagged, "severity": self.severity,
            "categories": list(self.categories), "matches": list(self.matches), "review": self.review,
        }


NOT_FLAGGED: Final = CrisisResult(flagged=False, severity="none", categories=(), matches=())


@dataclass(frozen=True, slots=True)
class Explanation:
    """A pattern that held and the span of the raw message it covers (end exclusive)."""

    pattern_id: str
    start: int
    end: int


def expand_phrase(phrase: str) -> list[str]:
    """Every spelling a phrase with ``{a|b|}`` groups stands for; groups may nest."""
    open_at = phrase.find("{")
    if open_at < 0:
        return [phrase]
    depth, cuts, close_at = 0, [open_at], -1
    for i in range(open_at, len(phrase)):
        char = phrase[i]
        if char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
            if depth == 0:
                close_at = i
                break
        elif char == "|" and depth == 1:
            cuts.append(i)
    if close_at < 0:
        raise ValueError(f"unbalanced braces in phrase {phrase!r}")
    cuts.append(close_at)
    head, tail = phrase[:open_at], phrase[close_at + 1:]
    alternatives = [phrase[a + 1:b] for a, b in pairwise(cuts)]
    return [spelling for alt in alternatives for spelling in expand_phrase(head + alt + tail)]


# A pattern match in the normalised text: (index of the space before its first word, index of
# the last character of its last word, index of the pattern). A tuple: made per match, kept cheap.
_Hit = tuple[int, int, int]


class _Locale:
    """The compiled automaton of one locale and what the scan needs beside it."""

    def __init__(
        self, lang: str, patterns: Sequence[Pattern], lexicon: Lexicon, rules: Sequence[Rule] = (),
        model: LinearModel | None = None, review: bool = True,
    ) -> None:
        self.lang = lang
        self.model = model
        # What a message the model scores just below its threshold gets (None: no review tier).
        self.review_result = CrisisResult(
            flagged=False, severity="none", categories=(), matches=(review_id(lang),), review=True,
        ) if review and model is not None and model.review_threshold is not None else None
        self.normalise: Normaliser = normaliser_for(lang)
        self.patterns = list(patterns)
        self.rules = list(rules)
        # Per pattern, the sets of marker kinds of which one must be wholly present (none: no need).
        self.needs: list[tuple[frozenset[str], ...]] = [
            tuple(frozenset(entry.split("+")) for entry in pattern.needs) for pattern in self.patterns
        ]
        self.when: list[tuple[frozenset[str], ...]] = [
            tuple(frozenset(entry.split("+")) for entry in rule.when) for rule in self.rules
        ]
        signals = frozenset(kind for when in self.when for group in when for kind in group)
        # Each rule entry filed under one of its kinds, so that a message with a cue or two checks
        # only the few entries those could complete, not every entry of every rule.
        self.rules_by_kind: dict[str, list[tuple[frozenset[str], int]]] = {}
        for index, when in enumerate(self.when):
            for group in when:
                self.rules_by_kind.setdefault(min(group), []).append((group, index))
        # The marker kinds some pattern needs or some rule combines: an idiom that overlaps one of
        # these cancels it ("prête pour le rendez-vous" is no resolve); markers that cancel a match stay.
        self.cues = frozenset(kind for need in self.needs for group in need for kind in group) | signals
        self.not_mine = frozenset(self.normalise(word) for word in lexicon.not_mine)
        self.first_person = frozenset(self.normalise(word) for word in lexicon.first_person)
        self.not_after = frozenset(self.normalise(word) for word in lexicon.not_after)
        # Two automata: the patterns, then, only for the few messages where a pattern matched,
        # the exclusions and context markers. Most messages cost one pass with no match.
        patterns_entries: dict[str, list[tuple[int, Any, bool]]] = {}
        for index, pattern in enumerate(self.patterns):
            self._add(patterns_entries, pattern.phrase, _PATTERN, index)
        # The cues rules combine are read in the first pass too, so that a message no rule can
        # hold still costs one pass.
        for kind in signals:
            for phrase in lexicon.markers.get(kind, ()):
                self._add(patterns_entries, phrase, _MARKER, kind)
        if patterns_entries:
            # The first pass reads the message with elongations left in ("mouriiir"); these keys
            # spot one, and the message is then normalised fully and read again.
            for letter in "abcdefghijklmnopqrstuvwxyz":
                patterns_entries[letter * 3] = [(_ELONGATION, None, False)]
        context_entries: dict[str, list[tuple[int, Any, bool]]] = {}
        for phrase in lexicon.exclusions:
            self._add(context_entries, phrase, _EXCLUSION, None)
        for kind, phrases in lexicon.markers.items():
            for phrase in phrases:
                self._add(context_entries, phrase, _MARKER, kind)
        self.patterns_automaton = self._compile(patterns_entries)
        self.context_automaton = self._compile(context_entries)

    @staticmethod
    def _compile(entries: dict[str, list[tuple[int, Any, bool]]]) -> Any:
        if not entries:
            return None
        automaton = ahocorasick.Automaton()
        for key, values in entries.items():
            # Alternatives often normalise to the same words; one entry each is enough.
            automaton.add_word(key, (len(key), tuple(dict.fromkeys(values))))
        automaton.make_automaton()
        return automaton

    def _add(self, entries: dict[str, list[tuple[int, Any, bool]]], phrase: str, kind: int, payload: Any) -> None:
        for spelling in expand_phrase(phrase):
            at_end = spelling.endswith("$")
            spelling = spelling.rstrip("$")
            prefix = spelling.endswith("*")
            words = self.normalise(spelling.rstrip("*"))
            if not words:
                continue
            for variant in {words, squeeze_doubles(words)}:
                key = f" {variant}" if prefix else f" {variant} "
                entries.setdefault(key, []).append((kind, payload, at_end))

    def _pattern_hits(self, norm: str, signals: set[str]) -> list[_Hit] | None:
        """The pattern matches in `norm`, with the rule cues seen added to `signals`; None when
        `norm` holds an elongation to normalise first."""
        hits: list[_Hit] = []
        last = len(norm) - 1
        for end, (length, values) in self.patterns_automaton.iter(norm):
            for kind, payload, at_end in values:
                if kind == _ELONGATION:
                    return None
                if at_end and end != last:
                    continue
                if kind == _PATTERN:
                    hits.append((end - length + 1, end - 1 if norm[end] == " " else end, payload))
                else:
                    signals.add(payload)
        return hits

    def _rule_may_hold(self, signals: set[str]) -> bool:
        by_kind = self.rules_by_kind
        return any(group <= signals for kind in signals for group, _ in by_kind.get(kind, ()))

    def held_rules(self, markers: set[str]) -> list[int]:
        """The indexes of the rules the message's markers meet and nothing cancels."""
        held: list[int] = []
        by_kind = self.rules_by_kind
        met = {index for kind in markers for group, index in by_kind.get(kind, ()) if group <= markers}
        for index in sorted(met):
            rule = self.rules[index]
            if _concern_without_someone(rule.category, markers):
                continue
            if _cancelled(rule.unless, markers):
                continue
            held.append(index)
        return held

    def scan(self, text: str) -> tuple[str, list[_Hit], list[tuple[int, int]], set[str], set[str]]:
        """The normalised message, its pattern matches, the spans of its idioms, its markers (read
        only when a pattern matched or a rule may hold) and the rule cues seen in the first pass."""
        exclusions: list[tuple[int, int]] = []
        markers: set[str] = set()
        signals: set[str] = set()
        if self.patterns_automaton is None:
            return f" {self.normalise(text)} ", [], exclusions, markers, signals
        norm = f" {self.normalise(text, elongations=False)} "
        found = self._pattern_hits(norm, signals)
        if found is None:
            norm = f" {self.normalise(text)} "
            signals.clear()
            found = self._pattern_hits(norm, signals) or []
        hits = found
        last = len(norm) - 1
        if (not hits and not self._rule_may_hold(signals)) or self.context_automaton is None:
            return norm, hits, exclusions, markers, signals
        found_markers: list[tuple[int, int, str]] = []
        for end, (length, values) in self.context_automaton.iter(norm):
            for kind, payload, at_end in values:
                if at_end and end != last:
                    continue
                span = (end - length + 2, end - 1 if norm[end] == " " else end)
                if kind == _EXCLUSION:
                    exclusions.append(span)
                else:
                    found_markers.append((*span, payload))
        cues = self.cues
        markers.update(
            kind for m_start, m_end, kind in found_markers
            if kind not in cues or not any(x_start <= m_end and m_start <= x_end for x_start, x_end in exclusions)
        )
        return norm, hits, exclusions, markers, signals

    def kept(self, norm: str, hits: list[_Hit], exclusions: list[tuple[int, int]], markers: set[str]) -> list[_Hit]:
        # Only the longest of nested matches: "je veux mourir" stands, "veux mourir" inside it goes,
        # so a guard word before the long one is not bypassed by the short one.
        hits.sort(key=lambda h: (h[0], -h[1]))
        kept: list[_Hit] = []
        reach, reach_start = -1, -1
        needs = self.needs
        for hit in hits:
            start, end, index = hit
            pattern = self.patterns[index]
            # What the whole message lacks is checked first: a vague phrase without its second cue,
            # or a concern for someone with no one named, must not hide a nested match that holds.
            if needs[index] and not any(need <= markers for need in needs[index]):
                continue
            if _concern_without_someone(pattern.category, markers):
                continue
            if end <= reach and not (start == reach_start and end == reach):
                continue
            if end > reach:
                reach, reach_start = end, start
            if any(x_start <= end and start + 1 <= x_end for x_start, x_end in exclusions):
                continue
            cut = norm.rfind(" ", 0, start)
            before = norm[cut + 1:start]
            if pattern.category == "concern_other":
                if before in self.first_person:
                    continue
            elif norm[start + 1:norm.find(" ", start + 1)] not in self.first_person and (
                before in self.not_mine or f"{norm[norm.rfind(' ', 0, cut) + 1:cut]} {before}" in self.not_mine
            ):
                # "tu as envie de mourir ?", "pas envie de mourir", "i used to want to die"; a match
                # that starts with "je" or "i" says whose it is by itself.
                continue
            after = norm[end + 2:end + 40].split(" ", 2)
            if after[0] in self.not_after and (len(after) < 2 or after[1] != "que"):
                continue
            if _cancelled(pattern.unless, markers):
                continue
            kept.append(hit)
        return kept


def _concern_without_someone(category: str, markers: set[str]) -> bool:
    """A concern for someone else holds only when the message names someone close, and not
    a character of a film or a book."""
    return category == "concern_other" and ("relation" not in markers or "media" in markers)


def _cancelled(unless: tuple[str, ...], markers: set[str]) -> bool:
    """Whether a marker of the kinds in `unless` is present; a recovery story does not cancel
    when the message says it is happening again ("il y a deux ans j'ai fait une TS… et ce soir
    ça recommence")."""
    return any(kind in markers and not (kind == "past_context" and "now" in markers) for kind in unless)


class CrisisDetector:
    """Built once from the full pattern set (compiling takes a moment); `detect` is then cheap."""

    def __init__(
        self, patterns: Sequence[Pattern], lexicons: Mapping[str, Lexicon] | None = None, rules: Sequence[Rule] = (),
        models: Mapping[str, LinearModel] | None = None, no_review: Iterable[str] = (),
        encoder: CrisisEncoder | None = None, no_encoder: Iterable[str] = (),
    ) -> None:
        if lexicons is None:
            lexicons = load_shipped().lexicons
        models = models or {}
        quiet = frozenset(no_review)
        self._locales = {
            lang: _Locale(
                lang, [p for p in patterns if p.locale == lang and p.enabled], lexicons.get(lang, Lexicon()),
                [r for r in rules if r.locale == lang and r.enabled], models.get(lang), lang not in quiet,
            )
            for lang in LANGS
        }
        self.encoder = encoder
        # The languages whose messages the encoder reads (an admin may switch one off).
        self._encoder_langs = frozenset(LANGS) - frozenset(no_encoder) if encoder is not None else frozenset()

    @classmethod
    def shipped(cls) -> CrisisDetector:
        """The detector with the shipped patterns only: built once per process (about a second),
        then shared, since a detector keeps no state between calls."""
        return _shipped_detector()

    @classmethod
    def with_overrides(
        cls, added: Sequence[Pattern] = (), disabled: Iterable[str] = (), shipped: Shipped | None = None,
    ) -> CrisisDetector:
        """The shipped patterns, rules and models plus the admins' changes: an added pattern with a
        shipped id replaces it, and any id in ``disabled`` (a shipped pattern or rule, an added
        pattern, a language's model, "fr.model", or its review tier, "fr.review") is left out."""
        base = shipped if shipped is not None else load_shipped()
        by_id = {p.id: p for p in base.patterns}
        by_id.update((p.id, p) for p in added)
        off = set(disabled)
        models = {lang: m for lang, m in load_shipped_models().items() if model_id(lang) not in off}
        return cls(
            [p for p in by_id.values() if p.id not in off], base.lexicons,
            [r for r in base.rules if r.id not in off], models,
            no_review=[lang for lang in LANGS if review_id(lang) in off],
            encoder=load_shipped_encoder(), no_encoder=[lang for lang in LANGS if encoder_id(lang) in off],
        )

    def _locales_for(self, lang: str) -> Iterator[_Locale]:
        # "fr-CA" reads as "fr"; a language we have no patterns for is scanned in all of them.
        base = lang.replace("_", "-").split("-", 1)[0].lower()
        if base in self._locales:
            yield self._locales[base]
        else:
            yield from self._locales.values()

    def detect(self, text: str, lang: str) -> CrisisResult:
        """What the message shows of a suicidal or self-harm crisis."""
        severity = 0
        categories: set[str] = set()
        matches: list[str] = []
        all_markers: set[str] = set()
        read: list[tuple[_Locale, str, set[str]]] = []
        for locale in self._locales_for(lang):
            norm, hits, exclusions, markers, signals = locale.scan(text)
            read.append((locale, norm, signals))
            if not hits and not markers:
                continue
            kept = locale.kept(norm, hits, exclusions, markers)
            held: list[Pattern | Rule] = [locale.patterns[i] for _, _, i in kept]
            if not held and markers:
                # Rules speak for what no phrase holds; where a phrase holds, it explains it better.
                held = [locale.rules[i] for i in locale.held_rules(markers)]
            for found in held:
                severity = max(severity, _RANK[found.severity])
                categories.add(found.category)
                if found.id not in matches:
                    matches.append(found.id)
            all_markers |= markers
        if not matches:
            return self._model_verdict(read)
        if "imminent" in all_markers:
            severity = _RANK["high"]
        elif "laughter" in all_markers and not categories & _NEVER_SOFTENED:
            severity = max(_RANK["low"], severity - 1)
        return CrisisResult(
            flagged=True, severity=SEVERITIES[severity],
            categories=tuple(c for c in CATEGORIES if c in categories), matches=tuple(matches),
        )

    @staticmethod
    def _model_verdict(read: list[tuple[_Locale, str, set[str]]]) -> CrisisResult:
        # Last, and only where no phrase and no rule held: the model adds recall for crises told
        # in words no list has, and stays out of the way of the explained matches.
        review: CrisisResult | None = None
        for locale, norm, signals in read:
            model = locale.model
            if model is None:
                continue
            score = model.score_message(norm, signals)
            if score < model.threshold:
                if review is None and locale.review_result is not None and model.for_review(score):
                    review = locale.review_result
                continue
            category = model.category(norm, signals) or next(
                (c for c, cues in _MODEL_CATEGORY_CUES if cues & signals), "ideation",
            )
            return CrisisResult(
                flagged=True, severity="medium", categories=(category,), matches=(model_id(locale.lang),),
            )
        return review or NOT_FLAGGED

    def second_reading(self, messages: Sequence[tuple[str, str]]) -> list[CrisisResult]:
        """The encoder's reading of (text, lang) messages, in one batch: a flagged result for each
        it scores at or above its threshold, NOT_FLAGGED for the others (and for all of them when
        there is no encoder). Milliseconds per message: meant for what `detect` did not flag,
        and, in the server, for a worker thread."""
        results = [NOT_FLAGGED] * len(messages)
        encoder = self.encoder
        if encoder is None:
            return results
        read = [(i, locale) for i, (_, lang) in enumerate(messages) if (locale := self._encoder_locale(lang))]
        if not read:
            return results
        scores = encoder.scores([messages[i][0] for i, _ in read])
        for (i, locale), score in zip(read, scores, strict=True):
            text, lang = messages[i]
            if score >= encoder.threshold(lang):
                results[i] = self._encoder_result(locale, text)
        return results

    def detect_fully(self, text: str, lang: str) -> CrisisResult:
        """`detect`, then, when it did not flag, `second_reading`: what the server ends up doing
        with a message, in one call (a review mark stays when the encoder does not flag)."""
        return self.detect_all([(text, lang)])[0]

    def detect_all(self, messages: Sequence[tuple[str, str]]) -> list[CrisisResult]:
        """`detect_fully` of each (text, lang), with one encoder batch for all of them."""
        results = [self.detect(text, lang) for text, lang in messages]
        again = [i for i, result in enumerate(results) if not result.flagged]
        for i, second in zip(again, self.second_reading([messages[i] for i in again]), strict=True):
            if second.flagged:
                results[i] = second
        return results

    def _encoder_locale(self, lang: str) -> _Locale | None:
        return next((loc for loc in self._locales_for(lang) if loc.lang in self._encoder_langs), None)

    def _encoder_result(self, locale: _Locale, text: str) -> CrisisResult:
        # The category picks the card's text ("you" or "someone else"): the linear model's
        # category weights read the message for it, as for a flag of its own.
        norm, _, _, _, signals = locale.scan(text)
        model = locale.model
        category = (model.category(norm, signals) if model is not None else None) or next(
            (c for c, cues in _MODEL_CATEGORY_CUES if cues & signals), "ideation",
        )
        return CrisisResult(
            flagged=True, severity="medium", categories=(category,), matches=(encoder_id(locale.lang),),
        )

    def features(self, text: str, lang: str) -> list[str]:
        """The model's features of a message, as `detect` computes them (for training)."""
        locale = next(self._locales_for(lang))
        norm, _, _, _, signals = locale.scan(text)
        return features(norm, signals)

    def explain(self, text: str, lang: str) -> tuple[Explanation, ...]:
        """The patterns that held and where they are in the raw text, for a helper's screen."""
        out: list[Explanation] = []
        for locale in self._locales_for(lang):
            norm, hits, exclusions, markers, _ = locale.scan(text)
            tokens = locale.normalise.tokens(text)
            for start, end, index in locale.kept(norm, hits, exclusions, markers):
                first = norm.count(" ", 0, start + 1) - 1
                last = norm.count(" ", 0, end + 1) - 1
                if 0 <= first <= last < len(tokens):
                    out.append(Explanation(locale.patterns[index].id, tokens[first].start, tokens[last].end))
        return tuple(out)


def parse_shipped(data: Mapping[str, Any]) -> Shipped:
    """Patterns and lexicons from the parsed data file (see crisis_patterns.toml for its shape)."""
    patterns: list[Pattern] = []
    rules: list[Rule] = []
    lexicons: dict[str, Lexicon] = {}
    for lang in LANGS:
        section = data.get(lang, {})
        for raw in section.get("rules", []):
            rules.append(Rule(
                id=raw["id"], locale=lang, when=tuple(raw["when"]), category=raw["category"],
                severity=raw["severity"], enabled=raw.get("enabled", True), unless=tuple(raw.get("unless", ())),
            ))
        for raw in section.get("patterns", []):
            patterns.append(Pattern(
                id=raw["id"], locale=lang, phrase=raw["phrase"], category=raw["category"],
                severity=raw["severity"], enabled=raw.get("enabled", True), unless=tuple(raw.get("unless", ())),
                needs=tuple(raw.get("needs", ())),
            ))
        guards = section.get("guards", {})
        lexicons[lang] = Lexicon(
            exclusions=tuple(section.get("exclusions", ())),
            markers={kind: tuple(phrases) for kind, phrases in section.get("markers", {}).items()},
            not_mine=frozenset(guards.get("not_mine", ())),
            first_person=frozenset(guards.get("first_person", ())),
            not_after=frozenset(guards.get("not_after", ())),
        )
    ids = [p.id for p in patterns] + [r.id for r in rules]
    if len(ids) != len(set(ids)):
        raise ValueError("crisis patterns: duplicate ids")
    for rule in rules:
        known = lexicons[rule.locale].markers
        unknown = {kind for entry in rule.when for kind in entry.split("+") if kind not in known}
        if unknown:
            raise ValueError(f"rule {rule.id}: no markers of kind {sorted(unknown)}")
    return Shipped(tuple(patterns), lexicons, tuple(rules))


def model_id(lang: str) -> str:
    """The id an admin disables a language's model by, and that a flag from it reports."""
    return f"{lang}.model"


def encoder_id(lang: str) -> str:
    """The id an admin switches off the encoder's reading of a language by, and that a flag
    from it reports."""
    return f"{lang}.encoder"


def review_id(lang: str) -> str:
    """The id an admin switches off a language's review tier by (see `CrisisResult.review`)."""
    return f"{lang}.review"


@cache
def _shipped_detector() -> CrisisDetector:
    return CrisisDetector.with_overrides()


@cache
def load_shipped() -> Shipped:
    """Read the shipped data file (the only I/O of crisis detection; done once per process)."""
    text = resources.files("moderation").joinpath("data", "crisis_patterns.toml").read_text(encoding="utf-8")
    return parse_shipped(tomllib.loads(text))
