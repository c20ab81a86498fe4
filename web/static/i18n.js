// Every string of the web pages, French first and English second, and the helpers that
// apply them. French is the default; the choice is kept in localStorage "entraide.lang".

import { local } from "./dom.js";

const LANG_KEY = "entraide.lang";
export const LANGS = ["fr", "en"];

// Values are strings with {placeholders}, or plural objects { one, other } chosen with
// Intl.PluralRules on the `n` parameter.
const STRINGS = {
  fr: {
    "brand": "Entraide",
    "skip.main": "Aller au contenu",
    "skip.composer": "Aller à la zone de message",
    "lang.other": "English",
    "lang.otherCode": "en",
    "lang.switchLabel": "Read this page in English",
    "nav.label": "Navigation principale",
    "nav.rooms": "Tous les salons",
    "footer.text": "Entraide · pair-aidance anonyme · les pair-aidant·e·s sont des pairs, pas des soignant·e·s ni un service d'urgence.",
    "footer.staff": "Espace de l'équipe (pair-aidant·e·s, admins)",

    "emergency.label": "En cas d'urgence :",
    "emergency.3114": "(prévention du suicide, gratuit, 24h/24)",
    "emergency.abroad": "Hors de France :",
    "emergency.uk": "(Royaume-Uni, Irlande)",
    "emergency.na": "(États-Unis, Canada)",
    "emergency.eu": "(Europe)",

    "landing.title": "Entraide",
    "landing.tagline": "Un lieu pour parler avec des personnes qui sont passées par là.",
    "landing.p1": "Entraide, c'est de la pair-aidance : des personnes qui ont traversé des choses semblables s'écoutent et se soutiennent, dans des salons par thème. Ici, on parle à des pairs, pas à des soignant·e·s.",
    "landing.p2": "Pas de compte, pas d'e-mail, pas de nom. En entrant dans un salon, vous recevez un pseudonyme, différent dans chaque salon ; vous pouvez en changer ou choisir le vôtre.",
    "landing.p3": "Des pair-aidant·e·s formé·e·s à l'écoute sont de permanence dans les salons. Vous pouvez écrire, ou simplement lire : être là, c'est déjà bien.",
    "landing.rooms": "Les salons",
    "landing.loading": "Chargement des salons…",
    "landing.error": "La liste des salons ne se charge pas pour le moment. Nouvel essai dans quelques secondes.",
    "landing.empty": "Aucun salon n'est ouvert pour le moment.",

    "lang.badge.fr": "FR",
    "lang.badge.en": "EN",
    "lang.name.fr": "Salon en français",
    "lang.name.en": "Salon en anglais",

    "presence.people": { one: "{n} personne", other: "{n} personnes" },
    "presence.helpers": { one: "{n} pair-aidant·e", other: "{n} pair-aidant·e·s" },
    "presence.here": { one: "{n} personne ici", other: "{n} personnes ici" },
    "presence.onDuty": { one: "{n} pair-aidant·e de permanence", other: "{n} pair-aidant·e·s de permanence" },

    "closed.badge": "Fermé",
    "closed.opens": "Ouvre {when}",
    "closed.opensWithHelper": "Ouvre dès qu'un·e pair-aidant·e est de permanence",
    "when.today": "aujourd'hui à {time}",
    "when.tomorrow": "demain à {time}",
    "when.other": "{date} à {time}",

    "status.open": "Connecté",
    "status.connecting": "Connexion…",
    "status.reconnecting": "Reconnexion…",
    "status.offline": "Hors ligne : reconnexion dès que le réseau revient…",
    "status.closed": "Déconnecté",

    "room.loading": "Chargement du salon…",
    "room.docTitle": "{title} · Entraide",
    "messages.label": "Messages du salon",
    "messages.empty": "Personne n'a encore écrit ici récemment. Vous pouvez dire bonjour, ou simplement lire.",
    "messages.newBelow": "Nouveaux messages ↓",
    "gap.notice": "Certains messages plus anciens ne sont plus disponibles.",
    "message.helper": "pair-aidant·e",
    "message.you": "vous",
    "cw.show": "Avertissement : {cw} — afficher",
    "cw.hide": "Avertissement : {cw} — masquer",
    "action.report": "Signaler",
    "action.reportLabel": "Signaler le message de {name}",
    "action.ignore": "Ignorer cette personne",
    "action.ignoreLabel": "Ignorer cette personne : {name}",

    "charter.title": "Charte du salon",
    "charter.intro": "Avant d'écrire ici pour la première fois, prenez un moment pour lire la charte du salon.",
    "charter.accept": "J'ai lu la charte, je participe",
    "charter.accepted": "Merci. Vous pouvez écrire.",
    "charter.show": "Relire la charte",
    "crisis.notice": "Si vous écrivez que vous voulez mourir, des numéros d'aide s'affichent pour vous seul·e et les pair-aidant·e·s de permanence sont prévenu·e·s.",

    "composer.label": "Votre message",
    "composer.help": "Entrée pour envoyer, Maj + Entrée pour aller à la ligne.",
    "composer.placeholder": "Écrivez ici…",
    "composer.cwToggle": "Ajouter un avertissement (cw)",
    "composer.cwLabel": "Avertissement de contenu (facultatif) : le thème du message",
    "composer.cwPlaceholder": "ex. : deuil, hospitalisation",
    "composer.send": "Envoyer",
    "composer.sending": "Envoi…",
    "composer.wait": "Patientez {s} s",
    "composer.counterLabel": "{n} caractères sur {max}",
    "composer.tooLongLocal": "Le message dépasse {max} caractères : raccourcissez-le un peu.",
    "composer.locked.charter": "Lisez la charte ci-dessus et acceptez-la pour écrire.",
    "composer.locked.closed": "Le salon est fermé pour le moment : vous pouvez lire, pas écrire.",
    "composer.locked.connecting": "Connexion en cours : vous pourrez écrire dans un instant.",
    "composer.locked.muted": "Vous ne pouvez pas écrire dans ce salon pour le moment.",
    "composer.locked.mutedUntil": "Vous ne pouvez pas écrire dans ce salon jusqu'à {until}.",
    "composer.locked.left": "Vous n'êtes plus dans ce salon.",
    "room.archived": "Ce salon a été archivé par l'équipe : il n'accueille plus de messages. Les autres salons restent ouverts.",
    "composer.held": "Merci. Votre message apparaîtra après relecture par un·e pair-aidant·e (quelques minutes).",
    "composer.unsent": "La connexion a été coupée pendant l'envoi. Votre message est toujours là : vous pouvez le renvoyer.",
    "composer.retryIn": "Vous pourrez renvoyer dans {s} s.",
    "composer.until": "Jusqu'à {until}.",

    "err.empty": "Le message est vide.",
    "err.too_long": "Le message est trop long : {max} caractères au maximum.",
    "err.rate_limited": "Vous écrivez très vite : patientez un instant.",
    "err.slow_mode": "Ce salon est en mode lent : patientez un peu avant votre prochain message.",
    "err.muted": "Vous ne pouvez pas écrire dans ce salon pour le moment.",
    "err.room_closed": "Ce salon est fermé pour le moment : vous pouvez lire, pas écrire.",
    "err.not_joined": "Vous n'êtes pas encore dans le salon : reconnexion en cours.",
    "err.room_full": "Ce salon est complet pour le moment. Nouvel essai automatique dans un instant.",
    "err.banned": "Vous ne pouvez plus entrer dans ce salon.",
    "err.bannedUntil": "Vous ne pouvez plus entrer dans ce salon jusqu'à {until}.",
    "err.unknown_room": "Ce salon n'existe pas.",
    "err.pseudonym_invalid": "Pseudonyme refusé : 2 à 32 caractères, lettres, chiffres, espaces, - ' et . uniquement.",
    "err.pseudonym_taken": "Ce pseudonyme est déjà pris dans ce salon.",
    "err.not_found": "Ce message n'existe plus.",
    "err.generic": "Quelque chose n'a pas fonctionné. Réessayez dans un instant.",
    "err.disconnected": "La connexion a été coupée. Réessayez dans un instant.",
    "err.serviceBanned": "L'accès au service vous a été fermé par l'équipe.",

    "closed.title": "Le salon est fermé pour le moment",
    "closed.next": "Il rouvre {when}.",
    "closed.helper": "Il ouvre dès qu'un·e pair-aidant·e est de permanence.",
    "closed.read": "Vous pouvez relire les derniers messages. Si c'est difficile ce soir, ces lignes répondent :",

    "helplines.title": "Parler à quelqu'un maintenant",
    "helplines.fr.3114": "prévention du suicide, gratuit, 24h/24",
    "helplines.fr.sos": "SOS Amitié, écoute anonyme, 24h/24",
    "helplines.fr.emergency": "urgence immédiate (SAMU, numéro européen)",
    "helplines.en.samaritans": "Samaritans, Royaume-Uni et Irlande, gratuit, 24h/24",
    "helplines.en.988": "États-Unis et Canada, appel ou SMS, 24h/24",
    "helplines.en.emergency": "urgence immédiate (Europe · Royaume-Uni · Amérique du Nord)",
    "helplines.emergency112": "numéro d'urgence européen, gratuit, 24h/24",
    "helplines.countryLabel": "Numéros d'aide pour :",
    "helplines.country.CA": "Québec / Canada",
    "helplines.country.ZZ": "Autre pays",
    "helplines.country.none": "Pays non précisé",
    "helplines.countryNote": "Ce choix reste sur cet appareil. Par défaut, il suit les langues de votre navigateur, jamais votre adresse IP.",
    "helplines.askHelper": "Demandez à un·e pair-aidant·e un numéro dans votre pays.",
    "helplines.sms": "Envoyer un SMS au {sms}",
    "helplines.smsBody": "Envoyer un SMS au {sms} (écrire {body})",
    "helplines.linkOf": "{text} : {name}",

    "pseudo.title": "Votre pseudonyme ici",
    "pseudo.none": "…",
    "pseudo.reroll": "Changer",
    "pseudo.rerollLabel": "Changer pour un autre pseudonyme tiré au hasard",
    "pseudo.choose": "Choisir mon pseudonyme",
    "pseudo.inputLabel": "Pseudonyme souhaité",
    "pseudo.hint": "2 à 32 caractères : lettres, chiffres, espaces, - ' et .",
    "pseudo.submit": "Valider",
    "pseudo.changed": "Vous vous appelez maintenant {name} dans ce salon.",
    "pseudo.note": "Il ne sert que dans ce salon.",

    "side.label": "Le salon et vous",
    "about.title": "À propos du salon",
    "ignored.title": "Personnes ignorées",
    "ignored.none": "Vous n'ignorez personne dans ce salon.",
    "ignored.undo": "Ne plus ignorer",
    "ignored.undoLabel": "Ne plus ignorer {name}",
    "ignored.done": "Vous ne voyez plus les messages de {name}. Vous pouvez annuler dans « Personnes ignorées ».",
    "ignored.undone": "Vous voyez de nouveau les messages de {name}.",
    "ignored.note": "Seul·e vous le voyez : la personne n'en sait rien.",

    "erase.title": "Vos messages",
    "erase.open": "Effacer tous mes messages",
    "erase.dialogTitle": "Effacer tous vos messages ?",
    "erase.dialogText": "Tous les messages écrits avec cette session, dans tous les salons, seront supprimés pour tout le monde. On ne peut pas revenir en arrière.",
    "erase.confirm": "Oui, tout effacer",
    "erase.cancel": "Annuler",
    "erase.done": "Vos messages ont été effacés.",

    "report.dialogTitle": "Signaler ce message",
    "report.dialogText": "Un·e pair-aidant·e va le relire. La personne ne saura pas qui l'a signalé.",
    "report.reasonLabel": "Pourquoi ? (facultatif)",
    "report.submit": "Envoyer le signalement",
    "report.cancel": "Annuler",
    "report.thanks": "Merci, les pair-aidant·e·s vont regarder.",

    "pointer.region": "Un message pour vous seul·e",
    "pointer.close": "Fermer ce message",
    "pointer.call": "Appeler le {phone}",
    "pointer.site": "Site web",
    "pointer.siteOf": "Site web : {name}",
    "pointer.private": "Vous seul·e voyez ce message.",

    "notice.rejoin": "Revenir dans le salon",
    "notice.close": "Fermer",
    "notice.fallback.warned": "Un·e pair-aidant·e vous adresse un avertissement.",
    "notice.fallback.muted": "Vous ne pouvez pas écrire dans ce salon pour le moment.",
    "notice.fallback.kicked": "Un·e pair-aidant·e vous a fait sortir du salon.",
    "notice.fallback.banned": "Vous ne pouvez plus entrer dans ce salon.",
    "notice.fallback.room_closing": "Le salon va bientôt fermer.",
    "notice.fallback.other": "Message de l'équipe.",

    "asHelper.title": "Équipe",
    "asHelper.toggle": "Parler en tant que pair-aidant·e",
    "asHelper.note": "Vos messages portent alors le badge « pair-aidant·e », sous le pseudonyme de votre compte dans ce salon.",
    "asHelper.dashboard": "Ouvrir le tableau de bord",
    "asHelper.on": "Vous parlez maintenant en tant que pair-aidant·e.",
    "asHelper.off": "Vous parlez maintenant comme pair, sans badge.",
    "asHelper.ended": "Votre connexion d'équipe a pris fin : vous parlez de nouveau comme pair.",

    "invite.title": "Une proposition de conversation privée",
    "invite.text": "{helper}, pair-aidant·e, vous propose de parler à deux, en privé. Personne d'autre ne pourra lire ni entrer. Acceptez ou refusez : c'est vous qui choisissez, et vous pourrez partir quand vous voudrez.",
    "invite.expires": "Proposition valable jusqu'à {until}.",
    "invite.accept": "Accepter",
    "invite.decline": "Non merci",
    "invite.later": "Plus tard",
    "invite.laterNote": "« Plus tard » (ou Échap) ferme cette fenêtre sans répondre : la proposition reste en haut de la page tant qu'elle est valable.",
    "invite.banner": "{helper}, pair-aidant·e, vous propose de parler à deux, en privé (jusqu'à {until}).",
    "invite.show": "Voir la proposition",
    "invite.opening": "Ouverture de la conversation privée…",
    "invite.declined": "C'est noté, merci de l'avoir dit. Vous restez ici, et vous pouvez toujours écrire dans le salon.",
    "invite.gone": "Cette proposition n'est plus valable.",
    "invite.expired": "La proposition de conversation privée a expiré. Vous pouvez toujours écrire dans le salon.",

    "private.title": "Tête-à-tête avec {name}",
    "private.titleNoName": "Conversation privée",
    "private.docTitle": "Conversation privée · Entraide",
    "private.leave": "Quitter la conversation",
    "private.leaveTitle": "Quitter la conversation ?",
    "private.leaveText": "La conversation se termine alors pour vous deux : ni vous ni {name} ne pourrez y revenir.",
    "private.leaveCancel": "Rester",
    "private.leaveConfirm": "Oui, quitter",
    "private.ended": "La conversation privée est terminée.",
    "private.endedByYou": "Vous avez quitté la conversation.",
    "private.endedLeft": "L'un·e de vous deux l'a quittée.",
    "private.endedAbsent": "L'un·e de vous deux n'était plus connecté·e depuis un moment.",
    "private.endedExpired": "La proposition n'a pas reçu de réponse à temps.",
    "private.endedDeclined": "La proposition a été refusée.",
    "private.endedHelp": "Si c'est difficile en ce moment, ces lignes répondent :",
    "private.back": "Revenir au salon",
    "private.dashboard": "Revenir au tableau de bord",
    "private.unavailableTitle": "Cette conversation privée n'est pas accessible.",
    "private.unavailable": "Elle est peut-être terminée. Seules les deux personnes qui y parlent peuvent y entrer.",
    "private.other": "l'autre personne",
    "private.here": "{name} est là.",
    "private.away": "{name} n'est pas là pour le moment.",
    "private.banner": "Vous avez une conversation privée en cours avec {name}.",
    "private.return": "Revenir à la conversation privée",
    "private.locked": "La conversation privée est terminée : on ne peut plus y écrire.",
    "crisis.noticePrivate": "Si vous écrivez que vous voulez mourir, des numéros d'aide s'affichent pour vous seul·e.",
    "messages.emptyPrivate": "Personne n'a encore écrit. Vous pouvez commencer quand vous voulez, à votre rythme.",
    "messages.labelPrivate": "Messages de la conversation privée",
    "pseudo.notePrivate": "Il reste le même pendant toute la conversation.",
    "about.titlePrivate": "À propos de cette conversation",
  },

  en: {
    "brand": "Entraide",
    "skip.main": "Skip to content",
    "skip.composer": "Skip to the message box",
    "lang.other": "Français",
    "lang.otherCode": "fr",
    "lang.switchLabel": "Lire cette page en français",
    "nav.label": "Main navigation",
    "nav.rooms": "All rooms",
    "footer.text": "Entraide · anonymous peer support · peer helpers are peers, not clinicians or an emergency service.",
    "footer.staff": "Team area (peer helpers, admins)",

    "emergency.label": "In an emergency (France):",
    "emergency.3114": "(suicide prevention, free, 24/7)",
    "emergency.abroad": "Outside France:",
    "emergency.uk": "(UK, Ireland)",
    "emergency.na": "(US, Canada)",
    "emergency.eu": "(Europe)",

    "landing.title": "Entraide",
    "landing.tagline": "A place to talk with people who have been there too.",
    "landing.p1": "Entraide is peer support (pair-aidance): people who have lived through similar things listen to and support each other, in themed rooms. Here you talk with peers, not clinicians.",
    "landing.p2": "No account, no e-mail, no name. When you enter a room you get a pseudonym, a different one in each room; you can change it or pick your own.",
    "landing.p3": "Peer helpers trained to listen are on duty in the rooms. You can write, or just read: being here already counts.",
    "landing.rooms": "Rooms",
    "landing.loading": "Loading rooms…",
    "landing.error": "The list of rooms is not loading right now. Trying again in a few seconds.",
    "landing.empty": "No room is available right now.",

    "lang.badge.fr": "FR",
    "lang.badge.en": "EN",
    "lang.name.fr": "Room in French",
    "lang.name.en": "Room in English",

    "presence.people": { one: "{n} person", other: "{n} people" },
    "presence.helpers": { one: "{n} peer helper", other: "{n} peer helpers" },
    "presence.here": { one: "{n} person here", other: "{n} people here" },
    "presence.onDuty": { one: "{n} peer helper on duty", other: "{n} peer helpers on duty" },

    "closed.badge": "Closed",
    "closed.opens": "Opens {when}",
    "closed.opensWithHelper": "Opens as soon as a peer helper is on duty",
    "when.today": "today at {time}",
    "when.tomorrow": "tomorrow at {time}",
    "when.other": "on {date} at {time}",

    "status.open": "Connected",
    "status.connecting": "Connecting…",
    "status.reconnecting": "Reconnecting…",
    "status.offline": "Offline: reconnecting as soon as the network is back…",
    "status.closed": "Disconnected",

    "room.loading": "Loading the room…",
    "room.docTitle": "{title} · Entraide",
    "messages.label": "Room messages",
    "messages.empty": "Nobody has written here recently. You can say hello, or just read.",
    "messages.newBelow": "New messages ↓",
    "gap.notice": "Some older messages are no longer available.",
    "message.helper": "peer helper",
    "message.you": "you",
    "cw.show": "Content warning: {cw} — show",
    "cw.hide": "Content warning: {cw} — hide",
    "action.report": "Report",
    "action.reportLabel": "Report {name}'s message",
    "action.ignore": "Ignore this person",
    "action.ignoreLabel": "Ignore this person: {name}",

    "charter.title": "Room charter",
    "charter.intro": "Before you write here for the first time, please take a moment to read the room's charter.",
    "charter.accept": "I have read the charter, let me take part",
    "charter.accepted": "Thank you. You can write now.",
    "charter.show": "Read the charter again",
    "crisis.notice": "If you write that you want to die, helpline numbers are shown to you alone and the peer helpers on duty are alerted.",

    "composer.label": "Your message",
    "composer.help": "Enter to send, Shift + Enter for a new line.",
    "composer.placeholder": "Write here…",
    "composer.cwToggle": "Add a content warning (cw)",
    "composer.cwLabel": "Content warning (optional): what the message is about",
    "composer.cwPlaceholder": "e.g. grief, hospital",
    "composer.send": "Send",
    "composer.sending": "Sending…",
    "composer.wait": "Wait {s} s",
    "composer.counterLabel": "{n} characters out of {max}",
    "composer.tooLongLocal": "The message is over {max} characters: please shorten it a little.",
    "composer.locked.charter": "Read the charter above and accept it to write.",
    "composer.locked.closed": "The room is closed right now: you can read, not write.",
    "composer.locked.connecting": "Connecting: you will be able to write in a moment.",
    "composer.locked.muted": "You cannot write in this room for now.",
    "composer.locked.mutedUntil": "You cannot write in this room until {until}.",
    "composer.locked.left": "You are no longer in this room.",
    "room.archived": "The team has archived this room: it no longer takes messages. The other rooms are still open.",
    "composer.held": "Thank you. Your message will appear once a peer helper has read it (a few minutes).",
    "composer.unsent": "The connection dropped while sending. Your message is still here: you can send it again.",
    "composer.retryIn": "You can send again in {s} s.",
    "composer.until": "Until {until}.",

    "err.empty": "The message is empty.",
    "err.too_long": "The message is too long: {max} characters at most.",
    "err.rate_limited": "You are writing very fast: please wait a moment.",
    "err.slow_mode": "This room is in slow mode: please wait a little before your next message.",
    "err.muted": "You cannot write in this room for now.",
    "err.room_closed": "This room is closed right now: you can read, not write.",
    "err.not_joined": "You are not in the room yet: reconnecting.",
    "err.room_full": "This room is full right now. Trying again automatically in a moment.",
    "err.banned": "You can no longer enter this room.",
    "err.bannedUntil": "You cannot enter this room until {until}.",
    "err.unknown_room": "This room does not exist.",
    "err.pseudonym_invalid": "Pseudonym refused: 2 to 32 characters, letters, digits, spaces, - ' and . only.",
    "err.pseudonym_taken": "This pseudonym is already taken in this room.",
    "err.not_found": "This message no longer exists.",
    "err.generic": "Something did not work. Please try again in a moment.",
    "err.disconnected": "The connection dropped. Please try again in a moment.",
    "err.serviceBanned": "The team has closed your access to the service.",

    "closed.title": "The room is closed right now",
    "closed.next": "It opens again {when}.",
    "closed.helper": "It opens as soon as a peer helper is on duty.",
    "closed.read": "You can read the latest messages. If tonight is hard, these lines answer:",

    "helplines.title": "Talk to someone now",
    "helplines.fr.3114": "suicide prevention (France), free, 24/7",
    "helplines.fr.sos": "SOS Amitié (France), anonymous listening, 24/7",
    "helplines.fr.emergency": "immediate danger (France, Europe)",
    "helplines.en.samaritans": "Samaritans, UK and Ireland, free, 24/7",
    "helplines.en.988": "US and Canada, call or text, 24/7",
    "helplines.en.emergency": "immediate danger (Europe · UK · North America)",
    "helplines.emergency112": "European emergency number, free, 24/7",
    "helplines.countryLabel": "Helplines for:",
    "helplines.country.CA": "Canada",
    "helplines.country.ZZ": "Other country",
    "helplines.country.none": "Several countries (not chosen)",
    "helplines.countryNote": "This choice stays on this device. By default it follows your browser's languages, never your IP address.",
    "helplines.askHelper": "Ask a peer helper for a line in your country.",
    "helplines.sms": "Text {sms}",
    "helplines.smsBody": "Text {body} to {sms}",
    "helplines.linkOf": "{text}: {name}",

    "pseudo.title": "Your pseudonym here",
    "pseudo.none": "…",
    "pseudo.reroll": "Change",
    "pseudo.rerollLabel": "Change to another random pseudonym",
    "pseudo.choose": "Choose my pseudonym",
    "pseudo.inputLabel": "Pseudonym you would like",
    "pseudo.hint": "2 to 32 characters: letters, digits, spaces, - ' and .",
    "pseudo.submit": "Save",
    "pseudo.changed": "You are now {name} in this room.",
    "pseudo.note": "It is only used in this room.",

    "side.label": "This room and you",
    "about.title": "About this room",
    "ignored.title": "Ignored people",
    "ignored.none": "You are not ignoring anyone in this room.",
    "ignored.undo": "Stop ignoring",
    "ignored.undoLabel": "Stop ignoring {name}",
    "ignored.done": "You no longer see messages from {name}. You can undo this under “Ignored people”.",
    "ignored.undone": "You see messages from {name} again.",
    "ignored.note": "Only you can see this: the person is not told.",

    "erase.title": "Your messages",
    "erase.open": "Erase all my messages",
    "erase.dialogTitle": "Erase all your messages?",
    "erase.dialogText": "Every message written with this session, in every room, will be deleted for everyone. This cannot be undone.",
    "erase.confirm": "Yes, erase everything",
    "erase.cancel": "Cancel",
    "erase.done": "Your messages have been erased.",

    "report.dialogTitle": "Report this message",
    "report.dialogText": "A peer helper will read it. The person will not know who reported it.",
    "report.reasonLabel": "Why? (optional)",
    "report.submit": "Send the report",
    "report.cancel": "Cancel",
    "report.thanks": "Thank you, the peer helpers will take a look.",

    "pointer.region": "A message for you alone",
    "pointer.close": "Close this message",
    "pointer.call": "Call {phone}",
    "pointer.site": "Website",
    "pointer.siteOf": "Website: {name}",
    "pointer.private": "Only you can see this message.",

    "notice.rejoin": "Go back into the room",
    "notice.close": "Close",
    "notice.fallback.warned": "A peer helper is sending you a warning.",
    "notice.fallback.muted": "You cannot write in this room for now.",
    "notice.fallback.kicked": "A peer helper has asked you to leave the room.",
    "notice.fallback.banned": "You can no longer enter this room.",
    "notice.fallback.room_closing": "The room is closing soon.",
    "notice.fallback.other": "A message from the team.",

    "asHelper.title": "Team",
    "asHelper.toggle": "Speak as a peer helper",
    "asHelper.note": "Your messages then carry the “peer helper” badge, under your account's pseudonym in this room.",
    "asHelper.dashboard": "Open the dashboard",
    "asHelper.on": "You are now speaking as a peer helper.",
    "asHelper.off": "You are now speaking as a peer, without the badge.",
    "asHelper.ended": "Your team login has ended: you are speaking as a peer again.",

    "invite.title": "An offer of a private conversation",
    "invite.text": "{helper}, a peer helper, offers to talk with you privately, just the two of you. Nobody else can read or come in. Accept or decline: it is your choice, and you can leave at any time.",
    "invite.expires": "This offer stands until {until}.",
    "invite.accept": "Accept",
    "invite.decline": "No, thank you",
    "invite.later": "Later",
    "invite.laterNote": "“Later” (or Escape) closes this window without answering: the offer stays at the top of the page while it stands.",
    "invite.banner": "{helper}, a peer helper, offers to talk with you privately (until {until}).",
    "invite.show": "See the offer",
    "invite.opening": "Opening the private conversation…",
    "invite.declined": "Noted, thank you for saying so. You stay here, and you can still write in the room.",
    "invite.gone": "This offer no longer stands.",
    "invite.expired": "The offer of a private conversation has expired. You can still write in the room.",

    "private.title": "Private conversation with {name}",
    "private.titleNoName": "Private conversation",
    "private.docTitle": "Private conversation · Entraide",
    "private.leave": "Leave the conversation",
    "private.leaveTitle": "Leave the conversation?",
    "private.leaveText": "The conversation then ends for both of you: neither you nor {name} can come back to it.",
    "private.leaveCancel": "Stay",
    "private.leaveConfirm": "Yes, leave",
    "private.ended": "The private conversation has ended.",
    "private.endedByYou": "You left the conversation.",
    "private.endedLeft": "One of you left it.",
    "private.endedAbsent": "One of you had not been connected for a while.",
    "private.endedExpired": "The offer was not answered in time.",
    "private.endedDeclined": "The offer was declined.",
    "private.endedHelp": "If things are hard right now, these lines answer:",
    "private.back": "Back to the room",
    "private.dashboard": "Back to the dashboard",
    "private.unavailableTitle": "This private conversation cannot be opened.",
    "private.unavailable": "It may have ended. Only the two people talking in it can come in.",
    "private.other": "the other person",
    "private.here": "{name} is here.",
    "private.away": "{name} is not here right now.",
    "private.banner": "You have a private conversation going on with {name}.",
    "private.return": "Back to the private conversation",
    "private.locked": "The private conversation has ended: nobody can write in it any more.",
    "crisis.noticePrivate": "If you write that you want to die, helpline numbers are shown to you alone.",
    "messages.emptyPrivate": "Nobody has written yet. You can start whenever you like, at your own pace.",
    "messages.labelPrivate": "Messages of the private conversation",
    "pseudo.notePrivate": "It stays the same for the whole conversation.",
    "about.titlePrivate": "About this conversation",
  },
};

