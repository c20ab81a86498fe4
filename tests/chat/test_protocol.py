"""Decoding inbound frames: types, fields and the protocol's error codes."""

from __future__ import annotations

import pytest

from chat.errors import FrameError
from chat.protocol import Hello, Join, Say, decode_inbound, encode, normalise_locale


def code_of(text: str) -> tuple[str, str | None]:
    with pytest.raises(FrameError) as caught:
        decode_inbound(text)
    return caught.value.code, caught.value.ref


def test_a_say_frame_is_decoded():
    """Fields come out typed; cw is optional."""
    assert decode_inbound('{"type":"say","room":"a","text":"t","ref":"r"}') == Say("a", "t", None, "r")


def test_hello_without_token_or_locale_is_a_new_french_session():
    """Absent token and locale mean a new session in French."""
    assert decode_inbound('{"type":"hello"}') == Hello(None, "fr")


@pytest.mark.parametrize(
    ("text", "code"),
    [("not json", "bad_json"), ("[1,2]", "bad_json"), ('"x"', "bad_json"), ("{}", "bad_frame"),
     ('{"type":3}', "bad_frame"), ('{"type":"dance"}', "unknown_type"),
     ('{"type":"say","room":"a"}', "bad_field"), ('{"type":"join","room":5}', "bad_field"),
     ('{"type":"join","room":"a","ref":5}', "bad_field")],
)
def test_malformed_frames_get_the_protocol_codes(text, code):
    """Each kind of malformed frame maps to its §9 code."""
    assert code_of(text)[0] == code


def test_the_ref_comes_back_with_a_field_error():
    """A bad field in a frame with a ref carries the ref."""
    assert code_of('{"type":"say","room":"a","ref":"c2"}') == ("bad_field", "c2")


def test_join_since_and_pseudonym_are_optional():
    """Null since and pseudonym are the defaults."""
    assert decode_inbound('{"type":"join","room":"a"}') == Join("a", None, None)


@pytest.mark.parametrize(
    ("raw", "locale"), [("fr", "fr"), ("EN", "en"), ("fr_be", "fr-BE"), ("de", "fr"), ("??", "fr")]
)
def test_locales_are_normalised(raw, locale):
    """Known languages are kept with their region; others fall back to French."""
    assert normalise_locale(raw) == locale


def test_encoding_keeps_accents_and_is_compact():
    """Outbound text is UTF-8 JSON without ASCII escapes or spaces."""
    assert encode({"type": "x", "t": "é"}) == '{"type":"x","t":"é"}'
