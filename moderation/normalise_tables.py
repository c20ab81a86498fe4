"""Word tables for `moderation.normalise`: SMS spellings, contractions, elisions and filler words.

Keys are whole tokens as they look after case folding, accent stripping, leetspeak and the collapse
of letters repeated three times or more. Values are written in ordinary spelling: the normaliser
passes them through its own pipeline once, so "t'inquiète pas" becomes the canonical tokens too.
An empty value drops the token. Everything a pattern says goes through the same tables, which is
why a pattern can be written in plain French ("je n'ai plus envie de vivre") and still match
"jai pu envi de vivre".
"""

from __future__ import annotations

from typing import Final

__all__ = ["COMMON_SINGLE_LETTERS", "LAUGH", "TOKENS"]

# Laughter gets one canonical token so that the detector can read it as a context marker.
LAUGH: Final = "lol"

_LAUGHTER: Final = {w: LAUGH for w in ("lol", "lool", "mdr", "ptdr", "xd", "lmao", "lmfao", "rofl", "lolol", "mdrr")}

# Single letters that are ordinary words; a run made only of these ("il y a à") is not a word
# spelled out letter by letter, so the spaced-letter join leaves it alone.
COMMON_SINGLE_LETTERS: Final = frozenset("aiyucr")

_FR: Final[dict[str, str]] = {
    # Elided clitics, once the apostrophe has become a space: one canonical form each, so that
    # "j'ai", "jai", "j ai" and SMS "g" all read "je ai". "ne" carries no meaning once "pas",
    # "plus" or "jamais" is there, and spoken French drops it, so it goes.
    "j": "je", "m": "me", "t": "te", "s": "se", "l": "le", "d": "de", "c": "ce", "qu": "que",
    "n": "", "ne": "", "jusqu": "jusque", "lorsqu": "lorsque", "puisqu": "puisque", "quelqu": "quelque",
    "aujourd": "aujourdhui", "hui": "", "auj": "aujourdhui", "ajd": "aujourdhui", "ojd": "aujourdhui",
    # SMS spellings
    "jveux": "je veux", "jveu": "je veux", "jvx": "je veux", "jvoudrais": "je voudrais",
    "jaimerais": "je aimerais", "jvoulais": "je voulais", "jpense": "je pense", "jcrois": "je crois",
    "chui": "je suis", "chuis": "je suis", "chu": "je suis", "jsuis": "je suis", "jsui": "je suis",
    "jss": "je suis", "shui": "je suis", "jsp": "je sais pas", "jsais": "je sais", "jpp": "je peux plus",
    "jpeux": "je peux", "jpx": "je peux", "jpeu": "je peux", "jvais": "je vais", "jvai": "je vais",
    "jv": "je vais", "jme": "je me", "jmen": "je me en", "jte": "je te", "jai": "je ai", "g": "je ai",
    "jen": "je en", "jy": "je y", "v": "vais", "den": "d'en", "lair": "l'air", "sarrete": "s'arrête",
    "sarreter": "s'arrêter", "mfoutre": "me foutre", "mtuer": "me tuer", "jlai": "je l'ai",
    "jlui": "je lui", "jfais": "je fais", "jsens": "je sens", "jdois": "je dois",
    "jtm": "je te aime", "jtaime": "je te aime", "jarrive": "je arrive", "jle": "je le", "jla": "je la",
    "pk": "pourquoi", "pq": "pourquoi", "pkoi": "pourquoi", "pourkoi": "pourquoi", "prq": "pourquoi",
    "pcq": "parce que", "pck": "parce que", "psk": "parce que", "paske": "parce que",
    "tkt": "t'inquiète pas", "tqt": "t'inquiète pas", "bcp": "beaucoup", "qd": "quand", "kan": "quand",
    "kand": "quand", "cest": "c'est", "ct": "c'était", "cetait": "c'était", "tt": "tout", "tlm": "tout le monde",
    "tjs": "toujours", "tjrs": "toujours", "tjr": "toujours", "mm": "même", "msg": "message",
    "dsl": "désolé", "pr": "pour", "ds": "dans", "ns": "nous", "ki": "qui", "ke": "que", "koi": "quoi",
    "kel": "quel", "kil": "qu'il", "kelle": "qu'elle", "pa": "pas", "po": "pas",
    "plu": "plus", "pu": "plus", "jamai": "jamais", "jame": "jamais", "envi": "envie", "anvie": "envie",
    "mtn": "maintenant", "mnt": "maintenant", "mntn": "maintenant", "ptet": "peut-être", "ptetre": "peut-être",
    "vx": "veux", "veu": "veux", "fo": "faut", "pers": "personne", "mwa": "moi", "oqp": "occupé", "demin": "demain",
    "mourrir": "mourir", "mourire": "mourir", "mourrire": "mourir", "mouri": "mourir",
    "suicid": "suicide", "suiside": "suicide", "sucide": "suicide", "suicde": "suicide", "suisside": "suicide",
    "suicidee": "suicidé", "scarif": "scarifier", "scarifs": "scarifications", "medoc": "médicament",
    "disparetre": "disparaître", "dispraitre": "disparaître", "disparaite": "disparaître",
    "disparraitre": "disparaître", "disparaitr": "disparaître", "dispaitre": "disparaître",
    "medocs": "médicaments", "cachet": "médicament", "cachets": "médicaments", "comprimes": "médicaments",
    "comprime": "médicament", "pilules": "médicaments", "pilule": "médicament", "gelules": "médicaments",
    # Filler and intensifiers: "je veux vraiment mourir" is "je veux mourir".
    "vraiment": "", "vrmt": "", "vrm": "", "trop": "", "tellement": "", "tellment": "", "juste": "",
    "grave": "", "serieux": "", "serieusement": "", "franchement": "", "genre": "", "putain": "",
    "ptn": "", "bordel": "", "carrement": "", "limite": "", "clairement": "", "honnetement": "",
    "sincerement": "", "completement": "", "totalement": "", "exactement": "", "surement": "",
    "probablement": "",
    **_LAUGHTER,
}

