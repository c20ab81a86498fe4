"""Train the crisis detector's linear model and write moderation/data/crisis_model.json.

Run: ``.venv/bin/pip install -e ".[train]" && .venv/bin/python scripts/train_crisis_model.py``

The model only speaks where no phrase and no rule held (see moderation/crisis_model.py), so it is
trained on every development message and its threshold is chosen for the detector as a whole:
with five-fold cross-validation, the lowest threshold at which the whole detector (phrases, rules
and the out-of-fold model) flags at most ``--max-fp`` of the messages that are not a crisis. The
cross-validated figures are printed and kept in the file; they are the estimate that counts, the
figures on the training sets themselves are not.

A second, lower threshold marks the messages to be read by a person (no card, no crisis alert: a
priority-2 queue item, "possible distress"): the lowest at which phrases, rules, the model's flags
and these together reach ``--review-fp`` of the calm messages. What a person then sees is
reported as ``seen_by_a_person``.

Held-out sets nobody has measured on yet (no. 11 and later) must stay out of ``TRAIN``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sklearn.feature_extraction import DictVectorizer  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.model_selection import StratifiedKFold  # noqa: E402

from moderation.crisis import CrisisDetector, model_id  # noqa: E402
from scripts.crisis_sets import LINEAR_TRAIN  # noqa: E402

SETS = ROOT / "tests" / "moderation"
TRAIN = LINEAR_TRAIN
OUT = ROOT / "moderation" / "data" / "crisis_model.json"
# The cue lists and the normalisation make the features too: a change to them calls for training again.
FEATURE_SOURCES = (
    ROOT / "moderation" / "data" / "crisis_patterns.toml", ROOT / "moderation" / "normalise.py",
    ROOT / "moderation" / "normalise_tables.py",
)


def rows(lang: str) -> list[dict[str, object]]:
    out = []
    for name in TRAIN:
        for line in (SETS / name).read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            if row["lang"] == lang:
                out.append(row)
    return out


def threshold_for(scores: list[float], labels: list[bool], listed: list[bool], max_fp: float) -> float:
    """The lowest score threshold at which phrases, rules and model together flag at most `max_fp`
    of the calm messages."""
    calm = [s for s, label, hit in zip(scores, labels, listed, strict=True) if not label and not hit]
    already = sum(1 for label, hit in zip(labels, listed, strict=True) if not label and hit)
    allowed = int(max_fp * sum(1 for label in labels if not label)) - already
    calm.sort(reverse=True)
    if allowed <= 0:
        return calm[0] + 1e-6 if calm else 0.0
    return calm[allowed - 1] + 1e-6 if allowed <= len(calm) else min(calm) - 1e-6


def figures(
    scores: list[float], labels: list[bool], listed: list[bool], high: list[bool], threshold: float,
) -> dict[str, float]:
    flagged = [hit or s >= threshold for s, hit in zip(scores, listed, strict=True)]
    crisis = [f for f, label in zip(flagged, labels, strict=True) if label]
    severe = [f for f, h in zip(flagged, high, strict=True) if h]
    calm = [f for f, label in zip(flagged, labels, strict=True) if not label]
    return {
        "recall": round(sum(crisis) / len(crisis), 3),
        "high_recall": round(sum(severe) / len(severe), 3),
        "fp_rate": round(sum(calm) / len(calm), 3),
    }


def category_models(
    feats: list[dict[str, int]], data: list[dict[str, object]], c: float,
) -> tuple[dict[str, object], dict[str, float]]:
    """One weight set per crisis category, learned on the crisis messages (multinomial logistic
    regression), and its cross-validated accuracy: on the category itself, and on the choice the
    card depends on (someone else or the writer)."""
    crisis = [i for i, row in enumerate(data) if row["crisis"]]
    x = [feats[i] for i in crisis]
    y = [str(data[i]["category"]) for i in crisis]
    predicted = [""] * len(y)
    for train, test in StratifiedKFold(n_splits=5, shuffle=True, random_state=7).split(x, y):
        vec = DictVectorizer()
        model = LogisticRegression(C=c, max_iter=3000)
        model.fit(vec.fit_transform([x[i] for i in train]), [y[i] for i in train])
        for i, label in zip(test, model.predict(vec.transform([x[i] for i in test])), strict=True):
            predicted[i] = str(label)
    accuracy = {
        "category": round(sum(p == t for p, t in zip(predicted, y, strict=True)) / len(y), 3),
        "someone_else_or_writer": round(sum(
            (p == "concern_other") == (t == "concern_other") for p, t in zip(predicted, y, strict=True)
        ) / len(y), 3),
    }
    vec = DictVectorizer()
    model = LogisticRegression(C=c, max_iter=3000)
    model.fit(vec.fit_transform(x), y)
    names = vec.get_feature_names_out()
    out: dict[str, object] = {}
    for k, label in enumerate(model.classes_):
        # Small weights barely move the choice between categories; leaving them out keeps the file small.
        kept = {n: round(float(w), 3) for n, w in zip(names, model.coef_[k], strict=True) if abs(w) >= 0.02}
        out[str(label)] = {"bias": round(float(model.intercept_[k]), 4), "weights": dict(sorted(kept.items()))}
    return out, accuracy


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--max-fp", type=float, default=0.05)
    parser.add_argument("--review-fp", type=float, default=0.075,
                        help="share of calm messages flagged or sent to a person for review")
    parser.add_argument("--c", type=float, default=3.0, help="inverse regularisation strength")
    args = parser.parse_args()
    detector = CrisisDetector.with_overrides(disabled=[model_id("fr"), model_id("en")])
    out: dict[str, object] = {
        "about": "Weights of the crisis detector's linear model; written by scripts/train_crisis_model.py.",
        "trained_on": {
            str(path.relative_to(ROOT)): hashlib.sha256(path.read_bytes()).hexdigest()
            for path in (*(SETS / name for name in TRAIN), *FEATURE_SOURCES)
        },
        "max_fp": args.max_fp, "review_fp": args.review_fp, "c": args.c, "cross_validated": {}, "models": {},
    }
    for lang in ("fr", "en"):
        data = rows(lang)
        feats = [dict.fromkeys(detector.features(str(r["text"]), lang), 1) for r in data]
        labels = [bool(r["crisis"]) for r in data]
        high = [r["severity"] == "high" for r in data]
        listed = [detector.detect(str(r["text"]), lang).flagged for r in data]
        oof = [0.0] * len(data)
        for train, test in StratifiedKFold(n_splits=5, shuffle=True, random_state=7).split(feats, labels):
            vec = DictVectorizer()
            model = LogisticRegression(C=args.c, solver="lbfgs", max_iter=2000)
            model.fit(vec.fit_transform([feats[i] for i in train]), [labels[i] for i in train])
            for i, score in zip(test, model.decision_function(vec.transform([feats[i] for i in test])), strict=True):
                oof[i] = float(score)
        threshold = threshold_for(oof, labels, listed, args.max_fp)
        cv = figures(oof, labels, listed, high, threshold)
        review = min(threshold, threshold_for(oof, labels, listed, args.review_fp))
        seen = figures(oof, labels, listed, high, review)
        without = figures([float("-inf")] * len(data), labels, listed, high, 0.0)
        print(f"{lang}: {len(data)} messages; phrases and rules alone {without}; with the model (5-fold) {cv}; "
              f"flagged or sent for review {seen}")
        vec = DictVectorizer()
        model = LogisticRegression(C=args.c, solver="lbfgs", max_iter=2000)
        model.fit(vec.fit_transform(feats), labels)
        weights = {
            name: round(float(w), 4) for name, w in zip(vec.get_feature_names_out(), model.coef_[0], strict=True)
            if abs(w) >= 1e-3
        }
        categories, accuracy = category_models(feats, data, args.c)
        print(f"{lang}: category of a crisis, 5-fold: {accuracy}")
        out["cross_validated"][lang] = {  # type: ignore[index]
            "phrases_and_rules": without, "with_model": cv, "seen_by_a_person": seen, "category": accuracy,
        }
        out["models"][lang] = {  # type: ignore[index]
            "bias": round(float(model.intercept_[0]), 4), "threshold": round(threshold, 4),
            "review_threshold": round(review, 4),
            "weights": dict(sorted(weights.items())), "categories": categories,
        }
    OUT.write_text(json.dumps(out, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
