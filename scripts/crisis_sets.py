"""Which of `tests/moderation/`'s sets each crisis model learns on, shared by the two training
scripts and the tests. The unseen held-out sets (no. 11 and later) stay out of both."""

from __future__ import annotations

__all__ = ["ENCODER_CALIBRATION", "ENCODER_TRAIN", "LINEAR_TRAIN", "UNSEEN"]

# Held-out sets no model learns on and nobody reads: the tests check that neither model's
# training record names them, and print only their figures on failure.
UNSEEN = (
    "crisis_holdout_11.jsonl", "crisis_holdout_13.jsonl", "crisis_holdout_14.jsonl", "crisis_holdout_15.jsonl",
    "crisis_holdout_16.jsonl", "crisis_holdout_17.jsonl", "crisis_holdout_18.jsonl", "crisis_short_19.jsonl",
    "crisis_holdout_20.jsonl", "crisis_holdout_21.jsonl", "crisis_holdout_22.jsonl", "crisis_holdout_23.jsonl",
    "crisis_holdout_24.jsonl", "crisis_holdout_25.jsonl", "crisis_holdout_26.jsonl", "crisis_ordinary_27.jsonl",
)

LINEAR_TRAIN = (
    "crisis_eval.jsonl", "crisis_dev_indirect.jsonl", "crisis_train_a.jsonl", "crisis_train_b.jsonl",
    "crisis_train_c.jsonl", "crisis_train_d.jsonl", "crisis_train_e.jsonl", "crisis_train_f.jsonl",
    "crisis_train_g.jsonl", "crisis_train_h.jsonl",
    "crisis_holdout.jsonl", "crisis_holdout_4.jsonl", "crisis_holdout_5.jsonl", "crisis_holdout_6.jsonl",
    "crisis_holdout_7.jsonl", "crisis_holdout_8.jsonl", "crisis_holdout_9.jsonl", "crisis_holdout_10.jsonl",
)
# The encoder's threshold is chosen on these, so it never learns on them.
ENCODER_CALIBRATION = ("crisis_holdout_10.jsonl", "crisis_ordinary_12.jsonl")
ENCODER_TRAIN = (
    *(name for name in LINEAR_TRAIN if name not in ENCODER_CALIBRATION),
    "crisis_ordinary_train_fr.jsonl", "crisis_ordinary_train_en.jsonl",
    "crisis_train_i.jsonl", "crisis_train_j.jsonl", "crisis_train_k.jsonl", "crisis_train_l.jsonl",
    "crisis_train_m.jsonl", "crisis_train_n.jsonl", "crisis_train_o.jsonl", "crisis_train_p.jsonl",
    "crisis_train_q.jsonl", "crisis_train_r.jsonl", "crisis_train_s.jsonl",
    "crisis_train_t.jsonl",
)