_EN: Final[dict[str, str]] = {
    # Contractions, once the apostrophe has become a space ("don't" -> "don t").
    "m": "am", "re": "are", "ve": "have", "ll": "will", "d": "would", "s": "is", "t": "not",
    "don": "do", "doesn": "does", "didn": "did", "couldn": "could", "wouldn": "would", "shouldn": "should",
    "won": "will", "isn": "is", "aren": "are", "wasn": "was", "weren": "were", "haven": "have",
    "hasn": "has", "hadn": "had", "ain": "am",
    # The same without the apostrophe
    "im": "i am", "ive": "i have", "id": "i would", "dont": "do not", "cant": "can not", "cannot": "can not",
    "wont": "will not", "didnt": "did not", "doesnt": "does not", "isnt": "is not", "wasnt": "was not",
    "arent": "are not", "werent": "were not", "havent": "have not", "hasnt": "has not",
    "couldnt": "could not", "wouldnt": "would not", "shouldnt": "should not", "youre": "you are",
    "theyre": "they are", "hes": "he is", "shes": "she is", "thats": "that is", "whats": "what is",
    "theyd": "they would",
    # SMS and chat spellings
    "wanna": "want to", "wana": "want to", "wan": "want", "gonna": "going to", "gona": "going to",
    "gotta": "got to", "imma": "i am going to", "ima": "i am going to", "finna": "going to",
    "tryna": "trying to", "kinda": "kind of", "lemme": "let me", "gimme": "give me",
    "kms": "kill myself", "unalive": "kill", "unaliving": "killing", "sewerslide": "suicide",
    "suicde": "suicide", "sucide": "suicide", "suicid": "suicide", "suiside": "suicide",
    "selfharm": "self harm", "selfharming": "self harming", "sh": "self harm", "od": "overdose",
    "u": "you", "ya": "you", "ur": "your", "r": "are", "y": "why", "n": "and",
    "rn": "right now", "tn": "tonight", "tonite": "tonight", "2nite": "tonight", "2night": "tonight",
    "tmrw": "tomorrow", "tmr": "tomorrow", "tmrow": "tomorrow", "2moro": "tomorrow", "2morrow": "tomorrow",
    "2day": "today", "idk": "i don't know", "idc": "i don't care", "idw": "i don't want", "ily": "i love you",
    "ilysm": "i love you", "bc": "because", "bcs": "because", "cuz": "because", "coz": "because",
    "cos": "because", "bcuz": "because", "pls": "please", "plz": "please", "ppl": "people",
    "bf": "boyfriend", "gf": "girlfriend", "bff": "best friend", "bestie": "best friend", "mum": "mom",
    "mam": "mom", "mommy": "mom", "momma": "mom", "sis": "sister", "bro": "brother", "fr": "for real",
    "frfr": "for real", "abt": "about", "thru": "through", "tho": "though", "ded": "dead", "pils": "pills",
    "omg": "oh my god", "msg": "message", "txt": "text",
    # Filler and intensifiers: "i literally just want to die" is "i want to die".
    "really": "", "rly": "", "just": "", "jus": "", "so": "", "literally": "", "seriously": "",
    "srsly": "", "honestly": "", "fucking": "", "fuckin": "", "fking": "", "fkn": "", "freaking": "",
    "frickin": "", "actually": "", "totally": "", "truly": "", "legit": "", "tbh": "", "ngl": "",
    "very": "", "lowkey": "", "highkey": "", "even": "", "exactly": "", "definitely": "", "probably": "",
    **_LAUGHTER,
}

TOKENS: Final[dict[str, dict[str, str]]] = {"fr": _FR, "en": _EN}