let current = readStoredLang();
const listeners = new Set();

function readStoredLang() {
  const stored = local.get(LANG_KEY);
  return LANGS.includes(stored) ? stored : "fr";
}

export function lang() {
  return current;
}

/** The locale used for dates and times: the browser's own when it speaks the UI language. */
export function formatLocale() {
  const nav = (navigator.languages && navigator.languages[0]) || navigator.language || "";
  if (nav.toLowerCase().startsWith(current)) return nav;
  return current === "fr" ? "fr-FR" : "en-GB";
}

export function setLang(next) {
  if (!LANGS.includes(next) || next === current) return;
  current = next;
  local.set(LANG_KEY, next);
  document.documentElement.setAttribute("lang", next);
  applyI18n(document);
  for (const listener of listeners) listener(next);
}

export function onLangChange(listener) {
  listeners.add(listener);
}

/** Pages with texts of their own (the staff pages) add them before initLangSwitch. */
export function addStrings(more) {
  for (const code of LANGS) Object.assign(STRINGS[code], (more && more[code]) || {});
}

/** Translate `key` with {params}; a plural entry is chosen on params.n. */
export function t(key, params = {}) {
  let value = STRINGS[current][key];
  if (value === undefined) value = STRINGS.fr[key];
  if (value === undefined) return key;
  if (typeof value === "object") {
    const category = new Intl.PluralRules(current).select(Number(params.n) || 0);
    value = value[category] ?? value.other;
  }
  return value.replace(/\{(\w+)\}/g, (whole, name) =>
    Object.prototype.hasOwnProperty.call(params, name) ? String(params[name]) : whole,
  );
}

