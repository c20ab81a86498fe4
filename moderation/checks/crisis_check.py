"""The crisis detector as a pipeline check: a flagged message is a FLAG with priority 3.

Reasons: "crisis: <category>" for each category, and nothing else: the severity is in the
result, which the crisis alert carries, and the hub tells a crisis reason by its prefix.

A message the detector marks ``review`` (not flagged; the model scored it just below its
threshold) is a plain FLAG with priority 2 and the reason "possible distress": a queue item for
the helpers of the room to read, with no card for the writer, no crisis alert and no escalation.
A person reads where the model is unsure; a card the writer would find out of place is not sent.

Detection stays in `moderation.crisis` (pure: text in, categories out); this adapter only
turns a result into a verdict. The verdict never holds or rejects: the message is published,
and the hub sends the pointer to the writer and an alert to the helpers on duty (protocol §7).
Everyone is checked, helpers too: a helper in distress deserves the pointer as much.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from moderation.crisis import CrisisDetector
from moderation.verdict import Action, Verdict

if TYPE_CHECKING:
    from moderation.pipeline import Candidate

__all__ = ["CRISIS_CHECK", "REVIEW_REASON", "CrisisCheck"]

# The check's name: the pipeline never lets another check refuse a message this check spoke of.
CRISIS_CHECK = "crisis"
REVIEW_REASON = "possible distress"
_REVIEW = Verdict(Action.FLAG, CRISIS_CHECK, (REVIEW_REASON,), priority=2)


class CrisisCheck:
    __slots__ = ("_detect", "_reasons", "name")

    def __init__(self, detector: CrisisDetector) -> None:
        self.name = CRISIS_CHECK
        self._detect = detector.detect
        # Reasons by category tuple; there are few combinations, built once each.
        self._reasons: dict[tuple[str, ...], tuple[str, ...]] = {}

    def __call__(self, c: Candidate) -> Verdict | None:
        result = self._detect(c.text, c.lang)
        if not result.flagged:
            return _REVIEW if result.review else None
        reasons = self._reasons.get(result.categories)
        if reasons is None:
            reasons = self._reasons[result.categories] = tuple(f"crisis: {cat}" for cat in result.categories)
        return Verdict(Action.FLAG, self.name, reasons, code="crisis", priority=3, crisis=result)
