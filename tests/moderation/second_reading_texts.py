"""Crises the fast reading (phrases, rules, linear model) does not flag and the shipped encoder
does: the second reading's examples.

Which exact messages fall there depends on the trained weights, so the tests take the first of a
few candidates that does; after training again, at least one per language should still be there.
"""

from __future__ import annotations

from moderation.crisis import CrisisDetector, encoder_id
from tests.moderation.candidates import pick

CANDIDATES = {
    "fr": (
        "j'ai tout rangé et écrit une lettre à chacun, demain ils comprendront",
        "j'ai donné mon chat à la voisine et vidé mon casier, je suis prête",
        "personne ne remarquera mon absence, ce sera plus simple pour tout le monde",
        "je regarde le pont depuis ma fenêtre depuis une heure, ça me paraît simple maintenant",
        "je ne vois plus comment continuer, chaque matin est pire et je n'ai plus la force",
        "je ne me réveillerai pas demain, c'est décidé",
        "ce soir je lâche tout, définitivement",
        "demain personne n'aura plus à s'inquiéter pour moi",
        "bientôt je ne dérangerai plus personne",
        "j'ai tout mis en ordre pour que ma sœur n'ait rien à gérer",
        "je ne crois pas que je tiendrai jusqu'à dimanche",
    ),
    "en": (
        "I gave my dog to my sister and cleaned out my locker, I'm ready now",
        "everyone would be better off if I just stopped being here",
        "been sitting by the bridge for an hour and it finally feels calm",
        "tomorrow they'll understand, I wrote each of them a letter",
        "I can't see any way to keep going, every morning is worse and I'm done",
        "I won't wake up tomorrow, I've decided",
        "tonight I let go of everything, for good",
        "I am not sure I can do this much longer",
        "honestly some days I wish I could just disappear for a bit",
        "I do not think I will see the end of the week and that is for the best",
        "tomorrow they'll understand why, I wrote each of them a letter",
    ),
}


def second_reading_texts(lang: str, count: int) -> list[str]:
    """`count` different messages that only the shipped detector's encoder flags."""
    detector = CrisisDetector.shipped()
    return pick(CANDIDATES[lang], count, lambda text: detector.detect_fully(text, lang).matches == (encoder_id(lang),),
                f"in {lang} are flagged by the encoder alone")


def second_reading_text(lang: str) -> str:
    return second_reading_texts(lang, 1)[0]