export function has(key) {
  return Object.prototype.hasOwnProperty.call(STRINGS[current], key);
}

/**
 * Translate the static markup: data-i18n="key" sets the text, data-i18n-attr="attr:key;attr:key"
 * sets attributes.
 */
export function applyI18n(root) {
  for (const el of root.querySelectorAll("[data-i18n]")) {
    const text = t(el.getAttribute("data-i18n"));
    if (el.textContent !== text) el.textContent = text;
  }
  for (const el of root.querySelectorAll("[data-i18n-attr]")) {
    for (const pair of el.getAttribute("data-i18n-attr").split(";")) {
      const [attr, key] = pair.split(":").map((s) => s.trim());
      if (attr && key) el.setAttribute(attr, t(key));
    }
  }
}

/** Wire the language switch button and set <html lang>; call once per page. */
export function initLangSwitch(button) {
  document.documentElement.setAttribute("lang", current);
  const render = () => {
    button.textContent = t("lang.other");
    button.setAttribute("lang", t("lang.otherCode"));
    button.setAttribute("title", t("lang.switchLabel"));
  };
  render();
  button.addEventListener("click", () => {
    setLang(current === "fr" ? "en" : "fr");
  });
  onLangChange(render);
  applyI18n(document);
}

// -- dates and times -----------------------------------------------------------------------

