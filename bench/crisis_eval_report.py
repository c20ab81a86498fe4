"""Print the Markdown table of docs/crisis.md: recall and false-positive rate per category on the
two development sets and on the held-out sets no model has learned on, as the detector stands now
(each held-out set's first, blind run is history kept in docs/crisis.md). Both readings count, as
in the server: the fast one and the encoder's (`CrisisDetector.detect_all`); a first table gives
the fast reading alone, for comparison. A last table counts a message as seen when it is flagged
*or* sent to a helper for review (the review tier: no card, a priority-2 item).
Run: ``python bench/crisis_eval_report.py``."""

from __future__ import annotations

import json
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from moderation.crisis import CrisisDetector  # noqa: E402  (after the path is set)
from scripts.crisis_sets import UNSEEN  # noqa: E402

HELD_OUT = [name for name in UNSEEN if name.startswith("crisis_holdout_")]
SETS = {
    "development": "crisis_eval.jsonl",
    "indirect (dev.)": "crisis_dev_indirect.jsonl",
    **{f"held out no. {name.removeprefix('crisis_holdout_').removesuffix('.jsonl')} (not trained on)": name
       for name in HELD_OUT},
}
CRISIS = ("ideation", "plan", "self_harm", "farewell", "concern_other")


def main() -> None:
    detector = CrisisDetector.shipped()
    print("Flagged by the fast reading alone (phrases, rules, linear model):\n")
    table(detector, with_review=False, fully=False)
    print("\nFlagged, both readings (the card and the crisis alert):\n")
    table(detector, with_review=False, fully=True)
    print("\nFlagged or sent to a helper for review, both readings:\n")
    table(detector, with_review=True, fully=True)


def table(detector: CrisisDetector, with_review: bool, fully: bool) -> None:
    counts: dict[str, dict[str, list[int]]] = {}
    for label, name in SETS.items():
        table: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        rows = [json.loads(line) for line in (ROOT / "tests/moderation" / name).read_text("utf-8").splitlines()]
        messages = [(row["text"], row["lang"]) for row in rows]
        results = detector.detect_all(messages) if fully else [detector.detect(*m) for m in messages]
        for row, result in zip(rows, results, strict=True):
            flagged = int(result.flagged or (with_review and result.review))
            keys = [row["category"], "all crisis" if row["crisis"] else "all other"]
            if row["crisis"] and row["severity"] == "high":
                keys.append("high severity")
            for key in keys:
                table[key][0] += 1
                table[key][1] += flagged
        counts[label] = table
    labels = list(SETS)
    print("| category | measure | " + " | ".join(labels) + " |")
    print("|---|---|" + "---|" * len(labels))
    order = [*CRISIS, "high severity", "all crisis"]
    order += [*sorted({k for t in counts.values() for k in t} - {*order, "all other"}), "all other"]
    for key in order:
        is_crisis = key in CRISIS or key in ("high severity", "all crisis")
        cells = []
        for label in labels:
            n, hits = counts[label].get(key, [0, 0])
            share = hits / n if n else 0.0
            cells.append(f"{share:.3f} ({hits}/{n})" if n else "—")
        print(f"| {key} | {'recall' if is_crisis else 'false positives'} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
