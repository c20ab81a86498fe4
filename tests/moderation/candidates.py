"""Picking test examples from candidate messages by what the shipped detector does with them.

Which exact messages a trained model places where changes with each training, so the tests list
a few candidates and take the first that still behave as wanted.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence


def pick(candidates: Sequence[str], count: int, keep: Callable[[str], bool], what: str) -> list[str]:
    """The first `count` candidates `keep` accepts; an error naming `what` when too few do."""
    found = [text for text in candidates if keep(text)]
    if len(found) < count:
        raise AssertionError(f"fewer than {count} candidates {what}: add some that are")
    return found[:count]
