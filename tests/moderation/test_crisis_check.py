"""`run_check`: the core of `entraide crisis check`."""

from __future__ import annotations

import json

import pytest

from moderation.crisis import CrisisDetector
from moderation.crisis_check import run_check


@pytest.fixture(scope="module")
def detector() -> CrisisDetector:
    return CrisisDetector.shipped()


def test_one_result_line_per_input_line(detector):
    lines = ['{"text": "jveux mourir", "lang": "fr"}\n', '{"text": "bonne nuit", "lang": "fr"}\n']
    out = [json.loads(line) for line in run_check(lines, detector)]
    assert out[0] == {"flagged": True, "severity": "high", "categories": ["ideation"],
                      "matches": ["fr.ideation.vouloir_mourir"], "review": False}
    assert out[1] == {"flagged": False, "severity": "none", "categories": [], "matches": [], "review": False}


def test_a_bad_line_gives_an_error_and_the_rest_goes_on(detector):
    lines = ["not json", '{"text": 3, "lang": "fr"}', '["x"]', '{"text": "i want to die", "lang": "en"}']
    out = [json.loads(line) for line in run_check(lines, detector)]
    assert out[:3] == [{"error": "bad_line", "line": 1}, {"error": "bad_line", "line": 2},
                       {"error": "bad_line", "line": 3}]
    assert out[3]["flagged"] is True


def test_blank_lines_are_skipped_but_counted(detector):
    out = list(run_check(["", "  \n", "{}"], detector))
    assert [json.loads(line) for line in out] == [{"error": "bad_line", "line": 3}]


def test_the_configured_detector_is_the_one_used():
    # Every reading that would find it switched off, the encoder's too.
    detector = CrisisDetector.with_overrides(
        disabled=["fr.ideation.vouloir_mourir", "fr.rule.wish_death", "fr.model", "fr.encoder"],
    )
    (line,) = run_check(['{"text": "je veux mourir", "lang": "fr"}'], detector)
    assert json.loads(line)["flagged"] is False
