"""The second reading: a fine-tuned sentence encoder reads again what the fast reading did not flag."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from moderation.crisis import CATEGORIES, NOT_FLAGGED, CrisisDetector, encoder_id
from moderation.crisis_check import run_check
from moderation.crisis_encoder import PASSAGE_CHARS, load_shipped_encoder, passages_of, training_digest
from moderation.crisis_rules import _switchable
from scripts.crisis_sets import ENCODER_CALIBRATION, UNSEEN
from tests.moderation.second_reading_texts import second_reading_text, second_reading_texts

HERE = Path(__file__).parent


@pytest.fixture(scope="module")
def encoder():
    shipped = load_shipped_encoder()
    assert shipped is not None, "moderation/data/crisis_encoder.npz is missing"
    return shipped


def test_the_numpy_forward_pass_gives_the_scores_training_gave(encoder):
    weights = encoder.weights
    assert len(weights.reference_texts) >= 8
    scores = encoder.scores(list(weights.reference_texts))
    for ours, theirs in zip(scores, weights.reference_scores, strict=True):
        assert ours == pytest.approx(theirs, abs=0.02)


def test_a_message_scores_the_same_alone_and_in_a_batch_of_other_lengths(encoder):
    texts = ["ok", "je suis fatiguée ce soir, la journée a été longue au travail", "merci 🙏", "x " * 200]
    alone = [encoder.scores([text])[0] for text in texts]
    assert encoder.scores(texts) == pytest.approx(alone, abs=1e-4)


def test_empty_long_and_emoji_only_messages_are_scored(encoder):
    scores = encoder.scores(["", "😭😭😭", "a" * 5000, "\u200b\u200b", "ça\nva\n?"])
    assert len(scores) == 5 and all(isinstance(s, float) and s == s for s in scores)  # no NaN


def test_the_encoder_was_trained_on_todays_files_and_not_on_the_calibration_or_unseen_sets(encoder):
    trained_on = encoder.weights.trained_on
    assert encoder.weights.digest == training_digest([HERE / name for name in trained_on]), (
        "the training files changed since the encoder was trained: run scripts/train_crisis_encoder.py"
    )
    for kept_out in (*ENCODER_CALIBRATION, *UNSEEN):
        assert kept_out not in trained_on


def test_each_language_has_a_threshold_and_an_unknown_language_gets_the_lowest(encoder):
    assert set(encoder.thresholds) == {"fr", "en"}
    assert encoder.threshold("fr-CA") == encoder.thresholds["fr"]
    assert encoder.threshold("und") == min(encoder.thresholds.values())


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_the_second_reading_flags_a_crisis_the_fast_reading_misses(lang):
    detector = CrisisDetector.shipped()
    text = second_reading_text(lang)
    assert not detector.detect(text, lang).flagged
    result = detector.second_reading([(text, lang)])[0]
    assert result.flagged and result.severity == "medium"
    assert result.matches == (encoder_id(lang),) and len(result.categories) == 1
    assert result.categories[0] in CATEGORIES


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_detect_fully_is_the_second_reading_where_the_fast_one_does_not_flag(lang):
    detector = CrisisDetector.shipped()
    text = second_reading_text(lang)
    assert detector.detect_fully(text, lang) == detector.second_reading([(text, lang)])[0]


def test_detect_fully_keeps_the_fast_readings_flag_and_explanation():
    detector = CrisisDetector.shipped()
    text = "je veux mourir ce soir"
    assert detector.detect_fully(text, "fr") == detector.detect(text, "fr")
    assert detector.detect_fully(text, "fr").matches[0].startswith("fr.")


def test_ordinary_messages_are_not_flagged_by_the_second_reading():
    detector = CrisisDetector.shipped()
    ordinary = [("bonsoir tout le monde, bonne soirée à vous", "fr"), ("merci pour vos messages", "fr"),
                ("hi all, hope your evening is going ok", "en"), ("see you on thursday", "en")]
    assert detector.second_reading(ordinary) == [NOT_FLAGGED] * len(ordinary)


def test_detect_all_reads_a_batch_as_each_message_alone():
    detector = CrisisDetector.shipped()
    batch = [(second_reading_text("fr"), "fr"), ("je veux mourir", "fr"), ("bonne nuit", "fr"),
             (second_reading_text("en"), "en"), ("hi", "en")]
    assert detector.detect_all(batch) == [detector.detect_fully(text, lang) for text, lang in batch]


def test_an_admin_switches_the_encoder_off_for_one_language_only():
    fr, en = second_reading_text("fr"), second_reading_text("en")
    detector = CrisisDetector.with_overrides(disabled=[encoder_id("fr")])
    assert detector.second_reading([(fr, "fr"), (en, "en")]) == [NOT_FLAGGED, CrisisDetector.shipped().second_reading(
        [(en, "en")])[0]]
    assert not detector.detect_fully(fr, "fr").flagged


def test_the_encoder_is_listed_for_the_console_per_language():
    listed = {p.id: kind for p, kind in _switchable()}
    assert listed[encoder_id("fr")] == "encoder" and listed[encoder_id("en")] == "encoder"


def test_a_detector_without_an_encoder_reads_nothing_again():
    detector = CrisisDetector([], {})
    assert detector.encoder is None
    assert detector.second_reading([("n'importe quoi", "fr")]) == [NOT_FLAGGED]


def test_a_language_without_patterns_is_read_again_by_the_encoder():
    detector = CrisisDetector.shipped()
    text = second_reading_text("en")
    assert detector.second_reading([(text, "und")])[0].flagged


def test_the_command_line_check_uses_the_second_reading():
    detector = CrisisDetector.shipped()
    texts = [*second_reading_texts("fr", 1), "bonne soirée"]
    out = [json.loads(line) for line in run_check([json.dumps({"text": t, "lang": "fr"}) for t in texts], detector)]
    assert out[0]["flagged"] and out[0]["matches"] == [encoder_id("fr")]
    assert not out[1]["flagged"]


def test_a_chat_message_is_read_whole_and_a_long_text_sentence_by_sentence_losing_nothing():
    assert passages_of("Ça va. Et toi ?") == ["Ça va. Et toi ?"]
    text = "Une phrase ordinaire de la soirée. " * 20 + "Vraiment !!! Et une ligne\nsans point" + " mot" * 150
    passages = passages_of(text)
    assert "".join(passages) == text and all(0 < len(p) <= PASSAGE_CHARS for p in passages)
    assert passages[0] == "Une phrase ordinaire de la soirée. " and "Vraiment !!! " in passages
    no_spaces = "x" * (PASSAGE_CHARS * 2 + 5)
    assert "".join(passages_of(no_spaces)) == no_spaces and len(passages_of(no_spaces)) == 3


def test_one_sentence_of_distress_in_a_long_message_is_not_drowned(encoder):
    ordinary = ("Aujourd'hui j'ai fait les courses, puis j'ai appelé ma sœur pour son anniversaire. "
                "Le soir on a regardé un film avec les enfants et on a mangé des crêpes. ") * 20
    crisis = second_reading_text("fr")
    middle = len(ordinary) // 2
    middle = ordinary.index(". ", middle) + 2
    long_crisis = f"{ordinary[:middle]}{crisis}. {ordinary[middle:]}"
    calm, worried = encoder.scores([ordinary, long_crisis])
    assert calm < encoder.threshold("fr") <= worried
