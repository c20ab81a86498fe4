"""The crisis detector: one behaviour per test."""

from __future__ import annotations

import pytest

from moderation.crisis import (
    CATEGORIES,
    CrisisDetector,
    Lexicon,
    Pattern,
    Rule,
    expand_phrase,
    load_shipped,
    parse_shipped,
)
from moderation.normalise import normaliser_for


@pytest.fixture(scope="module")
def detector() -> CrisisDetector:
    return CrisisDetector.shipped()


def flagged(detector: CrisisDetector, text: str, lang: str) -> bool:
    return detector.detect(text, lang).flagged


@pytest.mark.parametrize(("text", "lang"), [
    ("je suis mort de rire", "fr"), ("je meurs de faim", "fr"), ("on a tué le temps", "fr"),
    ("je veux mourir de honte", "fr"), ("this exam is killing me", "en"), ("i could kill for a coffee", "en"),
    ("i'm dying to see it", "en"), ("dead tired", "en"), ("that dress is to die for", "en"),
    ("demander de l'aide c'est pas être faible", "fr"), ("« être ou ne pas être », on étudie Hamlet", "fr"),
    ("to be or not to be, we read Hamlet today", "en"),
])
def test_idioms_are_not_flagged(detector, text, lang):
    assert not flagged(detector, text, lang)


def test_an_idiom_does_not_hide_a_real_wish_in_the_same_message(detector):
    assert flagged(detector, "je veux mourir de honte. non sérieux je veux mourir", "fr")


@pytest.mark.parametrize("text", ["jveux mourir", "chui suicidaire", "g envie den finir", "jpp jveux mourir"])
def test_sms_spellings_are_flagged(detector, text):
    assert flagged(detector, text, "fr")


@pytest.mark.parametrize(("text", "lang"), [
    ("je veux m o u r i r", "fr"), ("je veux m.o.u.r.i.r", "fr"), ("i want to d-i-e", "en"), ("k.m.s", "en"),
])
def test_spaced_or_dotted_letters_are_flagged(detector, text, lang):
    assert flagged(detector, text, lang)


def test_missing_accents_elongations_and_leetspeak_are_flagged(detector):
    assert flagged(detector, "JE VEUX MOURIIIIR", "fr")
    assert flagged(detector, "j'ai envie de disparaitre", "fr")
    assert flagged(detector, "i w4nt t0 d1e", "en")


def test_matching_is_on_whole_words(detector):
    assert not flagged(detector, "le juge va statuer demain", "fr")
    assert not flagged(detector, "je vais me tuerie", "fr")
    assert flagged(detector, "je vais me tuer", "fr")


def test_someone_else_asking_is_not_the_writers_wish(detector):
    assert not flagged(detector, "est-ce que tu as envie de mourir ?", "fr")
    assert not flagged(detector, "are you thinking about killing yourself?", "en")


def test_negation_is_not_a_wish(detector):
    assert not flagged(detector, "je veux pas mourir", "fr")
    assert not flagged(detector, "j'ai pas envie de mourir", "fr")
    assert not flagged(detector, "i don't want to die", "en")
    assert not flagged(detector, "ça fait un an que je me scarifie plus", "fr")


def test_a_film_or_the_news_about_someone_else_is_not_flagged(detector):
    assert not flagged(detector, "dans le film le personnage veut se suicider", "fr")
    assert not flagged(detector, "in the movie he tries to kill himself", "en")


def test_a_recovery_story_told_in_the_past_is_not_flagged(detector):
    assert not flagged(detector, "il y a trois ans je voulais mourir, aujourd'hui je vais mieux", "fr")
    assert not flagged(detector, "five years ago i tried to kill myself, now i'm doing well", "en")


def test_a_past_mention_with_present_distress_is_flagged(detector):
    assert flagged(detector, "il y a deux ans j'ai voulu mourir et ce soir ça recommence", "fr")
    assert flagged(detector, "years ago i tried to kill myself and it's coming back tonight", "en")


def test_abstract_talk_about_prevention_is_not_flagged(detector):
    assert not flagged(detector, "le 3114 est le numéro national de prévention du suicide", "fr")
    assert not flagged(detector, "suicide is preventable, talk about it", "en")


