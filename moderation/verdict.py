"""The one verdict type every check of the pipeline returns.

A check says nothing (``None``) or returns a `Verdict`: an `Action`, the reasons a helper reads,
a machine ``code`` for the writer's private notice (`moderation.notices`) and a queue
``priority``. Checks never return booleans, strings or tuples: one type from day one, so the
pipeline never needs an isinstance ladder to read them.

Reasons are short English phrases for helpers and metrics ("phone number", "abusive: slur",
"crisis: ideation"); they never quote the message, which the queue item carries on its own.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from moderation.crisis import CrisisResult

__all__ = ["Action", "Verdict"]


class Action(enum.IntEnum):
    """What happens to a message, ordered by severity so that ``max`` picks the strongest."""

    ALLOW = 0   # published, nothing to say
    FLAG = 1    # published, and a queue item lets a helper look at it
    HOLD = 2    # not published until a helper approves it; the writer is told why, privately
    REJECT = 3  # never published; the writer is told why, privately


@dataclass(frozen=True, slots=True)
class Verdict:
    """What one check (or the pipeline as a whole) decided about one message.

    ``priority`` is the queue priority of the item a FLAG or HOLD opens (0..3, protocol §8);
    3 is reserved for crisis. ``crisis`` carries the detector's result when the crisis check
    spoke: such a verdict is always a FLAG, because a person is never silenced for speaking of
    distress (protocol §7).
    """

    action: Action
    check: str
    reasons: tuple[str, ...]
    code: str | None = None
    priority: int = 1
    crisis: CrisisResult | None = None

    def __post_init__(self) -> None:
        # Verdicts are made only when a check has something to say, so these tests cost
        # nothing on the common path; they turn a misbuilt check into an error at once.
        if not 0 <= self.priority <= 3:
            raise ValueError(f"{self.check}: priority {self.priority} is outside 0..3")
        if self.crisis is not None and self.action is not Action.FLAG:
            raise ValueError(f"{self.check}: a crisis verdict must be FLAG, not {self.action.name}")
