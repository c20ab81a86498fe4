"""The check pipeline run on every message before it is published. Pure, no I/O.

`Pipeline(checks).run(candidate)` calls each check in order and returns an `Outcome`:

* the final verdict is the most severe one; its ``code`` and ``check`` come from the first check
  that reached that severity (the one the writer is told about), while its ``reasons`` gather
  those of every check that spoke and its ``priority`` is the highest, so a helper sees
  everything at once;
* a REJECT stops the chain: nothing after it could change the message's fate;
* a crisis verdict is a FLAG and never blocks. The crisis check runs first (see
  `default_pipeline`), so its result is in the outcome whatever comes after. When another
  check holds the message, the outcome is HOLD and still carries the crisis result: the hub
  sends the pointer and alerts the helpers whatever the final action. When another check
  *rejects* a message the crisis check flagged, or sent for review (a possible distress just
  below the alert threshold), the outcome is softened to HOLD: nobody speaking of distress meets
  a refusal; at worst a helper reads the message first;
* each check is timed with `time.perf_counter_ns` (two clock reads per check, about 0.1 µs);
* a check that raises is logged (without the text) and skipped: a bug in one check must not
  stop a room from talking. `Outcome.failed` names it, for metrics.

Checks do their setup once, when built, and are then cheap per message (STYLE §10).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from moderation.checks import build_checks
from moderation.checks.crisis_check import CRISIS_CHECK
from moderation.crisis import CrisisDetector, CrisisResult
from moderation.pipeline_config import PipelineConfig
from moderation.verdict import Action, Verdict

__all__ = ["ALLOWED", "Candidate", "Check", "Outcome", "Pipeline", "default_pipeline", "merge"]

_log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Candidate:
    """A message about to be published, with what the checks need to judge it.

    ``recent`` holds the same session's latest texts in the same room, newest last, for the
    repetition check; the hub decides how many and how old (five, from the last few minutes,
    is plenty). ``link_policy`` is the room's: "allow", "hold" or "reject"
    (`PipelineConfig.link_policy_for`).
    """

    text: str
    lang: str
    room: str
    session_id: str
    role: str
    link_policy: str
    recent: tuple[str, ...]
    now: float


class Check(Protocol):
    """One small check: set up once, then called per message; ``None`` means nothing to say."""

    @property
    def name(self) -> str: ...

    def __call__(self, c: Candidate, /) -> Verdict | None: ...


@dataclass(frozen=True, slots=True)
class Outcome:
    """The pipeline's decision about one message and how it was reached.

    ``verdicts`` are every non-ALLOW verdict, in check order. ``timings_ns`` has one entry per
    check that ran, in the order of ``checks`` (the pipeline's check names: a REJECT leaves
    the later ones out).
    """

    verdict: Verdict
    verdicts: tuple[Verdict, ...]
    checks: tuple[str, ...]
    timings_ns: tuple[int, ...]
    failed: tuple[str, ...] = ()

    @property
    def action(self) -> Action:
        return self.verdict.action

    @property
    def crisis(self) -> CrisisResult | None:
        """The crisis detector's result when it flagged the message, whatever the final action:
        the hub sends the pointer and alerts the helpers when this is not None."""
        return _crisis_of(self.verdicts)

    @property
    def total_ns(self) -> int:
        return sum(self.timings_ns)

    def timings(self) -> dict[str, int]:
        """Nanoseconds spent in each check that ran, by check name."""
        return dict(zip(self.checks, self.timings_ns, strict=False))


ALLOWED = Verdict(Action.ALLOW, "pipeline", ())


def merge(verdicts: Sequence[Verdict]) -> Verdict:
    """The final verdict of non-ALLOW `verdicts` (at least one), as the module describes it.

    It carries the crisis result only when it is itself a FLAG (`Verdict` allows no other);
    when another check holds the message, `Outcome.crisis` still has the result.
    """
    decisive = max(verdicts, key=_severity)  # max keeps the first of equals
    crisis = _crisis_of(verdicts)
    action = decisive.action
    if action is Action.REJECT and any(v.check == CRISIS_CHECK for v in verdicts):
        action = Action.HOLD
    if len(verdicts) == 1:
        return decisive
    return Verdict(
        action, decisive.check, tuple(dict.fromkeys(r for v in verdicts for r in v.reasons)),
        code=decisive.code, priority=max(v.priority for v in verdicts),
        crisis=crisis if action is Action.FLAG else None,
    )


def _severity(v: Verdict) -> Action:
    return v.action


def _crisis_of(verdicts: Sequence[Verdict]) -> CrisisResult | None:
    return next((v.crisis for v in verdicts if v.crisis is not None), None)


class Pipeline:
    """Runs its checks in order on each candidate; build once, share between rooms."""

    __slots__ = ("_checks", "names")

    def __init__(self, checks: Sequence[Check]) -> None:
        names = tuple(check.name for check in checks)
        if len(set(names)) != len(names):
            raise ValueError(f"check names must be unique: {names}")
        self._checks = tuple(checks)
        self.names = names

    def run(self, c: Candidate) -> Outcome:
        clock = time.perf_counter_ns
        found: list[Verdict] = []
        timings: list[int] = []
        failed: list[str] = []
        before = clock()
        for check in self._checks:
            try:
                verdict = check(c)
            except Exception:  # noqa: BLE001 - a bug in one check must not stop the room
                # Fail open: the text is not logged (privacy), only which check broke.
                _log.exception("moderation check failed", extra={"check": check.name, "room": c.room})
                failed.append(check.name)
                verdict = None
            after = clock()
            timings.append(after - before)
            before = after
            if verdict is not None and verdict.action:
                found.append(verdict)
                if verdict.action is Action.REJECT:
                    break
        final = merge(found) if found else ALLOWED
        return Outcome(final, tuple(found), self.names, tuple(timings), tuple(failed))


def default_pipeline(detector: CrisisDetector | None, config: PipelineConfig) -> Pipeline:
    """The shipped checks, in order: crisis, personal data, links, abusive language, repetition.

    Crisis comes first so that no rejection can stop it from being seen. ``detector`` None (or
    "crisis" missing from ``config.checks``) leaves the crisis check out.
    """
    return Pipeline(build_checks(detector, config))
