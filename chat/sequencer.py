"""One room's live stream put back in id order, with no duplicate: pure, no I/O.

Ids come from the room's counter in the database, bumped in the insert's transaction, so
they are dense and commit in order. Processes publish after their commit, so two
processes writing one room can still publish 8 before 7, and a Redis outage loses what
was published meanwhile. The hub pushes every message it hears here; what comes out is
in id order. When a frame is missing, `wanted()` names the range to read back from the
database (where every acknowledged message is), and `fill()` settles it: what the
database does not have any more (erased, purged) is skipped, never waited for.
"""

from __future__ import annotations

__all__ = ["Sequencer"]

Frame = tuple[int, str]


class Sequencer:
    __slots__ = ("_held", "last")

    def __init__(self) -> None:
        #: The highest id let out; None until `start()` gives the baseline.
        self.last: int | None = None
        self._held: dict[int, str] = {}

    def start(self, baseline: int) -> list[Frame]:
        """The room's counter when the subscription took: older ids are in any history read now."""
        self.last = baseline
        return self._release()

    def push(self, seq: int, text: str) -> list[Frame]:
        """A frame heard on the channel; returns what may go out now, in order."""
        if self.last is not None and seq <= self.last:
            return []  # already out: a duplicate, or a late copy of a filled one
        self._held[seq] = text
        return self._release()

    def wanted(self) -> tuple[int, int] | None:
        """(after, upto): ids in between are missing while later ones wait; None when nothing does."""
        if self.last is None or not self._held:
            return None
        return self.last, min(self._held) - 1

    def fill(self, found: list[Frame], upto: int | None) -> list[Frame]:
        """Settle the ids after `last` up to `upto` (all of the database's when None) with `found`."""
        if self.last is None:
            return []
        for seq, text in found:
            if seq > self.last:
                self._held.setdefault(seq, text)
        ceiling = max((seq for seq, _ in found), default=self.last) if upto is None else upto
        out = [(seq, self._held.pop(seq)) for seq in sorted(s for s in self._held if s <= ceiling)]
        self.last = max(self.last, ceiling)
        return out + self._release()

    def _release(self) -> list[Frame]:
        if self.last is None:
            return []
        out: list[Frame] = []
        for seq in [s for s in self._held if s <= self.last]:
            del self._held[seq]
        while (nxt := self.last + 1) in self._held:
            out.append((nxt, self._held.pop(nxt)))
            self.last = nxt
        return out
