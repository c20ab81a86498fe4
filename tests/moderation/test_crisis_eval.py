"""The detector against the targets, on the development set and on the held-out set.

Targets: recall >= 0.95 on crisis messages and >= 0.99 on high-severity ones; false-positive rate
<= 0.05 on messages that are not a crisis. `crisis_eval.jsonl` is the development set the patterns
are tuned on. `crisis_holdout.jsonl` was written and committed before it was ever run; its first
run is the estimate for unseen messages (recall 0.904, high severity 0.864, false positives 0.019:
the targets did not hold), after which the classes of message it revealed were covered with new
development messages. It is now a regression check, no longer an unseen sample; docs/crisis.md
tells the whole history. Do not tune patterns on its messages. Its high-severity target was an
expected failure until plans told in ordinary words ("je vais le faire" beside a means, a goodbye
or a final word) were covered from new development messages.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import pytest

from moderation.crisis import CrisisDetector

HERE = Path(__file__).parent
SETS = ("crisis_eval.jsonl", "crisis_holdout.jsonl")
RECALL, HIGH_RECALL, MAX_FP = 0.95, 0.99, 0.05


@dataclass
class Figures:
    crisis: int = 0
    crisis_found: int = 0
    high: int = 0
    high_found: int = 0
    calm: int = 0
    calm_flagged: int = 0

    @property
    def recall(self) -> float:
        return self.crisis_found / self.crisis

    @property
    def high_recall(self) -> float:
        return self.high_found / self.high

    @property
    def fp_rate(self) -> float:
        return self.calm_flagged / self.calm


def evaluate(name: str, detector: CrisisDetector) -> tuple[Figures, str]:
    """Overall figures, and a per-category table with the misses to print on failure."""
    overall = Figures()
    by_category: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    wrong: list[str] = []
    for line in (HERE / name).read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        flagged = detector.detect(row["text"], row["lang"]).flagged
        by_category[row["category"]][0] += 1
        by_category[row["category"]][1] += flagged
        if row["crisis"]:
            overall.crisis += 1
            overall.crisis_found += flagged
            if row["severity"] == "high":
                overall.high += 1
                overall.high_found += flagged
        else:
            overall.calm += 1
            overall.calm_flagged += flagged
        if flagged != row["crisis"]:
            wrong.append(f"  {'missed' if row['crisis'] else 'false positive'}: {row['text']!r} ({row['lang']})")
    table = [f"{name}: category, messages, flagged"]
    table += [f"  {category}: {n}, {hits}" for category, (n, hits) in sorted(by_category.items())]
    return overall, "\n".join(table + wrong)


@pytest.fixture(scope="module")
def results() -> dict[str, tuple[Figures, str]]:
    detector = CrisisDetector.shipped()
    return {name: evaluate(name, detector) for name in SETS}


def test_the_sets_are_big_enough_and_in_both_languages():
    rows = [json.loads(line) for name in SETS for line in (HERE / name).read_text(encoding="utf-8").splitlines()]
    evaluation = [json.loads(line) for line in (HERE / SETS[0]).read_text(encoding="utf-8").splitlines()]
    holdout = [json.loads(line) for line in (HERE / SETS[1]).read_text(encoding="utf-8").splitlines()]
    assert len(evaluation) >= 400 and len(holdout) >= 120
    assert sum(r["lang"] == "fr" for r in evaluation) >= 200 and sum(r["lang"] == "en" for r in evaluation) >= 150
    kinds = {r["category"] for r in rows if not r["crisis"]}
    assert kinds == {"idiom", "hyperbole", "media", "prevention", "recovery", "sadness", "medication", "everyday"}
    crisis = {"ideation", "plan", "self_harm", "farewell", "concern_other"}
    assert {r["category"] for r in rows if r["crisis"]} == crisis


@pytest.mark.parametrize("name", SETS)
def test_recall_on_crisis_messages(results, name):
    figures, table = results[name]
    assert figures.recall >= RECALL, f"recall {figures.recall:.3f}\n{table}"


@pytest.mark.parametrize("name", SETS)
def test_recall_on_high_severity_messages(results, name):
    figures, table = results[name]
    assert figures.high_recall >= HIGH_RECALL, f"high-severity recall {figures.high_recall:.3f}\n{table}"


@pytest.mark.parametrize("name", SETS)
def test_false_positive_rate_on_other_messages(results, name):
    figures, table = results[name]
    assert figures.fp_rate <= MAX_FP, f"false-positive rate {figures.fp_rate:.3f}\n{table}"
