"""The repetition check: the same text again, near copies, walls, and what may come twice."""

from __future__ import annotations

import pytest

from moderation.checks.repetition import RepetitionCheck, fold
from moderation.pipeline import Candidate
from moderation.verdict import Action

LONG = "Je voulais vous remercier pour vos messages d'hier soir, ça m'a vraiment aidé à tenir."


@pytest.fixture
def check() -> RepetitionCheck:
    return RepetitionCheck(exempt_roles=frozenset({"helper", "admin"}))


def candidate(text: str, recent: tuple[str, ...] = (), role: str = "peer") -> Candidate:
    return Candidate(text, "fr", "anxiete", "s1", role, "hold", recent, 0.0)


def test_the_same_text_again_is_rejected_with_code_repeated(check):
    verdict = check(candidate(LONG, recent=(LONG,)))
    assert verdict is not None
    assert (verdict.action, verdict.code, verdict.reasons) == (Action.REJECT, "repeated", ("same as a recent message",))


def test_case_accents_and_punctuation_do_not_hide_a_copy(check):
    copy = LONG.upper().replace("ç", "c").replace(",", "") + " !!!"
    assert check(candidate(copy, recent=(LONG,))) is not None


def test_a_near_copy_with_one_word_changed_is_rejected(check):
    text = ("J'ai passé une nuit blanche encore une fois, je ne sais plus quoi faire pour dormir, "
            "la tisane ne marche pas et les écrans non plus, quelqu'un a une idée ?")
    assert check(candidate(text.replace("tisane", "camomille"), recent=(text,))) is not None


def test_the_same_words_shuffled_are_a_copy(check):
    text = "ce soir je ne sais vraiment pas quoi faire de moi"
    assert check(candidate("je ne sais vraiment pas quoi faire de moi ce soir", recent=(text,))) is not None


def test_a_message_on_the_same_subject_in_other_words_passes(check):
    other = "Je voulais vous dire que vos messages d'hier soir m'ont fait du bien, merci."
    assert check(candidate(other, recent=(LONG,))) is None


def test_an_older_recent_message_counts_too(check):
    assert check(candidate(LONG, recent=(LONG, "autre chose de tout à fait différent ce soir"))) is not None


def test_a_different_message_passes(check):
    assert check(candidate("Et vous, comment s'est passée votre journée ? Moi un peu mieux.", recent=(LONG,))) is None


def test_short_messages_may_come_twice(check):
    for text in ("merci", "oui", "Bonne nuit à tous", "merci beaucoup !", "Bonne nuit tout le monde !"):
        assert check(candidate(text, recent=(text,))) is None


def test_without_recent_messages_nothing_is_compared(check):
    assert check(candidate(LONG)) is None


@pytest.mark.parametrize("text", [
    "a" * 150, "lol " * 40, "😭" * 130, "AAAAAAAAAAH " * 12, "je t'aime " * 20, "haha" * 40,
])
def test_a_wall_of_one_thing_repeated_is_rejected(check, text):
    verdict = check(candidate(text))
    assert verdict is not None
    assert (verdict.action, verdict.code) == (Action.REJECT, "repeated")


@pytest.mark.parametrize("text", ["noooooooooooon", "AAAAAAAAAAAAAAAAAAAAH", "😭😭😭😭😭😭😭😭", "lol lol lol lol lol"])
def test_short_repeated_cries_pass(check, text):
    assert check(candidate(text)) is None


def test_a_long_ordinary_message_is_no_wall(check):
    assert not check.is_wall(LONG * 3)


def test_helpers_are_not_checked(check):
    assert check(candidate(LONG, recent=(LONG,), role="helper")) is None


def test_fold_drops_case_accents_punctuation_and_emoji():
    assert fold("Ça VA ?! 😂 Très bien…") == b"ca va tres bien"


def test_the_cache_stays_bounded():
    check = RepetitionCheck(cache_size=3)
    for i in range(10):
        check(candidate(f"{LONG} {i}", recent=(LONG,)))
    assert len(check._cache) <= 3
