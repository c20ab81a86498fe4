"""A linear model over words and cue kinds, for crises that neither a phrase nor a rule holds.

Patterns and rules read what someone says in words we listed; people in crisis often say it in
others ("je compte les jours, mais pas dans le bon sens"). The model weighs every word, pair of
words and kind of cue of the normalised message (the same normalisation and cue lists as the
rest of the detector) and flags the message when their sum passes a threshold. It is trained
offline on the development sets by ``scripts/train_crisis_model.py`` (scikit-learn's logistic
regression; it is needed for training only) and shipped as weights in
``moderation/data/crisis_model.json``; reading a message is a few dozen dictionary lookups.

Pure: text features in, a score out. The detector decides when to ask it (only when no phrase
and no rule held) and what a flag from it means (see `moderation.crisis`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from itertools import pairwise, repeat
from typing import Any

import ahocorasick

__all__ = ["CategoryWeights", "LinearModel", "features", "load_shipped_models", "parse_models"]


def features(norm: str, kinds: Iterable[str]) -> list[str]:
    """The features of a normalised message: its words, its pairs of neighbouring words, the cue
    kinds seen in it and every pair of those kinds (a linear model cannot combine them itself)."""
    words = norm.split()
    out = [f"w:{w}" for w in words]
    out += [f"b:{a} {b}" for a, b in pairwise(words)]
    seen = sorted(set(kinds))
    out += [f"k:{k}" for k in seen]
    out += [f"kk:{a}+{b}" for i, a in enumerate(seen) for b in seen[i + 1:]]
    return out


@dataclass(frozen=True, slots=True)
class CategoryWeights:
    """One crisis category's weights over the same features; read only through the model that
    holds them, which merges them all for one pass (see `LinearModel.category`)."""

    bias: float
    weights: Mapping[str, float]

    def score(self, feats: Iterable[str]) -> float:
        get = self.weights.get
        return self.bias + sum(get(f, 0.0) for f in set(feats))


@dataclass(frozen=True, slots=True)
class LinearModel:
    """Weights of one language's model: a message is flagged when its score reaches ``threshold``.
    ``threshold`` is a log-odds value chosen in training for a low false-positive rate.
    ``review_threshold`` (lower; None: no such tier) marks a message a person should read even
    though it is not flagged: where the model is unsure, a helper's eyes and not a card."""

    lang: str
    bias: float
    threshold: float
    weights: Mapping[str, float]
    review_threshold: float | None = None
    # Per crisis category, a model of the same features whose highest score names the category of
    # a flag from this model (it picks the card's text: "you" or "someone else"); none: no guess.
    categories: Mapping[str, CategoryWeights] = field(default_factory=dict)
    # The same weights split by kind of feature, so that reading a message builds no feature
    # names for its words: see `score_message`.
    _words: dict[str, float] = field(init=False, repr=False, compare=False)
    _pairs: Any = field(init=False, repr=False, compare=False)
    _pair_weights: list[float] = field(init=False, repr=False, compare=False)
    # The category models merged: per feature, the tuple of its weights in each category, so that
    # one pass over the message scores them all (five passes cost 40 µs, one about 8), and no
    # category needs lookup tables of its own (they took 37 MiB per process).
    _names: tuple[str, ...] = field(init=False, repr=False, compare=False)
    _row_kinds: dict[str, tuple[float, ...]] = field(init=False, repr=False, compare=False)
    _row_words: dict[str, tuple[float, ...]] = field(init=False, repr=False, compare=False)
    _row_pairs: Any = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_words", {k[2:]: v for k, v in self.weights.items() if k.startswith("w:")})
        # Pairs of words through an automaton: only the pairs that have a weight cost anything,
        # where building every pair of the message would cost a string each.
        # Its values are indexes into `_pair_weights`: a set of small ints is the cheapest way to
        # count a pair once however often it occurs.
        pairs = ahocorasick.Automaton()
        pair_weights: list[float] = []
        for name, weight in self.weights.items():
            if name.startswith("b:"):
                pairs.add_word(f" {name[2:]} ", len(pair_weights))
                pair_weights.append(weight)
        if len(pairs):
            pairs.make_automaton()
        object.__setattr__(self, "_pairs", pairs if len(pairs) else None)
        object.__setattr__(self, "_pair_weights", pair_weights)
        names = tuple(self.categories)
        rows: dict[str, list[float]] = {}
        for column, name in enumerate(names):
            for feature, weight in self.categories[name].weights.items():
                rows.setdefault(feature, [0.0] * len(names))[column] = weight
        row_pairs = ahocorasick.Automaton()
        for feature, row in rows.items():
            if feature.startswith("b:"):
                row_pairs.add_word(f" {feature[2:]} ", (feature, tuple(row)))
        if len(row_pairs):
            row_pairs.make_automaton()
        object.__setattr__(self, "_names", names)
        object.__setattr__(self, "_row_kinds", {f: tuple(row) for f, row in rows.items() if f[:2] in ("k:", "kk")})
        object.__setattr__(self, "_row_words", {f[2:]: tuple(row) for f, row in rows.items() if f.startswith("w:")})
        object.__setattr__(self, "_row_pairs", row_pairs if len(row_pairs) else None)

    def score(self, feats: Iterable[str]) -> float:
        get = self.weights.get
        # A feature counts once, as in training (binary features).
        return self.bias + sum(get(f, 0.0) for f in set(feats))

    def score_message(self, norm: str, kinds: Iterable[str]) -> float:
        """`score(features(norm, kinds))`, computed without building the feature names: the
        lookups run in C (`map`), which keeps the model to a few microseconds per message."""
        total = self.bias + sum(map(self._words.get, set(norm.split()), repeat(0.0)))
        if self._pairs is not None:
            padded = norm if norm.startswith(" ") and norm.endswith(" ") else f" {norm} "
            total += sum(map(self._pair_weights.__getitem__, {index for _, index in self._pairs.iter(padded)}))
        seen = sorted(set(kinds))
        if seen:
            get = self.weights.get
            total += sum(get(f"k:{k}", 0.0) for k in seen)
            total += sum(get(f"kk:{a}+{b}", 0.0) for i, a in enumerate(seen) for b in seen[i + 1:])
        return total

    def flags(self, norm: str, kinds: Iterable[str]) -> bool:
        return self.score_message(norm, kinds) >= self.threshold

    def for_review(self, score: float) -> bool:
        """A score below the flag threshold that a person should still read."""
        return self.review_threshold is not None and self.review_threshold <= score < self.threshold

    def category(self, norm: str, kinds: Iterable[str]) -> str | None:
        """The category whose model scores the message highest, or None without category models."""
        if not self.categories:
            return None
        get = self._row_kinds.get
        # A feature counts once, as in `score`: words through a set, pairs through a dict.
        found = [row for row in map(self._row_words.get, set(norm.split())) if row is not None]
        if self._row_pairs is not None:
            padded = norm if norm.startswith(" ") and norm.endswith(" ") else f" {norm} "
            found += dict(hit for _, hit in self._row_pairs.iter(padded)).values()
        seen = sorted(set(kinds))
        names = [f"k:{k}" for k in seen] + [f"kk:{a}+{b}" for i, a in enumerate(seen) for b in seen[i + 1:]]
        found += [row for row in map(get, names) if row is not None]
        totals = [self.categories[name].bias for name in self._names]
        for column, weights in enumerate(zip(*found, strict=True)):
            totals[column] += sum(weights)
        return self._names[max(range(len(totals)), key=totals.__getitem__)]


def parse_models(data: Mapping[str, Any]) -> dict[str, LinearModel]:
    """The per-language models of the parsed data file."""
    models = {}
    for lang, raw in data.get("models", {}).items():
        categories = {
            str(name): CategoryWeights(
                bias=float(part["bias"]), weights={str(k): float(v) for k, v in part["weights"].items()},
            )
            for name, part in raw.get("categories", {}).items()
        }
        models[lang] = LinearModel(
            lang=lang, bias=float(raw["bias"]), threshold=float(raw["threshold"]),
            weights={str(k): float(v) for k, v in raw["weights"].items()}, categories=categories,
            review_threshold=float(raw["review_threshold"]) if raw.get("review_threshold") is not None else None,
        )
    return models


@cache
def load_shipped_models() -> dict[str, LinearModel]:
    """Read the shipped weights (once per process); an absent file means no model."""
    path = resources.files("moderation").joinpath("data", "crisis_model.json")
    if not path.is_file():
        return {}
    return parse_models(json.loads(path.read_text(encoding="utf-8")))
