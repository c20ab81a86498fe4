"""The review tier: what the model scores just below its flag threshold is not flagged (no card,
no crisis alert) but marked for a person to read."""

from __future__ import annotations

import json

import pytest

from moderation.checks.crisis_check import REVIEW_REASON, CrisisCheck
from moderation.crisis import CrisisDetector, Pattern, model_id, review_id
from moderation.crisis_check import run_check
from moderation.crisis_model import LinearModel, load_shipped_models, parse_models
from moderation.crisis_rules import _switchable
from moderation.pipeline import Candidate
from moderation.verdict import Action
from tests.moderation.review_texts import review_text


def _model(review_threshold: float | None = 1.0) -> LinearModel:
    return LinearModel(lang="fr", bias=0.0, threshold=2.0, review_threshold=review_threshold,
                       weights={"w:lanterne": 1.5, "w:phare": 2.5, "w:bougie": 0.5})


def _detector(review_threshold: float | None = 1.0, no_review: tuple[str, ...] = ()) -> CrisisDetector:
    return CrisisDetector([], {}, models={"fr": _model(review_threshold)}, no_review=no_review)


def test_a_score_between_the_two_thresholds_is_marked_for_review_not_flagged():
    result = _detector().detect("la lanterne", "fr")
    assert result.review and not result.flagged
    assert result.severity == "none" and result.categories == () and result.matches == (review_id("fr"),)


def test_a_score_at_the_flag_threshold_is_flagged_and_not_marked_for_review():
    result = _detector().detect("le phare", "fr")
    assert result.flagged and not result.review and result.matches == (model_id("fr"),)


def test_a_score_below_the_review_threshold_is_neither():
    result = _detector().detect("la bougie", "fr")
    assert not result.flagged and not result.review and result.matches == ()


def test_a_model_without_a_review_threshold_marks_nothing_for_review():
    assert not _detector(review_threshold=None).detect("la lanterne", "fr").review


def test_a_language_whose_review_tier_is_off_marks_nothing_for_review():
    detector = _detector(no_review=("fr",))
    assert not detector.detect("la lanterne", "fr").review
    assert detector.detect("le phare", "fr").flagged


def test_a_phrase_that_holds_leaves_no_room_for_review():
    detector = CrisisDetector(
        [Pattern(id="fr.t.lanterne", locale="fr", phrase="la lanterne", category="ideation", severity="low")], {},
        models={"fr": _model()},
    )
    result = detector.detect("la lanterne", "fr")
    assert result.flagged and not result.review and result.matches == ("fr.t.lanterne",)


def test_the_review_flag_is_in_the_json_result():
    assert _detector().detect("la lanterne", "fr").to_json() == {
        "flagged": False, "severity": "none", "categories": [], "matches": ["fr.review"], "review": True,
    }


def test_the_models_file_gives_the_review_threshold_and_may_leave_it_out():
    parsed = parse_models({"models": {
        "fr": {"bias": 0, "threshold": 2, "review_threshold": 1, "weights": {}},
        "en": {"bias": 0, "threshold": 2, "weights": {}},
    }})
    assert parsed["fr"].review_threshold == 1.0 and parsed["en"].review_threshold is None


def test_each_shipped_model_has_a_review_threshold_below_its_flag_threshold():
    for model in load_shipped_models().values():
        assert model.review_threshold is not None and model.review_threshold < model.threshold


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_the_shipped_detector_marks_some_unflagged_messages_for_review(lang: str):
    result = CrisisDetector.shipped().detect(review_text(lang), lang)
    assert result.review and not result.flagged


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_an_admin_switches_a_language_s_review_tier_off_by_its_id(lang: str):
    text = review_text(lang)
    assert not CrisisDetector.with_overrides(disabled=[review_id(lang)]).detect(text, lang).review
    other = "en" if lang == "fr" else "fr"
    assert CrisisDetector.with_overrides(disabled=[review_id(other)]).detect(text, lang).review


def test_disabling_a_language_s_model_also_ends_its_review_tier():
    assert not CrisisDetector.with_overrides(disabled=[model_id("fr")]).detect(review_text("fr"), "fr").review


def test_the_review_tiers_are_listed_for_the_console_beside_the_models():
    listed = {p.id: kind for p, kind in _switchable()}
    assert listed[review_id("fr")] == "review" and listed[review_id("en")] == "review"


def _candidate(text: str) -> Candidate:
    return Candidate(text=text, lang="fr", room="salon", session_id="s", role="peer", link_policy="allow",
                     recent=(), now=0.0)


def test_the_check_turns_a_review_into_a_priority_2_flag_with_no_crisis_result():
    verdict = CrisisCheck(_detector())(_candidate("la lanterne"))
    assert verdict is not None and verdict.action is Action.FLAG
    assert verdict.priority == 2 and verdict.reasons == (REVIEW_REASON,) and verdict.crisis is None


def test_the_review_reason_does_not_read_as_a_crisis_reason():
    # The hub tells crisis reasons by their prefix and leaves them out of the review item.
    assert not REVIEW_REASON.startswith("crisis")


def test_the_check_says_nothing_of_a_message_neither_flagged_nor_for_review():
    assert CrisisCheck(_detector())(_candidate("la bougie")) is None


def test_entraide_crisis_check_reports_review():
    lines = [json.dumps({"text": "la lanterne", "lang": "fr"}), json.dumps({"text": "la bougie", "lang": "fr"})]
    out = [json.loads(line) for line in run_check(lines, _detector())]
    assert [o["review"] for o in out] == [True, False]