@pytest.mark.parametrize(("text", "lang", "category"), [
    ("je veux mourir", "fr", "ideation"),
    ("j'ai acheté une corde", "fr", "plan"),
    ("je me scarifie", "fr", "self_harm"),
    ("adieu à tous", "fr", "farewell"),
    ("mon frère parle de se suicider", "fr", "concern_other"),
    ("i have suicidal thoughts", "en", "ideation"),
    ("i'm going to jump off the bridge", "en", "plan"),
    ("i cut myself again", "en", "self_harm"),
    ("this is my last message", "en", "farewell"),
    ("my friend wants to kill herself", "en", "concern_other"),
])
def test_each_category_is_reported(detector, text, lang, category):
    result = detector.detect(text, lang)
    assert result.flagged and category in result.categories
    assert set(result.categories) <= set(CATEGORIES)


def test_concern_needs_a_named_relation(detector):
    assert not flagged(detector, "quelqu'un veut se suicider dans ce livre", "fr")
    assert detector.detect("ma sœur veut se suicider", "fr").categories == ("concern_other",)


@pytest.mark.parametrize(("text", "lang", "severity"), [
    ("je veux mourir", "fr", "high"),
    ("j'ai avalé toute la plaquette", "fr", "high"),
    ("adieu tout le monde", "fr", "high"),
    ("j'aimerais ne pas me réveiller", "fr", "medium"),
    ("i wish i wasn't here", "en", "medium"),
    ("my sister is suicidal", "en", "medium"),
    ("je me scarifie", "fr", "medium"),
])
def test_severities(detector, text, lang, severity):
    assert detector.detect(text, lang).severity == severity


def test_a_time_makes_it_high(detector):
    assert detector.detect("j'aimerais ne pas me réveiller", "fr").severity == "medium"
    assert detector.detect("ce soir j'aimerais ne pas me réveiller", "fr").severity == "high"


def test_laughter_lowers_severity_but_keeps_the_flag(detector):
    result = detector.detect("je veux mourir mdr", "fr")
    assert result.flagged and result.severity == "medium"


def test_not_flagged_is_none(detector):
    result = detector.detect("bonjour tout le monde", "fr")
    assert result.to_json() == {"flagged": False, "severity": "none", "categories": [], "matches": [], "review": False}


def test_matches_name_the_patterns_that_held(detector):
    assert detector.detect("je veux mourir", "fr").matches == ("fr.ideation.vouloir_mourir",)


def test_a_regional_language_tag_reads_as_its_language(detector):
    assert flagged(detector, "je veux mourir", "fr-CA")
    assert flagged(detector, "i want to die", "en_GB")


def test_an_unknown_language_is_scanned_in_all(detector):
    assert flagged(detector, "i want to die", "de")


def test_explain_points_at_the_raw_text(detector):
    text = "Franchement, j’ai ENVIE de m o u r i r."
    (explanation,) = detector.explain(text, "fr")
    assert text[explanation.start:explanation.end] == "j’ai ENVIE de m o u r i r"


def test_an_added_pattern_flags():
    added = Pattern(id="fr.admin.test", locale="fr", phrase="envie de {partir|m'en aller} loin de tout",
                    category="ideation", severity="low")
    detector = CrisisDetector.with_overrides(added=[added])
    result = detector.detect("j'ai envie de partir loin de tout", "fr")
    assert result.flagged and result.matches == ("fr.admin.test",) and result.severity == "low"


def test_a_disabled_pattern_no_longer_flags():
    assert CrisisDetector.shipped().detect("je veux mourir", "fr").flagged
    detector = CrisisDetector.with_overrides(disabled=["fr.ideation.vouloir_mourir", "fr.rule.wish_death", "fr.model"])
    assert not detector.detect("je veux mourir", "fr").flagged


def test_a_rule_then_the_model_still_catch_what_a_disabled_phrase_said_until_disabled_too():
    detector = CrisisDetector.with_overrides(disabled=["fr.ideation.vouloir_mourir"])
    assert detector.detect("je veux mourir", "fr").matches == ("fr.rule.wish_death",)
    detector = CrisisDetector.with_overrides(disabled=["fr.ideation.vouloir_mourir", "fr.rule.wish_death"])
    # The model still reads it: flagged, or, just below its threshold, sent for review.
    assert detector.detect("je veux mourir", "fr").matches in (("fr.model",), ("fr.review",))


