"""The personal data check: one behaviour per test, positives and the look-alikes that must pass."""

from __future__ import annotations

import pytest

from moderation.checks.personal_data import PersonalDataCheck, canonical_phone
from moderation.pipeline import Candidate
from moderation.pipeline_config import PipelineConfig
from moderation.verdict import Action


@pytest.fixture(scope="module")
def check() -> PersonalDataCheck:
    return PersonalDataCheck(PipelineConfig().phone_allowlist, exempt_roles=frozenset({"helper", "admin"}))


def candidate(text: str, role: str = "peer") -> Candidate:
    return Candidate(text, "fr", "anxiete", "s1", role, "hold", (), 0.0)


@pytest.mark.parametrize("text", [
    "appelle-moi au 06 12 34 56 78", "06.12.34.56.78", "0612345678", "06-12-34-56-78", "0 6 1 2 3 4 5 6 7 8",
    "+33 6 12 34 56 78", "+33612345678", "0033 6 12 34 56 78", "0033612345678", "+33 (0)6 12 34 56 78",
    "mon fixe 01 23 45 67 89", "tel:0612345678",
])
def test_french_phone_numbers_are_found(check, text):
    assert check.kinds(text) == ("phone number",)


@pytest.mark.parametrize("text", ["+44 20 7946 0958", "+1 415 555 2671", "+4915123456789", "0044 7700 900123"])
def test_international_phone_numbers_are_found(check, text):
    assert check.kinds(text) == ("phone number",)


@pytest.mark.parametrize("text", [
    "appelle le 3114, c'est gratuit", "le 15 ou le 112", "Samaritans: 116 123", "call or text 988",
    "SOS Amitié au 09 72 39 40 50", "SOS Amitié au +33 9 72 39 40 50", "Suicide Écoute 01 45 39 40 00",
    "Fil Santé Jeunes 0 800 235 236",
])
def test_helpline_numbers_pass(check, text):
    assert check.kinds(text) == ()


@pytest.mark.parametrize("text", [
    "on se voit à 22h30", "vers 10:30 demain", "rdv le 12/03/2024", "né le 01.02.2003", "du 01.02.2023-05.03.2023",
    "50 mg le matin", "2 x 25mg", "0,5 mg de plus", "j'ai 23 ans", "en 2019 et 2020", "12,50 €", "+15 %",
    "entre 0 et 10", "100 000 000 000 de raisons", "dans 3 mois", "le prix est +20 000€", "+1 234 567",
])
def test_times_dates_dosages_ages_years_and_prices_pass(check, text):
    assert check.kinds(text) == ()


def test_an_allowlisted_number_does_not_hide_another_in_the_same_message(check):
    assert check.kinds("le 09 72 39 40 50 ou moi au 06 12 34 56 78") == ("phone number",)


def test_canonical_phone_reads_every_spelling_of_a_french_number_alike():
    assert canonical_phone("+33 9 72 39 40 50") == canonical_phone("0033972394050") == "0972394050"
    assert canonical_phone("+33 (0)9 72 39 40 50") == "0972394050"
    assert canonical_phone("+44 20 7946 0958") == "+442079460958"


@pytest.mark.parametrize("text", [
    "julie.dupont@gmail.com", "écris à julie93@hotmail.fr", "julie @ gmail.com", "julie at gmail dot com",
    "julie arobase gmail point com", "julie [at] gmail [.] com", "julie (at) hotmail (dot) fr",
    "Julie AT Gmail DOT com",
])
def test_email_addresses_are_found_even_spelled_out(check, text):
    assert check.kinds(text) == ("e-mail address",)


@pytest.mark.parametrize("text", [
    "look at this", "I was at home at 5", "du point de vue de ma psy", "at least I tried. Point taken.",
    "mon adresse mail a changé",
])
def test_words_that_spell_an_email_alone_pass(check, text):
    assert check.kinds(text) == ()


@pytest.mark.parametrize("text", [
    "j'habite 12 rue de la Paix", "12 rue victor hugo", "3 bis avenue Foch", "12 bd Voltaire", "5 allée des Roses",
    "7 impasse du Moulin", "2 place Bellecour", "14 chemin des Vignes", "8, quai de l'Horloge",
    "221B Baker Street", "10 Downing St", "42 Oak Rd", "1600 Pennsylvania Ave", "j'habite au 12",
    "mon adresse c'est chez ma mère", "my address is 5 elm", "j’habite au 4 à côté de la gare",
])
def test_street_addresses_are_found(check, text):
    assert check.kinds(text) == ("street address",)


@pytest.mark.parametrize("text", [
    "il reste 1 place de parking", "j'ai 2 cours de yoga", "c'est à 3 rues d'ici", "I walked 3 blocks down the street",
    "j'habite au 3e étage", "j'habite à 10 minutes", "à 22h30 rue de la Paix on verra",
])
def test_numbers_near_street_words_that_are_no_address_pass(check, text):
    assert check.kinds(text) == ()


@pytest.mark.parametrize("text", [
    "insta: julie.m", "insta : @julie", "mon snap c'est julie", "my insta is jules_x", "ajoute moi sur snap",
    "ajoute-moi sur Snapchat", "add me on discord", "whatsapp me", "julie#1234", "insta @julie_x",
    "@julie sur insta", "écris-moi sur telegram", "on se parle sur whatsapp ?", "viens sur discord",
    "dm me on twitter", "suis-moi sur tiktok",
])
def test_social_handles_and_invitations_elsewhere_are_found(check, text):
    assert check.kinds(text) == ("social handle",)


@pytest.mark.parametrize("text", [
    "je suis sur insta tous les jours", "@Héron calme merci", "@Julie93 merci pour ton message",
    "signal me if you need anything", "j'ai supprimé snapchat", "that snapped me out of it", "le FBI",
    "#courage", "mon insta", "on parle de discord ici ?",
])
def test_platform_names_and_mentions_alone_pass(check, text):
    assert check.kinds(text) == ()


def test_a_message_with_personal_data_is_held_with_the_kind_as_reason(check):
    verdict = check(candidate("mon numéro : 06 12 34 56 78, mon insta: julie"))
    assert verdict is not None
    assert verdict.action is Action.HOLD
    assert verdict.code == "personal_data"
    assert verdict.reasons == ("phone number", "social handle")


def test_reasons_never_quote_the_message(check):
    verdict = check(candidate("julie.dupont@gmail.com"))
    assert verdict is not None
    assert not any("julie" in reason for reason in verdict.reasons)


def test_helpers_may_share_numbers(check):
    assert check(candidate("appelez le CMP au 01 23 45 67 89", role="helper")) is None
