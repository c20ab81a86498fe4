"""Who is in each room, over every process: local counts in, shared figures out.

The hub says when a session's connections of this process enter and leave a room; the
shared state (memory, or Redis with expiring entries) adds up every process. Figures are
read back once per interval for the rooms with local members, and a `presence` frame goes
to the local members of a room only when its figures changed: at most one a second.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from chat.state import SharedState

__all__ = ["Presence"]

Figures = tuple[int, int]


class Presence:
    def __init__(self, state: SharedState) -> None:
        self._state = state
        self._local: dict[str, Counter[str]] = {}  # room -> session -> its connections here
        self._figures: dict[str, Figures] = {}
        self._sent: dict[str, Figures] = {}

    def here(self, room: str, session_id: str) -> bool:
        return session_id in self._local.get(room, ())

    async def enter(self, room: str, session_id: str) -> None:
        counter = self._local.setdefault(room, Counter())
        counter[session_id] += 1
        if counter[session_id] == 1:
            await self._state.present(room, session_id)

    async def exit(self, room: str, session_id: str) -> None:
        counter = self._local.get(room)
        if counter is None or session_id not in counter:
            return
        counter[session_id] -= 1
        if counter[session_id] <= 0:
            del counter[session_id]
            if not counter:
                del self._local[room]
            await self._state.absent(room, session_id)

    def figures(self, room: str) -> Figures:
        """The last figures read: (sessions present, helpers on duty)."""
        return self._figures.get(room, (0, 0))

    async def read(self, rooms: Iterable[str]) -> dict[str, Figures]:
        figures = await self._state.counts(rooms)
        self._figures.update(figures)
        return figures

    async def changes(self, rooms: Iterable[str]) -> dict[str, Figures]:
        """Read the figures of `rooms`; those that differ from what their members last got."""
        rooms = list(rooms)
        for room in [r for r in self._sent if r not in rooms]:
            del self._sent[room]  # nobody here any more: the next member starts afresh
        figures = await self.read(rooms)
        changed = {room: f for room, f in figures.items() if self._sent.get(room) != f}
        self._sent.update(changed)
        for room in [r for r in self._figures if r not in rooms]:
            del self._figures[room]
        return changed

    def mark_sent(self, room: str, figures: Figures) -> None:
        self._sent[room] = figures