def test_an_added_pattern_with_a_shipped_id_replaces_it():
    edited = Pattern(id="fr.ideation.vouloir_mourir", locale="fr", phrase="je veux mourir", category="ideation",
                     severity="medium")
    detector = CrisisDetector.with_overrides(added=[edited], disabled=["fr.rule.wish_death", "fr.model"])
    assert detector.detect("je veux mourir", "fr").severity == "medium"
    assert not detector.detect("je voudrais mourir", "fr").flagged


def test_a_pattern_marked_disabled_is_left_out():
    off = Pattern(id="x", locale="en", phrase="purple", category="ideation", severity="high", enabled=False)
    assert not CrisisDetector([off], {}).detect("purple", "en").flagged


def test_a_detector_without_a_lexicon_still_matches_phrases():
    pattern = Pattern(id="x", locale="en", phrase="{blue|green} sky*", category="plan", severity="high")
    detector = CrisisDetector([pattern], {"en": Lexicon()})
    assert detector.detect("the green skyline", "en").matches == ("x",)


def test_an_invalid_pattern_is_refused():
    with pytest.raises(ValueError, match="unknown category"):
        Pattern(id="x", locale="fr", phrase="x", category="sadness", severity="high")


def test_phrase_alternatives_expand_and_nest():
    assert sorted(expand_phrase("a {b|c {d|}}")) == ["a b", "a c ", "a c d"]


def test_shipped_patterns_have_unique_ids_in_both_languages():
    shipped = load_shipped()
    ids = [p.id for p in shipped.patterns]
    assert len(ids) == len(set(ids))
    assert {p.locale for p in shipped.patterns} == {"fr", "en"}
    assert {p.category for p in shipped.patterns} == set(CATEGORIES)


@pytest.mark.parametrize(("text", "lang"), [
    ("je vais le faire ce soir", "fr"), ("j'ai les médicaments", "fr"), ("i'm doing it tonight", "en"),
    ("i wrote a note for my parents", "en"), ("tonight's the night", "en"),
])
def test_a_vague_act_or_a_means_alone_is_not_flagged(detector, text, lang):
    assert not flagged(detector, text, lang)


@pytest.mark.parametrize(("text", "lang"), [
    ("j'ai prévu de le faire ce week-end, j'ai les médicaments", "fr"),
    ("je vais le faire, je reviendrai pas", "fr"),
    ("i'm doing it tonight, i have the pills", "en"),
    ("i wrote a note and left it on my pillow", "en"),
    ("tonight's the night, i have everything i need", "en"),
])
def test_a_vague_act_with_a_second_cue_is_a_plan(detector, text, lang):
    result = detector.detect(text, lang)
    assert result.flagged and result.severity == "high"


@pytest.mark.parametrize(("text", "lang"), [
    ("j'ai prévu de le faire ce week-end, le ménage, j'ai les médicaments de maman à ranger aussi", "fr"),
    ("my doctor wants me off the meds tonight, i'm going to do it slowly", "en"),
])
def test_an_ordinary_object_or_routine_cancels_a_vague_act(detector, text, lang):
    assert not flagged(detector, text, lang)


def test_needs_entries_are_one_kind_or_all_of_several():
    lexicon = Lexicon(markers={"means": ("the pills",), "imminent": ("tonight",)})
    pattern = Pattern(id="x", locale="en", phrase="do it", category="plan", severity="high",
                      needs=("means+imminent",))
    detector = CrisisDetector([pattern], {"en": lexicon})
    assert not detector.detect("do it, the pills", "en").flagged
    assert not detector.detect("do it tonight", "en").flagged
    assert detector.detect("do it tonight, the pills", "en").flagged


def test_an_unmet_vague_phrase_does_not_hide_a_nested_pattern():
    lexicon = Lexicon(markers={"means": ("the pills",)})
    vague = Pattern(id="vague", locale="en", phrase="i want to die tonight", category="plan", severity="high",
                    needs=("means",))
    inner = Pattern(id="inner", locale="en", phrase="want to die", category="ideation", severity="high")
    detector = CrisisDetector([vague, inner], {"en": lexicon})
    assert detector.detect("i want to die tonight", "en").matches == ("inner",)


