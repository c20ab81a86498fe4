"""What a writer privately reads when the pipeline holds or refuses their message (fr, en).

Keyed by the verdict's ``code``. The texts are warm and plain: they say what happened, why,
and what the person can do, never that they did wrong. `HELD_REASON_TEXTS` go with a held
message (it waits for a helper and may still be published), `REJECTED_REASON_TEXTS` with a
refused one. A code without a text here (a newer check) falls back to the generic text.
"""

from __future__ import annotations

from typing import Final

__all__ = ["HELD_REASON_TEXTS", "REJECTED_REASON_TEXTS", "held_text", "rejected_text"]

HELD_REASON_TEXTS: Final[dict[str, tuple[str, str]]] = {
    "personal_data": (
        "Votre message n'est pas publié pour l'instant : il semble contenir une information qui "
        "pourrait vous identifier (numéro de téléphone, adresse, e-mail ou compte de réseau social). "
        "C'est pour vous protéger : ici, vous restez anonyme. Un·e pair-aidant·e va le relire ; "
        "vous pouvez aussi le réécrire sans cette information.",
        "Your message isn't posted yet: it seems to contain something that could identify you "
        "(a phone number, an address, an e-mail or a social media account). This is to protect you: "
        "here, you stay anonymous. A peer helper will read it; you can also write it again "
        "without that detail.",
    ),
    "link": (
        "Votre message contient un lien : dans ce salon, un·e pair-aidant·e relit les liens "
        "avant qu'ils soient publiés. Il apparaîtra dès qu'il aura été relu.",
        "Your message contains a link: in this room, a peer helper reads links before they are "
        "posted. It will appear once it has been read.",
    ),
    "abusive": (
        "Votre message attend la relecture d'un·e pair-aidant·e avant d'être publié : certains "
        "mots peuvent blesser les personnes qui viennent ici. Si ce n'était pas votre intention, "
        "vous pouvez le reformuler.",
        "Your message is waiting for a peer helper to read it before it is posted: some words "
        "can hurt the people who come here. If that wasn't what you meant, you can rephrase it.",
    ),
    "repeated": (
        "Votre message ressemble beaucoup à un message que vous venez d'envoyer ; il attend la "
        "relecture d'un·e pair-aidant·e. Votre premier message est bien visible dans le salon.",
        "Your message is very like one you just sent; it is waiting for a peer helper to read it. "
        "Your first message is there in the room for everyone to see.",
    ),
    "review": (
        "Votre message sera publié dès qu'un·e pair-aidant·e l'aura relu : dans ce salon, les tout premiers "
        "messages d'une nouvelle session sont relus pendant quelques minutes.",
        "Your message will be published as soon as a peer helper has read it: in this room, a new session's "
        "very first messages are read first for a few minutes.",
    ),
    "premoderated": (
        "Dans ce salon, chaque message est relu par un·e pair-aidant·e avant d'être publié. "
        "Le vôtre apparaîtra dès qu'il aura été relu.",
        "In this room, a peer helper reads every message before it is posted. Yours will appear "
        "once it has been read.",
    ),
}

REJECTED_REASON_TEXTS: Final[dict[str, tuple[str, str]]] = {
    "link": (
        "Les liens ne sont pas publiés dans ce salon. Vous pouvez décrire ce que vous vouliez "
        "partager avec vos mots.",
        "Links are not posted in this room. You can describe what you wanted to share in your own words.",
    ),
    "repeated": (
        "Ce message n'a pas été publié : il répète un message que vous venez d'envoyer, ou "
        "toujours le même mot. Votre premier message est bien visible dans le salon.",
        "This message wasn't posted: it repeats one you just sent, or the same word over and over. "
        "Your first message is there in the room for everyone to see.",
    ),
}

_HELD_DEFAULT: Final = (
    "Votre message attend la relecture d'un·e pair-aidant·e avant d'être publié.",
    "Your message is waiting for a peer helper to read it before it is posted.",
)
_REJECTED_DEFAULT: Final = (
    "Ce message n'a pas été publié dans ce salon.",
    "This message wasn't posted in this room.",
)


def _pick(texts: tuple[str, str], locale: str) -> str:
    # French first: any locale that is not English reads French, as the rest of the server does.
    return texts[1] if locale[:2].lower() == "en" else texts[0]


def held_text(code: str | None, locale: str) -> str:
    """The private notice for a held message with this verdict code, in the session's locale."""
    return _pick(HELD_REASON_TEXTS.get(code or "", _HELD_DEFAULT), locale)


def rejected_text(code: str | None, locale: str) -> str:
    """The private notice for a refused message with this verdict code, in the session's locale."""
    return _pick(REJECTED_REASON_TEXTS.get(code or "", _REJECTED_DEFAULT), locale)
