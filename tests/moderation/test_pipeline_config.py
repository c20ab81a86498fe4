"""The `[moderation]` table: defaults, validation, per-room link policies, helpline allowlists."""

from __future__ import annotations

import tomllib

import pytest

from moderation.notices import HELD_REASON_TEXTS, REJECTED_REASON_TEXTS, held_text, rejected_text
from moderation.pipeline_config import CHECK_NAMES, PipelineConfig
from rooms.configuration import ConfigError, Table

SNIPPET = """
[moderation]
checks = ["crisis", "personal_data", "links", "abusive", "repetition"]
exempt_roles = ["helper", "admin"]
link_policy = "hold"
links_allowed_in = []
links_held_in = []
links_rejected_in = []
link_allowlist = ["3114.fr", "sos-amitie.com", "filsantejeunes.com", "suicide-ecoute.fr", "preventionsuicide.be",
                  "147.ch", "143.ch", "suicide.ca", "samaritans.org", "988lifeline.org", "pieta.ie", "giveusashout.org"]
phone_allowlist = ["09 72 39 40 50", "01 45 39 40 00", "0 800 235 236", "0 800 23 13 13"]
repeat_similarity = 0.9
repeat_min_length = 30
wall_min_length = 120
wall_share = 0.8
"""


def table(**raw: object) -> Table:
    return Table(raw, "moderation")


def test_an_empty_table_gives_the_defaults():
    assert PipelineConfig.from_table(table()) == PipelineConfig()


def test_the_documented_snippet_gives_the_defaults():
    raw = tomllib.loads(SNIPPET)["moderation"]
    assert PipelineConfig.from_table(Table(raw, "moderation")) == PipelineConfig()


def test_an_unknown_key_is_refused():
    with pytest.raises(ConfigError, match=r"moderation\.link_polcy: unknown key"):
        PipelineConfig.from_table(table(link_polcy="hold"))


def test_an_unknown_check_is_refused():
    with pytest.raises(ConfigError, match="unknown check 'spam'"):
        PipelineConfig.from_table(table(checks=["spam"]))


def test_checks_keep_the_shipped_order_whatever_the_order_written():
    config = PipelineConfig.from_table(table(checks=["repetition", "crisis"]))
    assert config.checks == ("crisis", "repetition")
    assert set(config.checks) <= set(CHECK_NAMES)


def test_a_bad_link_policy_is_refused():
    with pytest.raises(ConfigError, match="link_policy: must be one of"):
        PipelineConfig.from_table(table(link_policy="maybe"))


def test_a_room_in_two_link_lists_is_refused():
    with pytest.raises(ConfigError, match="'nuit' is also in"):
        PipelineConfig.from_table(table(links_allowed_in=["nuit"], links_rejected_in=["nuit"]))


def test_each_room_gets_its_link_policy():
    config = PipelineConfig.from_table(
        table(link_policy="hold", links_allowed_in=["proches"], links_rejected_in=["nuit"]),
    )
    assert (config.link_policy_for("proches"), config.link_policy_for("nuit"), config.link_policy_for("deuil")) == (
        "allow", "reject", "hold")


def test_an_allowlisted_site_must_be_a_domain():
    with pytest.raises(ConfigError, match="link_allowlist"):
        PipelineConfig.from_table(table(link_allowlist=["https://3114.fr/page"]))


def test_allowlisted_sites_are_read_in_lower_case_without_www():
    assert PipelineConfig.from_table(table(link_allowlist=["WWW.3114.FR"])).link_allowlist == ("3114.fr",)


def test_an_allowlisted_number_must_be_a_number():
    with pytest.raises(ConfigError, match="phone_allowlist"):
        PipelineConfig.from_table(table(phone_allowlist=["SOS"]))


def test_thresholds_are_range_checked():
    with pytest.raises(ConfigError, match="repeat_similarity"):
        PipelineConfig.from_table(table(repeat_similarity=1.5))


def test_helpline_cards_extend_the_allowlists():
    config = PipelineConfig().with_helplines(["1 866 277-3553"], ["https://www.suicide.ca/x", "https://new.example.org"])
    assert "1 866 277-3553" in config.phone_allowlist
    assert "new.example.org" in config.link_allowlist
    assert config.link_allowlist.count("suicide.ca") == 1


def test_every_held_code_has_a_french_and_an_english_text():
    assert set(HELD_REASON_TEXTS) == {"personal_data", "link", "abusive", "repeated", "premoderated", "review"}
    assert all(fr and en and fr != en for fr, en in HELD_REASON_TEXTS.values())
    assert set(REJECTED_REASON_TEXTS) == {"link", "repeated"}


def test_notices_follow_the_locale_french_first():
    assert held_text("personal_data", "en-GB").startswith("Your message")
    assert held_text("personal_data", "fr").startswith("Votre message")
    assert held_text("personal_data", "de").startswith("Votre message")
    assert rejected_text("link", "en").startswith("Links")


def test_a_code_without_a_text_gets_the_generic_one():
    assert held_text("newer_check", "fr") == held_text(None, "fr")
    assert rejected_text("newer_check", "en") == "This message wasn't posted in this room."