def test_an_idiom_cancels_a_cue_it_overlaps_but_not_other_markers():
    lexicon = Lexicon(exclusions=("ready for the",), markers={"resolve": ("i am ready",), "benign": ("ready",)})
    act = Pattern(id="act", locale="en", phrase="do it", category="plan", severity="high", needs=("resolve",))
    cut = Pattern(id="cut", locale="en", phrase="cut myself", category="self_harm", severity="medium",
                  unless=("benign",))
    detector = CrisisDetector([act, cut], {"en": lexicon})
    assert detector.detect("i am ready, do it", "en").flagged
    assert not detector.detect("i am ready for the exam, do it", "en").flagged
    assert not detector.detect("i am ready for the exam, cut myself", "en").flagged


def test_shipped_needs_and_unless_name_marker_kinds_of_their_locale():
    shipped = load_shipped()
    for pattern in shipped.patterns:
        kinds = set(shipped.lexicons[pattern.locale].markers)
        named = {kind for entry in pattern.needs for kind in entry.split("+")} | set(pattern.unless)
        assert named <= kinds, f"{pattern.id}: {sorted(named - kinds)}"


def test_no_shipped_vague_phrase_holds_by_its_own_words(detector):
    # A pattern that needs a second cue must not carry that cue itself: every spelling alone is
    # not enough for it.
    for pattern in load_shipped().patterns:
        if pattern.needs:
            for spelling in expand_phrase(pattern.phrase):
                assert pattern.id not in detector.detect(spelling.rstrip("$"), pattern.locale).matches, spelling


# --- rules: crises told in no set phrase -------------------------------------------------------

CUES = Lexicon(
    exclusions=("corde à sauter",),
    markers={
        "means": ("corde", "cachets"), "stock": ("mis de côté",), "when": ("ce soir",), "relation": ("ma sœur",),
        "past_context": ("il y a deux ans",), "now": ("à nouveau",), "media": ("film",),
    },
)


def rule(when: tuple[str, ...], *, category: str = "plan", unless: tuple[str, ...] = ()) -> Rule:
    return Rule(id="r", locale="fr", when=when, category=category, severity="high", unless=unless)


def test_a_rule_holds_when_its_cues_are_all_in_the_message_in_any_order():
    detector = CrisisDetector([], {"fr": CUES}, [rule(("means+stock",))])
    assert detector.detect("j'ai mis de côté les cachets", "fr").matches == ("r",)
    assert detector.detect("les cachets, je les ai mis de côté", "fr").flagged


def test_a_rule_does_not_hold_on_one_of_its_cues_alone():
    detector = CrisisDetector([], {"fr": CUES}, [rule(("means+stock",))])
    assert not detector.detect("j'ai pris mes cachets", "fr").flagged


def test_any_one_entry_of_a_rule_is_enough():
    detector = CrisisDetector([], {"fr": CUES}, [rule(("means+stock", "means+when"))])
    assert detector.detect("les cachets ce soir", "fr").flagged


def test_a_cue_inside_an_idiom_does_not_count():
    detector = CrisisDetector([], {"fr": CUES}, [rule(("means+when",))])
    assert not detector.detect("ce soir corde à sauter au gymnase", "fr").flagged


def test_a_rule_is_cancelled_by_a_marker_it_lists_under_unless_but_not_when_it_is_happening_again():
    detector = CrisisDetector([], {"fr": CUES}, [rule(("means+stock",), unless=("past_context",))])
    assert not detector.detect("il y a deux ans j'avais mis de côté des cachets", "fr").flagged
    assert detector.detect("il y a deux ans j'avais mis de côté des cachets, et à nouveau", "fr").flagged


def test_a_concern_rule_needs_someone_named_and_no_film():
    detector = CrisisDetector([], {"fr": CUES}, [rule(("means+stock",), category="concern_other")])
    assert not detector.detect("des cachets mis de côté", "fr").flagged
    assert detector.detect("ma sœur a mis de côté des cachets", "fr").categories == ("concern_other",)
    assert not detector.detect("dans le film ma sœur a mis de côté des cachets", "fr").flagged


def test_rules_speak_only_where_no_phrase_holds():
    phrase = Pattern(id="p", locale="fr", phrase="mis de côté les cachets", category="plan", severity="high")
    detector = CrisisDetector([phrase], {"fr": CUES}, [rule(("means+stock",))])
    assert detector.detect("j'ai mis de côté les cachets", "fr").matches == ("p",)


