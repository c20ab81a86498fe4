"""The crisis detector's linear model: what it adds, how it is read, and that it is up to date."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from moderation.crisis import CATEGORIES, CrisisDetector, model_id
from moderation.crisis_model import CategoryWeights, LinearModel, features, load_shipped_models, parse_models
from scripts.crisis_sets import UNSEEN

ROOT = Path(__file__).resolve().parents[2]
MODEL_FILE = ROOT / "moderation" / "data" / "crisis_model.json"
# Said in words no phrase and no rule of the shipped lists holds; the model alone flags it.
MODEL_ONLY = ("Dormir et ne plus jamais rien ressentir, c'est tout ce que je demande.", "fr")


def test_both_languages_ship_a_model():
    assert set(load_shipped_models()) == {"fr", "en"}


def test_the_model_flags_a_crisis_no_phrase_or_rule_holds():
    result = CrisisDetector.shipped().detect(*MODEL_ONLY)
    assert result.flagged and result.matches == (model_id("fr"),)


def test_a_flag_from_the_model_alone_is_of_medium_severity():
    assert CrisisDetector.shipped().detect(*MODEL_ONLY).severity == "medium"


def test_an_admin_can_disable_a_language_s_model_by_its_id():
    detector = CrisisDetector.with_overrides(disabled=[model_id("fr")])
    assert not detector.detect(*MODEL_ONLY).flagged


def test_the_model_is_not_asked_when_a_phrase_already_holds():
    assert CrisisDetector.shipped().detect("je veux mourir", "fr").matches == ("fr.ideation.vouloir_mourir",)


def test_a_detector_built_by_hand_has_no_model_unless_given_one():
    assert not CrisisDetector([], {}).detect(*MODEL_ONLY).flagged


def test_reading_a_message_gives_the_score_of_its_features():
    model = LinearModel(lang="fr", bias=-1.0, threshold=0.0, weights={
        "w:plus": 0.5, "b:plus jamais": 1.25, "k:death": 0.75, "kk:death+wish": 2.0, "w:absent": 9.0,
    })
    norm = " dormir et plus jamais plus "
    kinds = {"wish", "death"}
    assert model.score_message(norm, kinds) == pytest.approx(model.score(features(norm, kinds)))
    assert model.score_message(norm, kinds) == pytest.approx(-1.0 + 0.5 + 1.25 + 0.75 + 2.0)


def test_a_feature_counts_once_however_often_it_occurs():
    model = LinearModel(lang="en", bias=0.0, threshold=1.0, weights={"w:gone": 0.6, "b:gone gone": 0.1})
    assert model.score_message(" gone gone gone ", ()) == pytest.approx(0.7)
    assert not model.flags(" gone gone gone ", ())


def shipped_readings(step: int) -> Iterator[tuple[str, list[str], str, list[str], LinearModel]]:
    """Every `step`-th development message: its text, features, normalised form, cue kinds, and
    the shipped model of its language."""
    detector = CrisisDetector.with_overrides(disabled=[model_id("fr"), model_id("en")])
    models = load_shipped_models()
    rows = [json.loads(line) for line in (ROOT / "tests/moderation/crisis_eval.jsonl").read_text("utf-8").splitlines()]
    for row in rows[::step]:
        feats = detector.features(row["text"], row["lang"])
        norm = detector._locales[row["lang"]].scan(row["text"])[0]
        yield row["text"], feats, norm, [f[2:] for f in feats if f.startswith("k:")], models[row["lang"]]


def test_the_shipped_weights_read_messages_as_their_features_say():
    for text, feats, norm, kinds, model in shipped_readings(7):
        assert model.score_message(norm, kinds) == pytest.approx(model.score(feats)), text


def test_the_shipped_category_weights_read_in_one_pass_pick_the_category_each_scores_highest():
    for text, feats, norm, kinds, model in shipped_readings(5):
        scores = {name: part.score(feats) for name, part in model.categories.items()}
        chosen = model.category(norm, kinds)
        assert chosen is not None and scores[chosen] == pytest.approx(max(scores.values())), text


def test_the_models_file_is_parsed_per_language():
    parsed = parse_models({"models": {"en": {"bias": 0.5, "threshold": 1, "weights": {"w:x": 2}}}})
    assert parsed["en"].score(["w:x", "w:y"]) == pytest.approx(2.5)


def test_the_shipped_model_was_trained_on_the_current_sets_cue_lists_and_normalisation():
    """Change a training set, the cue lists or the normalisation, and the model must be trained again:
    `pip install -e ".[train]"` then `python scripts/train_crisis_model.py`."""
    shipped = json.loads(MODEL_FILE.read_text("utf-8"))["trained_on"]
    assert "moderation/data/crisis_patterns.toml" in shipped and "moderation/normalise.py" in shipped
    for name, digest in shipped.items():
        assert hashlib.sha256((ROOT / name).read_bytes()).hexdigest() == digest, f"{name} changed since training"


def test_no_unseen_held_out_set_was_trained_on():
    shipped = json.loads(MODEL_FILE.read_text("utf-8"))["trained_on"]
    for unseen in UNSEEN:
        assert f"tests/moderation/{unseen}" not in shipped


def _flagging(categories: dict[str, CategoryWeights]) -> LinearModel:
    return LinearModel(lang="fr", bias=0.0, threshold=1.0, weights={"w:lanterne": 2.0}, categories=categories)


def test_a_flag_from_the_model_alone_takes_the_category_its_category_weights_score_highest():
    categories = {
        "ideation": CategoryWeights(bias=0.5, weights={}),
        "concern_other": CategoryWeights(bias=0.0, weights={"w:soeur": 2.0}),
    }
    detector = CrisisDetector([], {}, models={"fr": _flagging(categories)})
    assert detector.detect("la lanterne", "fr").categories == ("ideation",)
    assert detector.detect("ma sœur et la lanterne", "fr").categories == ("concern_other",)


def test_without_category_weights_the_category_comes_from_the_cues():
    detector = CrisisDetector([], {}, models={"fr": _flagging({})})
    assert detector.detect("la lanterne", "fr").categories == ("ideation",)


def test_the_shipped_models_name_every_crisis_category():
    assert all(set(m.categories) == set(CATEGORIES) for m in load_shipped_models().values())
