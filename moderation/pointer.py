"""The crisis pointer card (protocol §7): what the writer alone sees, in their language.

Detection says *what* was written (`moderation.crisis`); this module says what the person
is told, following the safe-messaging rules of `shared/helplines.md`: warm and plain, help
available now, honest about what happens next (a peer, not a clinician; or nobody on duty
right now), an emergency path, never the method or place echoed back, never a moderation
tone. The lines themselves come from the locale's helpline card (config, or an admin's).
"""

from __future__ import annotations

from typing import Any

from moderation.helplines import HelplineCard

__all__ = ["about_someone_else", "pointer_frame"]

# (French, English). The card's own text (from config or an admin) comes first; then what
# happens next, which only the server knows.
_NEXT = {
    "alerted": (
        "Vous n'avez pas à rester seul·e avec ça : un·e pair-aidant·e de permanence a été prévenu·e "
        "et va vous écrire ici. C'est une personne qui a traversé des choses difficiles elle aussi, "
        "pas un·e soignant·e.",
        "You don't have to face this alone: a peer helper on duty has been told and will write to you "
        "here. They are someone who has been through hard times too, not a clinician.",
    ),
    "unavailable": (
        "Nous préférons vous le dire honnêtement : aucun·e pair-aidant·e n'est disponible en ce moment. "
        "Les lignes ci-dessous répondent 24h/24, gratuitement : vous pouvez les appeler maintenant, "
        "et revenir ici quand vous voulez.",
        "We'd rather tell you honestly: no peer helper is available right now. The lines below answer "
        "day and night, free: you can call them now, and come back here whenever you like.",
    ),
    "private": (
        "La personne pair-aidante avec qui vous parlez lit ce que vous écrivez et reste avec vous. "
        "Les lignes ci-dessous répondent aussi, 24h/24, si vous avez besoin d'une autre voix.",
        "The peer helper you are talking with reads what you write and is staying with you. The lines "
        "below also answer, day and night, if you need another voice.",
    ),
}
_OTHER = (
    "Vous vous inquiétez pour quelqu'un : c'est important d'en parler, et vous avez bien fait de "
    "l'écrire. Les lignes ci-dessous conseillent aussi les proches. Si la personne est en danger "
    "immédiat, appelez les urgences indiquées ci-dessous.",
    "You're worried about someone: it matters to talk about it, and you did well to write it. The lines "
    "below also advise people who are worried about someone. If they are in immediate danger, call the "
    "emergency number below.",
)
_FALLBACK_TITLE = ("Vous n'êtes pas seul·e", "You're not alone")


def _pick(texts: tuple[str, str], locale: str) -> str:
    return texts[1] if locale.startswith("en") else texts[0]


def about_someone_else(categories: tuple[str, ...] | list[str]) -> bool:
    """Only worry for someone close: the card speaks to the one who worries."""
    return list(categories) == ["concern_other"]


def pointer_frame(
    card: HelplineCard | None, *, room: str, message_id: str, locale: str, stage: str, about_someone_else: bool,
) -> dict[str, Any]:
    """The `pointer` frame: `stage` is "alerted" (a helper was told), "unavailable" (nobody is on
    duty) or "private" (written in a tête-à-tête: the helper is reading)."""
    intro = _pick(_OTHER, locale) if about_someone_else else (card.text if card is not None else "")
    next_step = _pick(_NEXT[stage], locale)
    text = "\n".join(part for part in (intro, next_step) if part)
    return {
        "type": "pointer", "room": room, "message_id": message_id,
        "title": card.title if card is not None else _pick(_FALLBACK_TITLE, locale),
        "text": text,
        "resources": [] if card is None else [line.public() for line in card.lines],
        "variant": "other" if about_someone_else else "self", "stage": stage,
        # Additions: which card this is, and the sentence of `text` that is the server's own (what
        # happens next), so that a page can put another country's card around it when the person
        # says where they are.
        "locale": card.locale if card is not None else None, "next": next_step,
    }
