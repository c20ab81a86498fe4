"""The core of ``entraide crisis check``: JSON lines in, one JSON result line per input line.

Each input line is ``{"text": ..., "lang": ...}``; each output line is the detector's result,
``{"flagged": bool, "severity": ..., "categories": [...], "matches": [...], "review": bool}``
(``review``: not flagged, but a helper should read it; see `moderation.crisis.CrisisResult`), or
``{"error": "bad_line", "line": N}`` (N counts from 1) for a line that is not such an object, so
that one bad line in a batch does not stop the rest. Blank lines are skipped. Both readings
run (`CrisisDetector.detect_fully`): the fast one and, for what it does not flag, the
encoder's. The caller builds the detector with the live configuration
(`CrisisDetector.with_overrides`) and does the I/O.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator

from moderation.crisis import CrisisDetector

__all__ = ["run_check"]


def run_check(lines: Iterable[str], detector: CrisisDetector) -> Iterator[str]:
    """Yield one JSON result line (without newline) per non-blank input line."""
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except ValueError:
            item = None
        if not (isinstance(item, dict) and isinstance(item.get("text"), str) and isinstance(item.get("lang"), str)):
            yield json.dumps({"error": "bad_line", "line": number})
            continue
        result = detector.detect_fully(item["text"], item["lang"])
        yield json.dumps(result.to_json(), ensure_ascii=False)