export function formatTime(ts) {
  const date = new Date(ts);
  if (Number.isNaN(date.getTime())) return "";
  return new Intl.DateTimeFormat(formatLocale(), {
    hour: "2-digit", minute: "2-digit", hourCycle: "h23",
  }).format(date);
}

export function formatDateTime(ts) {
  const date = new Date(ts);
  if (Number.isNaN(date.getTime())) return "";
  return new Intl.DateTimeFormat(formatLocale(), {
    weekday: "long", day: "numeric", month: "long", hour: "2-digit", minute: "2-digit", hourCycle: "h23",
  }).format(date);
}

/** "aujourd'hui à 22:00", "demain à 07:00", "lundi 30 novembre à 22:00". */
export function formatWhen(ts) {
  const date = new Date(ts);
  if (Number.isNaN(date.getTime())) return "";
  const time = formatTime(ts);
  const startOfDay = (d) => new Date(d.getFullYear(), d.getMonth(), d.getDate()).getTime();
  const days = Math.round((startOfDay(date) - startOfDay(new Date())) / 86_400_000);
  if (days <= 0) return t("when.today", { time });
  if (days === 1) return t("when.tomorrow", { time });
  const day = new Intl.DateTimeFormat(formatLocale(), { weekday: "long", day: "numeric", month: "long" }).format(date);
  return t("when.other", { date: day, time });
}

/** "18:40" today, or the day and time when further away (for `until` fields). */
export function formatUntil(ts) {
  const date = new Date(ts);
  if (Number.isNaN(date.getTime())) return "";
  const sameDay = new Date().toDateString() === date.toDateString();
  return sameDay ? formatTime(ts) : formatDateTime(ts);
}
