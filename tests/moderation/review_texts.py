"""Messages the shipped model scores just below its flag threshold: the review tier's examples.

Which exact messages fall there depends on the trained weights, so the tests take the first of a
few candidates that does; after training again, at least one should still be there.
"""

from __future__ import annotations

from moderation.crisis import CrisisDetector
from tests.moderation.candidates import pick

CANDIDATES = {
    "fr": (
        "je vous remercie de m'avoir écoutée toutes ces semaines",
        "je me sens comme un poids pour tout le monde",
        "merci pour tout, vraiment",
        "ça ira mieux pour tout le monde bientôt",
        "j'ai rendu les clés et réglé les dernières factures",
        "c'est la dernière fois que je vous écris",
    ),
    "en": (
        "I do not have the strength to keep going like this",
        "tomorrow they will understand why, I wrote each of them a letter",
        "nobody will notice when I am gone",
        "thanks for everything, really",
        "this is the last time I write here",
        "you will all be missed",
        "I am so tired of all of it",
    ),
}


def review_texts(lang: str, count: int) -> list[str]:
    """`count` different messages the shipped detector marks for review."""
    detector = CrisisDetector.shipped()
    # Marked for review by the fast reading and not flagged by the second one either.
    return pick(CANDIDATES[lang], count, lambda text: detector.detect_fully(text, lang).review,
                f"in {lang} are marked for review")


def review_text(lang: str) -> str:
    return review_texts(lang, 1)[0]
