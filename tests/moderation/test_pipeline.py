"""The check pipeline: order, the final verdict, early stop, timings, failures, and crisis."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, replace
from pathlib import Path

import pytest

from moderation.checks.crisis_check import CrisisCheck
from moderation.crisis import CrisisDetector, CrisisResult
from moderation.pipeline import Candidate, Pipeline, default_pipeline
from moderation.pipeline_config import PipelineConfig
from moderation.verdict import Action, Verdict
from tests.moderation.review_texts import review_text

CRISIS = CrisisResult(flagged=True, severity="high", categories=("ideation",), matches=("fr.x",))
HERE = Path(__file__).parent


@dataclass
class Fixed:
    """A check that always says the same thing and counts its calls."""

    name: str
    verdict: Verdict | None
    calls: int = 0

    def __call__(self, c: Candidate) -> Verdict | None:
        self.calls += 1
        return self.verdict


class Broken:
    name = "broken"

    def __call__(self, c: Candidate) -> Verdict | None:
        raise RuntimeError("bug")


def v(action: Action, check: str, *reasons: str, code: str | None = None, priority: int = 1) -> Verdict:
    return Verdict(action, check, reasons, code=code, priority=priority)


def candidate(text: str = "salut", recent: tuple[str, ...] = (), lang: str = "fr", policy: str = "hold") -> Candidate:
    return Candidate(text, lang, "anxiete", "s1", "peer", policy, recent, 0.0)


@pytest.fixture(scope="module")
def detector() -> CrisisDetector:
    return CrisisDetector.shipped()


@pytest.fixture(scope="module")
def shipped(detector) -> Pipeline:
    return default_pipeline(detector, PipelineConfig())


def test_nothing_to_say_is_allow():
    outcome = Pipeline([Fixed("a", None), Fixed("b", None)]).run(candidate())
    assert outcome.action is Action.ALLOW
    assert outcome.verdicts == ()
    assert outcome.crisis is None


def test_checks_run_in_the_order_given():
    seen: list[str] = []

    @dataclass
    class Recording:
        name: str

        def __call__(self, c: Candidate) -> Verdict | None:
            seen.append(self.name)
            return None

    Pipeline([Recording("b"), Recording("a"), Recording("c")]).run(candidate())
    assert seen == ["b", "a", "c"]


def test_the_most_severe_verdict_decides_and_gives_its_code():
    outcome = Pipeline([
        Fixed("a", v(Action.FLAG, "a", "x", code="abusive")), Fixed("b", v(Action.HOLD, "b", "y", code="link")),
    ]).run(candidate())
    assert outcome.action is Action.HOLD
    assert (outcome.verdict.check, outcome.verdict.code) == ("b", "link")


def test_the_first_of_equally_severe_verdicts_gives_the_code():
    outcome = Pipeline([
        Fixed("a", v(Action.HOLD, "a", "x", code="personal_data")), Fixed("b", v(Action.HOLD, "b", "y", code="link")),
    ]).run(candidate())
    assert outcome.verdict.code == "personal_data"


def test_reasons_accumulate_and_the_highest_priority_wins():
    outcome = Pipeline([
        Fixed("a", v(Action.FLAG, "a", "abusive: insult", priority=1)),
        Fixed("b", v(Action.FLAG, "b", "link", priority=2)),
        Fixed("c", v(Action.FLAG, "c", "link", priority=0)),
    ]).run(candidate())
    assert outcome.action is Action.FLAG
    assert outcome.verdict.reasons == ("abusive: insult", "link")
    assert outcome.verdict.priority == 2
    assert len(outcome.verdicts) == 3


def test_reject_stops_the_chain():
    after = Fixed("after", v(Action.FLAG, "after", "x"))
    outcome = Pipeline([Fixed("a", v(Action.REJECT, "a", "link", code="link")), after]).run(candidate())
    assert outcome.action is Action.REJECT
    assert after.calls == 0
    assert list(outcome.timings()) == ["a"]


def test_allow_verdicts_are_not_kept():
    outcome = Pipeline([Fixed("a", v(Action.ALLOW, "a"))]).run(candidate())
    assert outcome.verdicts == ()


def test_each_check_that_ran_is_timed():
    outcome = Pipeline([Fixed("a", None), Fixed("b", None)]).run(candidate())
    timings = outcome.timings()
    assert list(timings) == ["a", "b"]
    assert all(ns >= 0 for ns in timings.values())
    assert outcome.total_ns == sum(timings.values())


def test_a_check_that_raises_is_logged_without_the_text_and_skipped(caplog):
    after = Fixed("after", v(Action.FLAG, "after", "x"))
    with caplog.at_level(logging.ERROR, logger="moderation.pipeline"):
        outcome = Pipeline([Broken(), after]).run(candidate("mon secret"))
    assert outcome.failed == ("broken",)
    assert outcome.action is Action.FLAG
    assert "mon secret" not in caplog.text


def test_check_names_must_be_unique():
    with pytest.raises(ValueError, match="unique"):
        Pipeline([Fixed("a", None), Fixed("a", None)])


def test_a_crisis_verdict_can_only_be_a_flag():
    with pytest.raises(ValueError, match="must be FLAG"):
        Verdict(Action.HOLD, "crisis", ("crisis: ideation",), crisis=CRISIS)


def test_a_priority_outside_0_to_3_is_refused():
    with pytest.raises(ValueError, match="priority"):
        Verdict(Action.FLAG, "x", (), priority=4)


def test_a_crisis_flag_alone_is_published_with_priority_3():
    crisis = Verdict(Action.FLAG, "crisis", ("crisis: ideation",), code="crisis", priority=3, crisis=CRISIS)
    outcome = Pipeline([Fixed("crisis", crisis), Fixed("b", v(Action.FLAG, "b", "abusive: insult"))]).run(candidate())
    assert outcome.action is Action.FLAG
    assert outcome.verdict.priority == 3
    assert outcome.crisis is CRISIS
    assert outcome.verdict.crisis is CRISIS


def test_a_hold_from_another_check_keeps_the_crisis_result_in_the_outcome():
    crisis = Verdict(Action.FLAG, "crisis", ("crisis: ideation",), code="crisis", priority=3, crisis=CRISIS)
    outcome = Pipeline([
        Fixed("crisis", crisis),
        Fixed("personal_data", v(Action.HOLD, "personal_data", "phone number", code="personal_data")),
    ]).run(candidate())
    assert outcome.action is Action.HOLD
    assert outcome.verdict.code == "personal_data"
    assert outcome.crisis is CRISIS
    assert outcome.verdict.reasons == ("crisis: ideation", "phone number")


def test_a_rejection_of_a_crisis_message_is_softened_to_a_hold():
    crisis = Verdict(Action.FLAG, "crisis", ("crisis: ideation",), code="crisis", priority=3, crisis=CRISIS)
    outcome = Pipeline([
        Fixed("crisis", crisis), Fixed("repetition", v(Action.REJECT, "repetition", "same", code="repeated")),
    ]).run(candidate())
    assert outcome.action is Action.HOLD
    assert outcome.verdict.code == "repeated"
    assert outcome.crisis is CRISIS


def test_a_rejection_of_a_message_sent_for_review_is_softened_to_a_hold_too():
    review = Verdict(Action.FLAG, "crisis", ("possible distress",), priority=2)
    outcome = Pipeline([
        Fixed("crisis", review), Fixed("repetition", v(Action.REJECT, "repetition", "same", code="repeated")),
    ]).run(candidate())
    assert outcome.action is Action.HOLD
    assert outcome.verdict.code == "repeated" and outcome.verdict.reasons == ("possible distress", "same")
    assert outcome.crisis is None


def test_the_crisis_check_turns_a_detection_into_a_flag_with_its_categories(detector):
    verdict = CrisisCheck(detector)(candidate("j'ai acheté une corde, je veux mourir"))
    assert verdict is not None
    assert (verdict.action, verdict.priority, verdict.code) == (Action.FLAG, 3, "crisis")
    assert verdict.crisis is not None
    assert verdict.reasons == tuple(f"crisis: {c}" for c in verdict.crisis.categories)


def test_the_crisis_check_says_nothing_of_an_idiom(detector):
    assert CrisisCheck(detector)(candidate("je suis mort de rire")) is None


def test_the_shipped_pipeline_runs_crisis_first(shipped):
    assert shipped.names == ("crisis", "personal_data", "links", "abusive", "repetition")


def test_the_shipped_pipeline_flags_a_crisis_message_and_publishes_it(shipped):
    outcome = shipped.run(candidate("je veux mourir ce soir"))
    assert outcome.action is Action.FLAG
    assert outcome.crisis is not None and outcome.verdict.priority == 3
    assert outcome.verdict.reasons == ("crisis: ideation",)


def test_no_crisis_message_of_the_evaluation_sets_is_held_or_rejected(shipped):
    for name in ("crisis_eval.jsonl", "crisis_holdout.jsonl"):
        for line in (HERE / name).read_text("utf-8").splitlines():
            row = json.loads(line)
            outcome = shipped.run(candidate(row["text"], lang=row["lang"]))
            if outcome.crisis is not None:
                assert outcome.action is Action.FLAG, row["text"]


def test_a_crisis_message_with_a_phone_number_is_held_and_still_carries_the_crisis(shipped):
    outcome = shipped.run(candidate("je veux mourir, appelle-moi au 06 12 34 56 78"))
    assert outcome.action is Action.HOLD
    assert outcome.verdict.code == "personal_data"
    assert outcome.crisis is not None and "ideation" in outcome.crisis.categories


def test_a_crisis_message_sent_twice_is_held_not_rejected(shipped):
    text = "je veux mourir ce soir, je n'en peux plus de tout ça"
    outcome = shipped.run(candidate(text, recent=(text,)))
    assert outcome.action is Action.HOLD
    assert outcome.verdict.code == "repeated"
    assert outcome.crisis is not None


def test_a_message_sent_for_review_twice_is_held_not_rejected(shipped):
    text = review_text("fr")
    outcome = shipped.run(candidate(text, recent=(text,)))
    assert outcome.action is Action.HOLD and outcome.verdict.code == "repeated"
    assert "possible distress" in outcome.verdict.reasons


def test_a_crisis_message_in_a_room_that_rejects_links_is_held_not_rejected(shipped):
    outcome = shipped.run(candidate("je veux mourir, regardez bit.ly/abc", policy="reject"))
    assert outcome.action is Action.HOLD
    assert outcome.crisis is not None


def test_without_a_detector_the_crisis_check_is_left_out():
    assert default_pipeline(None, PipelineConfig()).names == ("personal_data", "links", "abusive", "repetition")


def test_checks_turned_off_in_the_config_are_left_out(detector):
    config = replace(PipelineConfig(), checks=("crisis", "links"))
    assert default_pipeline(detector, config).names == ("crisis", "links")
