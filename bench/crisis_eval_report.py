"""Print the Markdown table of docs/crisis.md: recall and false-positive rate per category on the
two development sets and on the one held-out set the model has not learned on, as the detector
stands now (each held-out set's first, blind run is history kept in docs/crisis.md). A second
table counts a message as seen when it is flagged *or* sent to a helper for review (the review
tier: no card, a priority-2 item). Run: ``python bench/crisis_eval_report.py``."""

from __future__ import annotations

import json
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from moderation.crisis import CrisisDetector  # noqa: E402  (after the path is set)

SETS = {
    "development": "crisis_eval.jsonl",
    "indirect (dev.)": "crisis_dev_indirect.jsonl",
    "held out no. 11 (not trained on)": "crisis_holdout_11.jsonl",
}
CRISIS = ("ideation", "plan", "self_harm", "farewell", "concern_other")


def main() -> None:
    detector = CrisisDetector.shipped()
    print("Flagged (the card and the crisis alert):\n")
    table(detector, with_review=False)
    print("\nFlagged or sent to a helper for review:\n")
    table(detector, with_review=True)


def table(detector: CrisisDetector, with_review: bool) -> None:
    counts: dict[str, dict[str, list[int]]] = {}
    for label, name in SETS.items():
        table: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        for line in (ROOT / "tests/moderation" / name).read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            result = detector.detect(row["text"], row["lang"])
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
