"""Generated and wished pseudonyms."""

from __future__ import annotations

import random

import pytest

from rooms.pseudonyms import PseudonymError, Pseudonyms, normalise_name

NAMES = Pseudonyms(rng=random.Random(7))


def test_french_pseudonyms_are_an_animal_then_an_agreeing_adjective():
    """'Loutre douce', never 'Loutre doux': the adjective agrees with the animal."""
    for _ in range(200):
        name = NAMES.generate("fr")
        assert 2 <= len(name) <= 32 and NAMES.validate(name) == name


def test_english_pseudonyms_are_an_adjective_then_an_animal():
    """English names read like 'Calm Heron' and are valid wishes too."""
    name = NAMES.generate("en")
    assert name.split()[0][0].isupper() and NAMES.validate(name) == name


def test_a_wish_is_granted_trimmed():
    """Surrounding white space is trimmed; inner characters are kept as written."""
    assert NAMES.validate("  Héron  du soir ") == "Héron  du soir"


@pytest.mark.parametrize("wish", ["Zoé", "Ōkami", "Лиса тихая", "J.-P. d'Arc", "Renard 42"])
def test_letters_of_any_script_digits_and_some_punctuation_are_allowed(wish):
    """Letters of any script, digits, spaces, - ' and . make a valid pseudonym."""
    assert NAMES.validate(wish) == wish


@pytest.mark.parametrize(
    "wish",
    ["a", "x" * 33, "<script>", "bob_", "emoji 🙂", "1234", "Modérateur", "ADMIN", "pair aidant",
     "superadmin", "Pair-Aidante Zoé", "Entraide officiel", "m0d3rat0r"],
)
def test_invalid_or_staff_imitating_wishes_are_refused(wish):
    """Bad length or characters, no letter, or a staff title: refused."""
    with pytest.raises(PseudonymError):
        NAMES.validate(wish)


def test_short_blocked_words_do_not_refuse_innocent_names():
    """Whole-word matching: 'Faucon' is not refused for containing a short insult."""
    assert NAMES.validate("Faucon tranquille") == "Faucon tranquille"


def test_uniqueness_ignores_case_accents_and_spacing():
    """'Héron  Calme' and 'heron calme' are the same name for uniqueness."""
    assert normalise_name("Héron  Calme") == normalise_name("heron calme")
