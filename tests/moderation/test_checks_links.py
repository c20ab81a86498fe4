"""The links check: what a link is, the room's policy, and the allowlist."""

from __future__ import annotations

import pytest

from moderation.checks.links import LinksCheck, hosts_in
from moderation.pipeline import Candidate
from moderation.pipeline_config import PipelineConfig
from moderation.verdict import Action


@pytest.fixture(scope="module")
def check() -> LinksCheck:
    return LinksCheck(PipelineConfig().link_allowlist, exempt_roles=frozenset({"helper", "admin"}))


def candidate(text: str, policy: str = "hold", role: str = "peer") -> Candidate:
    return Candidate(text, "fr", "anxiete", "s1", role, policy, (), 0.0)


@pytest.mark.parametrize(("text", "host"), [
    ("regarde https://www.doctissimo.fr/forum?id=3", "doctissimo.fr"), ("http://example.org", "example.org"),
    ("www.example.com/page", "example.com"), ("va sur doctissimo.fr", "doctissimo.fr"), ("bit.ly/abc", "bit.ly"),
    ("discord.gg/xyz", "discord.gg"), ("t.me/julie", "t.me"), ("wa.me/33612345678", "wa.me"),
    ("forum.example.co.uk", "forum.example.co.uk"), ("HTTPS://EXAMPLE.COM", "example.com"),
])
def test_links_with_or_without_scheme_are_found(text, host):
    assert host in hosts_in(text)


@pytest.mark.parametrize("text", [
    "merci.ca va mieux", "plus.de sommeil", "tu.es là ?", "j'ai.eu peur", "I want.to go", "ok.so what",
    "julie@gmail.com", "photo.jpg", "version 2.5", "3.5 mg", "fin. Le lendemain",
])
def test_look_alikes_are_not_links(text):
    assert hosts_in(text) == []


def test_allow_policy_says_nothing(check):
    assert check(candidate("va sur doctissimo.fr", policy="allow")) is None


def test_hold_policy_holds_with_code_link(check):
    verdict = check(candidate("va sur doctissimo.fr", policy="hold"))
    assert verdict is not None
    assert (verdict.action, verdict.code, verdict.reasons) == (Action.HOLD, "link", ("link",))


def test_reject_policy_rejects_with_code_link(check):
    verdict = check(candidate("va sur doctissimo.fr", policy="reject"))
    assert verdict is not None
    assert (verdict.action, verdict.code) == (Action.REJECT, "link")


@pytest.mark.parametrize("text", [
    "le site du 3114.fr", "https://3114.fr/ressources", "https://www.samaritans.org", "988lifeline.org",
    "https://www.sos-amitie.com/web/internet/chat",
])
def test_helpline_sites_pass_whatever_the_policy(check, text):
    assert check(candidate(text, policy="reject")) is None


def test_subdomains_of_an_allowed_site_pass(check):
    assert check(candidate("https://chat.3114.fr", policy="reject")) is None


def test_a_lookalike_of_an_allowed_site_does_not_pass(check):
    assert check(candidate("https://not3114.fr", policy="hold")) is not None
    assert check(candidate("https://3114.fr.evil.com", policy="hold")) is not None


def test_an_allowed_link_does_not_carry_another(check):
    assert check(candidate("3114.fr et aussi bit.ly/xyz", policy="hold")) is not None


def test_helpers_may_post_links(check):
    assert check(candidate("https://example.org/fiche.pdf", role="helper")) is None


def test_a_message_without_links_passes(check):
    assert check(candidate("Salut tout le monde. Ça va ce soir ?")) is None