def test_a_disabled_shipped_rule_no_longer_flags(detector):
    text = "j'ai mis de côté toutes mes plaquettes de lexomil depuis cet été"
    assert "fr.rule.means_ready" in detector.detect(text, "fr").matches
    assert "fr.rule.means_ready" not in CrisisDetector.with_overrides(disabled=["fr.rule.means_ready"]).detect(
        text, "fr").matches


def test_a_rule_naming_a_cue_kind_the_lexicon_lacks_is_refused():
    data = {"fr": {"markers": {"means": ["corde"]}, "rules": [
        {"id": "r", "when": ["means+nowhere"], "category": "plan", "severity": "high"}]}}
    with pytest.raises(ValueError, match="nowhere"):
        parse_shipped(data)


def test_a_rule_and_a_pattern_cannot_share_an_id():
    data = {"fr": {"markers": {"means": ["corde"]},
                   "patterns": [{"id": "x", "phrase": "corde", "category": "plan", "severity": "high"}],
                   "rules": [{"id": "x", "when": ["means"], "category": "plan", "severity": "high"}]}}
    with pytest.raises(ValueError, match="duplicate"):
        parse_shipped(data)


@pytest.mark.parametrize(("text", "lang"), [
    ("je prie chaque soir pour ne plus me réveiller", "fr"),
    ("I've been collecting my oxycodone, I have about 40 now", "en"),
    ("j'ai laissé les clés chez la voisine et un mot pour mon fils, merci pour votre écoute", "fr"),
    ("my arms are covered in cuts and I don't know how to hide them", "en"),
    ("mon frère a donné sa moto, il dit qu'il en aura plus besoin", "fr"),
])
def test_shipped_rules_catch_crises_told_in_other_words(detector, text, lang):
    result = detector.detect(text, lang)
    assert result.flagged and any(".rule." in m for m in result.matches), result


@pytest.mark.parametrize(("text", "lang"), [
    ("ma mère a une réserve de médicaments pour le voyage", "fr"),
    ("si quelqu'un a envie de mourir il faut l'écouter sans juger", "fr"),
    ("I left instructions for the cat sitter, thanks for the tips", "en"),
    ("Three years free from self-harm today, the scars are still there", "en"),
])
def test_shipped_rules_leave_everyday_messages_with_the_same_words_alone(detector, text, lang):
    assert not flagged(detector, text, lang)


# Rule entries that one cue phrase may meet by itself, because that phrase alone says enough:
# "hide my arms", "je connais le dosage", "je suis sur le toit", "set a date", "je serai plus là".
# Any other entry met by a single phrase is a mistake of the lists (a phrase in two kinds, or one
# holding another's words): "easier for everyone" once made every such message an ideation.
SINGLE_PHRASE_ENTRIES = {
    "fr": {"body+hide", "body+injury", "hide+injury", "death+wish", "drug+research", "final+gone_soon", "here+place",
           "intent+research", "resolve+when_set"},
    "en": {"body+injury", "here+place", "intent+research", "research+when_set"},
}


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_no_rule_entry_is_met_by_one_cue_phrase_unless_listed(lang):
    shipped = load_shipped()
    normalise = normaliser_for(lang)
    groups = {frozenset(g.split("+")) for r in shipped.rules if r.locale == lang for g in r.when}
    kinds_of: dict[str, set[str]] = {}
    for kind in set().union(*groups):
        for phrase in shipped.lexicons[lang].markers.get(kind, ()):
            for spelling in expand_phrase(phrase):
                words = normalise(spelling.rstrip("$").rstrip("*"))
                if words:
                    kinds_of.setdefault(words, set()).add(kind)
    by_first_word: dict[str, list[str]] = {}
    for words in kinds_of:
        by_first_word.setdefault(words.split()[0], []).append(words)
    found = set()
    for words, kinds in kinds_of.items():
        met, padded = set(kinds), f" {words} "
        for token in words.split():
            for inner in by_first_word.get(token, ()):
                if f" {inner} " in padded:
                    met |= kinds_of[inner]
        found |= {"+".join(sorted(g)) for g in groups if len(g) > 1 and g <= met}
    assert found <= SINGLE_PHRASE_ENTRIES[lang], sorted(found - SINGLE_PHRASE_ENTRIES[lang])
