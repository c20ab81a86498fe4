"""The detector against the targets, on the development set and on the held-out sets.

Targets: recall >= 0.95 on crisis messages and >= 0.99 on high-severity ones; false-positive rate
<= 0.05 on messages that are not a crisis. `crisis_eval.jsonl` is the development set the patterns
are tuned on. Each held-out set was written and committed before it was ever run; its first run is
the estimate for unseen messages, and docs/crisis.md keeps those figures. After a first run they
are regression checks, no longer unseen samples:

* `crisis_holdout.jsonl` (no. 3): first run recall 0.904, high severity 0.864; the kinds of message
  it revealed were covered from new development messages, and its targets now hold.
* `crisis_holdout_4.jsonl`: first run recall 0.333, high severity 0.333, false positives 0.019;
  the kinds it revealed were covered from new development messages; the rules (combinations of
  cues, see moderation.crisis.Rule) then brought it to 1.000 on both.
* `crisis_holdout_5.jsonl`: first run recall 0.250, high severity 0.245, false positives 0.000.
  Its misses were read to design the rules; it is no longer unseen.
* `crisis_holdout_6.jsonl` (240 messages, written blind by a helper): first run with the phrase
  patterns alone recall 0.350, high severity 0.264, false positives 0.058; first run with the
  first rules 0.575, 0.514, 0.058. Its misses were then read and covered; it is no longer unseen.
* `crisis_dev_indirect.jsonl` (400 messages, mostly indirect crises and hard negatives, written
  for development): recall 0.186 with the phrase patterns alone, before the rules were built on it.
* `crisis_holdout_7.jsonl` (240 messages, written blind, mid-conversation style). First runs:
  phrases and rules recall 0.450, high severity 0.418, false positives 0.067; with the first model
  0.567, 0.478 and 0.075. Its misses were then read to widen the cue lists, and the model learned
  on it; it is no longer unseen.
* `crisis_holdout_8.jsonl` (240 messages, written blind, night-time chat style): first run with
  the model trained on the sets above and on `crisis_train_a/b.jsonl` (1,000 messages written for
  training): recall 0.708, high severity 0.746, false positives 0.058 (phrases alone 0.208, 0.141,
  0.017; phrases and rules 0.400, 0.380, 0.042). Its misses were not read; the model then learned
  on it.
* `crisis_holdout_9.jsonl` (240 messages, written blind, many voices and regions). First run
  (model trained up to set 7 and `crisis_train_a/b`): recall 0.800, high severity 0.767, false
  positives 0.092 (phrases alone 0.250, 0.151, 0.058; phrases and rules 0.517, 0.452, 0.075).
  Second run, the model having learned on set 8 and `crisis_train_c/d/e`: 0.808, 0.753, 0.083.
  Third run, after a normalisation fix: 0.825, 0.767, 0.092. Its misses were never read; the
  model then learned on it, so it is no longer unseen.
* `crisis_holdout_10.jsonl` (240 messages, written blind, voices of the themed rooms: grief,
  addiction, psychosis, eating disorders, farmers, nurses, elders…). First run (model trained up
  to set 8): recall 0.692, high severity 0.676, false positives 0.067 (phrases alone 0.175, 0.203,
  0.025; phrases and rules 0.367, 0.378, 0.050). Second run, the model having learned on set 9 and
  `crisis_train_f/g/h` (1,500 more messages): 0.692, 0.703, 0.058; flagged or sent for review
  (third run, with the review tier) 0.858, 0.865, 0.067. Its misses were never read; the model
  then learned on it.
* `crisis_holdout_11.jsonl` (240 messages, written blind, late evening in themed rooms): the only
  set the model has not learned on. First run (model as for set 10's third run): recall 0.692,
  high severity 0.667, false positives 0.033; flagged or sent for review 0.883, 0.875, 0.050
  (phrases alone 0.233, 0.125, 0.017; phrases and rules 0.383, 0.271, 0.017). Second run, the
  model having learned on set 10: 0.700, 0.667, 0.033; flagged or sent for review 0.908, 0.917,
  0.050 with the review tier at 10 % of calm messages, 0.842, 0.833, 0.033 at 7.5 % (chosen on
  set 12's load, below). One of its missed messages was shown once by a failing test before its
  messages were kept out of failure output; nothing was tuned on it. With the second reading
  (the encoder, which never learned on it): 0.750 / 0.729 / 0.033 with the first encoder, 0.792 /
  0.750 / 0.033 once its head learned faster, 0.808 / 0.833 / 0.033 once it learned on
  `crisis_train_i/j/k/l`.
* `crisis_holdout_13.jsonl` (240 messages, written blind, a weekend afternoon in the rooms). First
  run, both readings: 0.842 / 0.854 / 0.050 (fast reading alone 0.783 / 0.792 / 0.042). Second
  run, after the encoder learned on `crisis_train_i/j/k/l` (and was chosen on sets 11 and 13):
  0.925 / 0.958 / 0.050.
* `crisis_holdout_14.jsonl` (240 messages, written blind, early morning in the rooms). First run,
  the encoder having learned on `crisis_train_i/j/k/l`: 0.800 / 0.837 / 0.042 (fast reading alone
  0.667 / 0.653 / 0.033). Second run, the encoder having learned on `crisis_train_m/n/o/p` too
  (and been chosen on sets 11, 13 and 14): 0.850 / 0.878 / 0.033. Sets 11 and 13 with that
  encoder: 0.792 / 0.792 / 0.033 and 0.892 / 0.938 / 0.050.
* `crisis_holdout_15.jsonl` (240 messages, written blind, weekday lunchtime, some long messages).
  Its first run, with the encoder trained up to set p: 0.867 / 0.942 / 0.083 (fast reading alone
  0.767 / 0.788 / 0.075); second, with the encoder trained again with `crisis_train_q/r`: 0.908 /
  0.942 / 0.083. With that encoder, sets 11, 13 and 14: 0.900 / 0.938 / 0.050, 0.958 / 0.979 /
  0.050, 0.900 / 0.918 / 0.050.
* `crisis_holdout_16.jsonl` (240 messages, written blind, a rainy Sunday evening in the grief and
  addiction rooms) and `crisis_holdout_17.jsonl` (240, a weekday night: depression, bipolar
  disorder, eating disorders, exams, night workers), committed before any run. First runs, the
  encoder trained up to set p: 0.833 / 0.809 / 0.058 and 0.775 / 0.758 / 0.042 (fast reading
  alone 0.708 / 0.676 / 0.058 and 0.658 / 0.636 / 0.033). Second runs, the encoder trained again
  with `crisis_train_q/r` and kept by a rule fixed before the first runs (mean recall on both at
  least a point higher, false positives at most a point higher): 0.858 / 0.897 / 0.058 and
  0.850 / 0.864 / 0.050. Third runs, the encoder trained with `crisis_train_s/t` too (self-harm;
  very short chat messages), which missed that rule (mean recall +0.85 point) and was shipped on
  set 19's (below): 0.883 / 0.926 / 0.058 and 0.842 / 0.833 / 0.050.
* `crisis_holdout_18.jsonl` (240 messages, written blind, a public holiday in the rooms),
  committed before its only run, with today's detector: 0.900 / 0.938 / 0.058 (fast reading
  alone 0.733 / 0.734 / 0.058).
* `crisis_holdout_20.jsonl` (240 messages, written blind, a Monday morning in the rooms, a third of
  them very short), committed before its first run, with today's detector: 0.825 / 0.806 / 0.050
  (fast reading alone 0.708 / 0.694 / 0.050). The same first run with the encoder of sets q and r:
  0.850 / 0.871 / 0.075; with the average of both encoders: 0.825 / 0.823 / 0.075.
* `crisis_holdout_21.jsonl` (240 messages, written blind, a weeknight evening, a third very short,
  a third long) and `crisis_holdout_22.jsonl` (240, a weekend afternoon, regional and personal
  voices), committed before their first run, with today's detector: 0.867 / 0.875 / 0.050 and
  0.892 / 0.923 / 0.058 (fast reading alone 0.750 / 0.734 / 0.033 and 0.758 / 0.723 / 0.050).
  The same first run with an encoder trained with sets u and v too (not shipped, by the rule
  fixed before): 0.817 / 0.812 / 0.033 and 0.808 / 0.785 / 0.050.
* `crisis_holdout_23.jsonl` (240 messages, written blind, the small hours in the night rooms) and
  `crisis_holdout_24.jsonl` (240, a weekday afternoon: parents, young people, eating disorders,
  addiction, chronic pain), committed before their first run, with today's detector: 0.875 /
  0.861 / 0.050 and 0.800 / 0.815 / 0.092 (fast reading alone 0.767 / 0.736 / 0.033 and 0.642 /
  0.631 / 0.033). The same first run with encoders trained with the held-out sets already run
  (A) and with sets u and v too (B), neither shipped by the rule fixed before: 0.867 / 0.847 /
  0.033 and 0.792 / 0.769 / 0.050; 0.883 / 0.861 / 0.033 and 0.808 / 0.815 / 0.075.
* `crisis_holdout_25.jsonl` (240 messages, written blind, a Friday or Saturday night) and
  `crisis_holdout_26.jsonl` (240, a Sunday morning: grief, bipolar disorder, psychosis, anxiety,
  back from hospital, carers), committed before their first run with set 27 (below), with
  today's detector: 0.892 / 0.845 / 0.092 and 0.833 / 0.797 / 0.067. The same first run with
  encoder A calibrated on 2 % of set 12 (C; not shipped by the rule fixed before): 0.925 /
  0.887 / 0.083 and 0.817 / 0.783 / 0.025.

The targets are measured on both readings, as the server does them (`CrisisDetector.detect_all`):
the fast one (phrases, rules, linear model) and the encoder's on what it left.

`crisis_train_*.jsonl` are training data for the model only (scripts/train_crisis_model.py); they
are not checked here. The model is trained on every set above but no. 11, so its figures on them
are not an estimate of anything; the training script prints cross-validated ones. Its threshold
is set for at most 5 % false positives over all of them, hard negatives with the very words of a
crisis included: figures on a single set move each time it is trained again.

Where a target fails, the test is an expected failure with the figures (strict: it fails the day
the target holds, so that the figures here and in docs/crisis.md are brought up to date). Do not
tune patterns on the held-out sets' messages.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from moderation.crisis import CrisisDetector
from scripts import crisis_sets

HERE = Path(__file__).parent
SETS = (
    "crisis_eval.jsonl", "crisis_dev_indirect.jsonl", "crisis_holdout.jsonl", "crisis_holdout_4.jsonl",
    "crisis_holdout_5.jsonl", "crisis_holdout_6.jsonl", "crisis_holdout_7.jsonl", "crisis_holdout_8.jsonl",
    "crisis_holdout_9.jsonl", "crisis_holdout_10.jsonl",
    # Then the unseen held-out sets, listed once in scripts/crisis_sets.py.
    *(name for name in crisis_sets.UNSEEN if name.startswith("crisis_holdout_")),
)
HELD_OUT = SETS[2:]
# The sets no model has learned on: a failure prints their figures, never their messages, so that
# nobody reads them by accident.
UNSEEN = frozenset(crisis_sets.UNSEEN)
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
    rows = read_set(name)
    # Both readings, as the server does them: the fast one, then the encoder's on what it left.
    found = detector.detect_all([(row["text"], row["lang"]) for row in rows])
    for row, result in zip(rows, found, strict=True):
        flagged = result.flagged
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
        if flagged != row["crisis"] and name not in UNSEEN:
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
    assert len(evaluation) >= 400
    for name in HELD_OUT:
        held_out = [json.loads(line) for line in (HERE / name).read_text(encoding="utf-8").splitlines()]
        assert len(held_out) >= 120, name
        assert {r["lang"] for r in held_out} == {"fr", "en"}, name
    assert sum(r["lang"] == "fr" for r in evaluation) >= 200 and sum(r["lang"] == "en" for r in evaluation) >= 150
    kinds = {r["category"] for r in rows if not r["crisis"]}
    assert kinds == {"idiom", "hyperbole", "media", "prevention", "recovery", "sadness", "medication", "everyday"}
    crisis = {"ideation", "plan", "self_harm", "farewell", "concern_other"}
    assert {r["category"] for r in rows if r["crisis"]} == crisis


# Where a set falls short of a target today: (set, measure) -> the figures, as a strict expected
# failure. Update them with docs/crisis.md when the detector or the model changes.
SHORT = {
    ("crisis_holdout_5.jsonl", "high"): "48 of the 49 high-severity messages of set no. 5 are flagged (0.980)",
    ("crisis_holdout_8.jsonl", "high"): "70 of the 71 high-severity messages of set no. 8 are flagged (0.986)",
    ("crisis_holdout_9.jsonl", "fp"): "9 of the 120 other messages of set no. 9 are flagged (0.075)",
    ("crisis_holdout_10.jsonl", "high"): "72 of the 74 high-severity messages of set no. 10 are flagged (0.973)",
    ("crisis_holdout_10.jsonl", "fp"): "8 of the 120 other messages of set no. 10 are flagged (0.067)",
    ("crisis_holdout_11.jsonl", "recall"): "105 of 120 crisis messages of set no. 11, not trained on, flagged (0.875)",
    ("crisis_holdout_11.jsonl", "high"): "44 of 48 high-severity messages of no. 11, not trained on, flagged (0.917)",
    ("crisis_holdout_13.jsonl", "recall"): "112 of 120 crisis messages of set no. 13, not trained on, flagged (0.933)",
    ("crisis_holdout_13.jsonl", "high"): "47 of 48 high-severity messages of no. 13, not trained on, flagged (0.979)",
    ("crisis_holdout_14.jsonl", "recall"): "105 of 120 crisis messages of set no. 14, not trained on, flagged (0.875)",
    ("crisis_holdout_14.jsonl", "high"): "45 of 49 high-severity messages of no. 14, not trained on, flagged (0.918)",
    ("crisis_holdout_15.jsonl", "recall"): "108 of 120 crisis messages of set no. 15, not trained on, flagged (0.900)",
    ("crisis_holdout_15.jsonl", "high"): "49 of 52 high-severity messages of no. 15, not trained on, flagged (0.942)",
    ("crisis_holdout_15.jsonl", "fp"): "10 of 120 other messages of set no. 15, not trained on, flagged (0.083)",
    ("crisis_holdout_16.jsonl", "recall"): "106 of 120 crisis messages of set no. 16, not trained on, flagged (0.883)",
    ("crisis_holdout_16.jsonl", "high"): "63 of 68 high-severity messages of no. 16, not trained on, flagged (0.926)",
    ("crisis_holdout_16.jsonl", "fp"): "7 of 120 other messages of set no. 16, not trained on, flagged (0.058)",
    ("crisis_holdout_17.jsonl", "recall"): "101 of 120 crisis messages of set no. 17, not trained on, flagged (0.842)",
    ("crisis_holdout_17.jsonl", "high"): "55 of 66 high-severity messages of no. 17, not trained on, flagged (0.833)",
    ("crisis_holdout_18.jsonl", "recall"): "108 of 120 crisis messages of set no. 18, not trained on, flagged (0.900)",
    ("crisis_holdout_18.jsonl", "high"): "60 of 64 high-severity messages of no. 18, not trained on, flagged (0.938)",
    ("crisis_holdout_18.jsonl", "fp"): "7 of 120 other messages of set no. 18, not trained on, flagged (0.058)",
    ("crisis_holdout_20.jsonl", "recall"): "99 of 120 crisis messages of set no. 20, not trained on, flagged (0.825)",
    ("crisis_holdout_20.jsonl", "high"): "50 of 62 high-severity messages of no. 20, not trained on, flagged (0.806)",
    ("crisis_holdout_21.jsonl", "recall"): "104 of 120 crisis messages of set no. 21, not trained on, flagged (0.867)",
    ("crisis_holdout_21.jsonl", "high"): "56 of 64 high-severity messages of no. 21, not trained on, flagged (0.875)",
    ("crisis_holdout_22.jsonl", "recall"): "107 of 120 crisis messages of set no. 22, not trained on, flagged (0.892)",
    ("crisis_holdout_22.jsonl", "high"): "60 of 65 high-severity messages of no. 22, not trained on, flagged (0.923)",
    ("crisis_holdout_22.jsonl", "fp"): "7 of 120 other messages of set no. 22, not trained on, flagged (0.058)",
    ("crisis_holdout_23.jsonl", "recall"): "105 of 120 crisis messages of set no. 23, not trained on, flagged (0.875)",
    ("crisis_holdout_23.jsonl", "high"): "62 of 72 high-severity messages of no. 23, not trained on, flagged (0.861)",
    ("crisis_holdout_24.jsonl", "recall"): "96 of 120 crisis messages of set no. 24, not trained on, flagged (0.800)",
    ("crisis_holdout_24.jsonl", "high"): "53 of 65 high-severity messages of no. 24, not trained on, flagged (0.815)",
    ("crisis_holdout_24.jsonl", "fp"): "11 of 120 other messages of set no. 24, not trained on, flagged (0.092)",
    ("crisis_holdout_25.jsonl", "recall"): "107 of 120 crisis messages of set no. 25, not trained on, flagged (0.892)",
    ("crisis_holdout_25.jsonl", "high"): "60 of 71 high-severity messages of no. 25, not trained on, flagged (0.845)",
    ("crisis_holdout_25.jsonl", "fp"): "11 of 120 other messages of set no. 25, not trained on, flagged (0.092)",
    ("crisis_holdout_26.jsonl", "recall"): "100 of 120 crisis messages of set no. 26, not trained on, flagged (0.833)",
    ("crisis_holdout_26.jsonl", "high"): "55 of 69 high-severity messages of no. 26, not trained on, flagged (0.797)",
    ("crisis_holdout_26.jsonl", "fp"): "8 of 120 other messages of set no. 26, not trained on, flagged (0.067)",
}


def cases(measure: str) -> list[Any]:
    return [
        pytest.param(name, marks=pytest.mark.xfail(strict=True, reason=f"{SHORT[name, measure]}; see docs/crisis.md"))
        if (name, measure) in SHORT else name
        for name in SETS
    ]


@pytest.mark.parametrize("name", cases("recall"))
def test_recall_on_crisis_messages(results, name):
    figures, table = results[name]
    assert figures.recall >= RECALL, f"recall {figures.recall:.3f}\n{table}"


@pytest.mark.parametrize("name", cases("high"))
def test_recall_on_high_severity_messages(results, name):
    figures, table = results[name]
    assert figures.high_recall >= HIGH_RECALL, f"high-severity recall {figures.high_recall:.3f}\n{table}"


@pytest.mark.parametrize("name", cases("fp"))
def test_false_positive_rate_on_other_messages(results, name):
    figures, table = results[name]
    assert figures.fp_rate <= MAX_FP, f"false-positive rate {figures.fp_rate:.3f}\n{table}"


# The review tier (no card, a priority-2 item for a helper to read) is chosen in training to add
# about 2.5 % of the other messages to the helpers' queue; more would bury the items that matter.
REVIEW_COST = 0.05


def read_set(name: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (HERE / name).read_text(encoding="utf-8").splitlines()]


@pytest.mark.parametrize("name", SETS)
def test_the_review_tier_adds_few_other_messages_for_the_helpers_to_read(name):
    detector = CrisisDetector.shipped()
    calm = [row for row in read_set(name) if not row["crisis"]]
    reviewed = sum(r.review for r in detector.detect_all([(row["text"], row["lang"]) for row in calm]))
    assert reviewed / len(calm) <= REVIEW_COST, f"{reviewed} of {len(calm)} other messages sent for review"


# Set no. 12: 400 ordinary messages of the rooms (6 crises among them), written blind. It measures
# what the helpers get in everyday conversation, and the review tier's share of calm messages in
# training (`--review-fp`) was chosen on it (10 % sent 26 of its 394 calm messages for review,
# 7.5 % sends 9): it is a calibration set for the helpers' load, not an estimate of recall.
ORDINARY = "crisis_ordinary_12.jsonl"
ORDINARY_FLAGGED, ORDINARY_REVIEWED = 0.02, 0.03


def test_in_ordinary_conversation_few_messages_alert_or_ask_the_helpers_to_read():
    detector = CrisisDetector.shipped()
    rows = read_set(ORDINARY)
    calm = detector.detect_all([(row["text"], row["lang"]) for row in rows if not row["crisis"]])
    assert len(calm) >= 350 and {row["lang"] for row in rows} == {"fr", "en"}
    flagged, reviewed = sum(r.flagged for r in calm), sum(r.review for r in calm)
    assert flagged / len(calm) <= ORDINARY_FLAGGED, f"{flagged} of {len(calm)} ordinary messages flagged"
    assert reviewed / len(calm) <= ORDINARY_REVIEWED, f"{reviewed} of {len(calm)} ordinary messages sent for review"


def test_the_few_crises_of_ordinary_conversation_are_flagged():
    detector = CrisisDetector.shipped()
    rows = read_set(ORDINARY)
    crises = [row for row in rows if row["crisis"]]
    assert crises and all(r.flagged for r in detector.detect_all([(row["text"], row["lang"]) for row in crises]))


# Live chat, written blind: set no. 19, 400 short messages (1 to 8 words; 40 crises), which chose
# between two encoders (docs/crisis.md: the one that flagged greetings such as "me revoilà" sent 11
# of its 360 ordinary messages a crisis card, today's sends 3); set no. 27, an ordinary evening of
# chat in the rooms (360 ordinary messages, half very short, and 40 crises), first run: 7 of 360
# flagged, 38 of 40 crises. What most of a live chat is made of.
LIVE_CHAT = ("crisis_short_19.jsonl", "crisis_ordinary_27.jsonl")


@pytest.mark.parametrize("name", LIVE_CHAT)
def test_live_chat_rarely_brings_a_card_and_its_crises_are_flagged(name):
    detector = CrisisDetector.shipped()
    rows = read_set(name)
    found = detector.detect_all([(row["text"], row["lang"]) for row in rows])
    calm = [r.flagged for r, row in zip(found, rows, strict=True) if not row["crisis"]]
    crises = [r.flagged for r, row in zip(found, rows, strict=True) if row["crisis"]]
    assert len(calm) >= 350 and len(crises) >= 30
    assert sum(calm) / len(calm) <= ORDINARY_FLAGGED, f"{sum(calm)} of {len(calm)} ordinary chat messages flagged"
    assert sum(crises) / len(crises) >= RECALL, f"{sum(crises)} of {len(crises)} crises in chat flagged"
