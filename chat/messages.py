"""Every text the server writes to a websocket client, in French first and English second."""

from __future__ import annotations

__all__ = ["error_text", "invitation_text", "language_of", "notice_text"]

_ERRORS: dict[str, tuple[str, str]] = {
    "bad_json": ("Ce message n'est pas un objet JSON valide.", "This frame is not a valid JSON object."),
    "bad_frame": ("Trame invalide : un objet JSON avec un champ « type » texte est attendu.",
                  "Invalid frame: a JSON object with a string 'type' field is expected."),
    "unknown_type": ("Type de message inconnu.", "Unknown message type."),
    "bad_field": ("Un champ manque ou n'a pas le bon format.", "A field is missing or malformed."),
    "hello_required": ("Commencez par un message « hello ».", "Start with a 'hello' frame."),
    "bad_token": ("Cette session a expiré ; une nouvelle va être ouverte.",
                  "This session has expired; a new one will be opened."),
    "unknown_room": ("Ce salon n'existe pas.", "This room does not exist."),
    "room_full": ("Ce salon est complet pour le moment. Réessayez un peu plus tard.",
                  "This room is full right now. Please try again a little later."),
    "room_closed": ("Ce salon est fermé pour le moment : vous pouvez lire, pas écrire.",
                    "This room is closed right now: you can read, not write."),
    "banned": ("Vous ne pouvez plus entrer dans ce salon.", "You can no longer enter this room."),
    "pseudonym_taken": ("Ce pseudonyme est déjà pris dans ce salon.",
                        "This pseudonym is already taken in this room."),
    "pseudonym_invalid": (
        "Pseudonyme refusé : 2 à 32 caractères, lettres, chiffres, espaces, - ' et . "
        "uniquement, sans titre réservé à l'équipe.",
        "Pseudonym refused: 2 to 32 characters, letters, digits, spaces, - ' and . only, "
        "and no title reserved for the team.",
    ),
    "not_joined": ("Rejoignez d'abord ce salon.", "Join this room first."),
    "empty": ("Le message est vide.", "The message is empty."),
    "too_long": ("Le message est trop long.", "The message is too long."),
    "rate_limited": ("Vous écrivez très vite : patientez un instant.",
                     "You are writing very fast: please wait a moment."),
    "slow_mode": ("Ce salon est en mode lent : patientez un peu avant votre prochain message.",
                  "This room is in slow mode: please wait a little before your next message."),
    "muted": ("Vous ne pouvez pas écrire dans ce salon pour le moment.",
              "You cannot write in this room for now."),
    "rejected": ("Ce message ne peut pas être publié ici (voir « reason »).",
                 "This message cannot be published here (see 'reason')."),
    "conflict": ("Un·e autre pair-aidant·e s'en occupe déjà.", "Another peer helper is already on it."),
    "forbidden": ("Cette action ne vous est pas permise.", "You are not allowed to do this."),
    "not_found": ("Introuvable.", "Not found."),
    "too_many_rooms": ("Vous êtes déjà dans trop de salons.", "You are already in too many rooms."),
    "flooding": ("Trop de messages en trop peu de temps : la connexion est fermée.",
                 "Too many messages too quickly: the connection is closed."),
    "too_slow": ("La connexion ne suivait plus : reconnexion nécessaire.",
                 "The connection could not keep up: please reconnect."),
    "internal": ("Un problème est survenu de notre côté. Votre message n'a pas été perdu si vous "
                 "avez reçu un accusé ; sinon, réessayez.",
                 "Something went wrong on our side. If you got an acknowledgement your message "
                 "was kept; otherwise, please try again."),
}


def language_of(locale: str) -> str:
    return "en" if locale.startswith("en") else "fr"


def error_text(code: str, locale: str) -> str:
    french, english = _ERRORS.get(code, ("Erreur.", "Error."))
    return english if language_of(locale) == "en" else french


_NOTICES: dict[str, tuple[str, str]] = {
    "warned": ("Un·e pair-aidant·e vous rappelle la charte du salon.",
               "A peer helper reminds you of the room's charter."),
    "muted": ("Vous ne pouvez pas écrire dans ce salon pour un moment.",
              "You cannot write in this room for a while."),
    "kicked": ("Un·e pair-aidant·e vous a fait sortir de ce salon. Vous pourrez y revenir.",
               "A peer helper has taken you out of this room. You may come back."),
    "banned": ("Vous ne pouvez plus entrer dans ce salon.", "You can no longer enter this room."),
    "room_closing": ("Ce salon ferme.", "This room is closing."),
}


def notice_text(code: str, locale: str) -> str:
    french, english = _NOTICES.get(code, ("Information de l'équipe.", "A note from the team."))
    return english if language_of(locale) == "en" else french


def invitation_text(helper: str, locale: str) -> str:
    """What a person reads when a pair-aidant offers a tête-à-tête: who, what, and that it is their choice."""
    if language_of(locale) == "en":
        return (f"{helper}, a peer helper, offers to talk with you privately, just the two of you. "
                "Nobody else can read or come in. Accept or decline: it is your choice, and you can "
                "leave at any time.")
    return (f"{helper}, pair-aidant·e, vous propose de parler à deux, en privé. Personne d'autre ne "
            "pourra lire ni entrer. Acceptez ou refusez : c'est vous qui choisissez, et vous pourrez "
            "partir quand vous voudrez.")
