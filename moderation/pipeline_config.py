"""Settings of the check pipeline, from the `[moderation]` table of `config.toml`.

Allowlists are welcome content: the numbers and sites of helplines are what a peer *should*
be able to share. The composition root may add the helpline cards' own numbers and sites to
them (`with_helplines`), so that an admin's new card is never held as personal data.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace

from rooms.configuration import ConfigError, Table

__all__ = ["CHECK_NAMES", "LINK_POLICIES", "PipelineConfig"]

CHECK_NAMES = ("crisis", "personal_data", "links", "abusive", "repetition")
LINK_POLICIES = ("allow", "hold", "reject")
_KEYS = (
    "checks", "exempt_roles", "link_policy", "links_allowed_in", "links_held_in", "links_rejected_in",
    "link_allowlist", "phone_allowlist", "repeat_similarity", "repeat_min_length", "wall_min_length",
    "wall_share",
)
_DOMAIN = re.compile(r"^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,24}$")


@dataclass(frozen=True, slots=True)
class PipelineConfig:
    # The checks that run, by name; their order is always the shipped one (CHECK_NAMES).
    checks: tuple[str, ...] = CHECK_NAMES
    # Roles whose messages skip every check but crisis: helpers share helplines' links and
    # numbers and quote what they moderate; a helper in distress still gets the pointer.
    exempt_roles: tuple[str, ...] = ("helper", "admin")
    # Links are held for a helper by default: in a mental-health room a link may lead to a
    # pro-suicide or pro-anorexia site, or be spam. Rooms listed below differ.
    link_policy: str = "hold"
    links_allowed_in: tuple[str, ...] = ()
    links_held_in: tuple[str, ...] = ()
    links_rejected_in: tuple[str, ...] = ()
    # Sites always allowed (a site and its subdomains): helplines, from the cards of config.toml.
    link_allowlist: tuple[str, ...] = (
        "3114.fr", "sos-amitie.com", "filsantejeunes.com", "suicide-ecoute.fr", "preventionsuicide.be",
        "147.ch", "143.ch", "suicide.ca", "samaritans.org", "988lifeline.org", "pieta.ie", "giveusashout.org",
    )
    # Numbers always allowed, in any spelling ("09 72 39 40 50" = "+33 9 72 39 40 50"). Short
    # codes (3114, 15, 112, 116 123, 988) never look like a personal number and need no entry.
    phone_allowlist: tuple[str, ...] = (
        "09 72 39 40 50",   # SOS Amitié
        "01 45 39 40 00",   # Suicide Écoute
        "0 800 235 236",    # Fil Santé Jeunes
        "0 800 23 13 13",   # Drogues Info Service
    )
    # Repetition: a text at least this similar (0..1, Dice of word sets) to one of the session's
    # recent ones is refused, when it has at least `repeat_min_length` characters once folded:
    # "merci", "oui" and "bonne nuit tout le monde" may come twice.
    repeat_similarity: float = 0.9
    repeat_min_length: int = 30
    # A wall: a message this long made mostly (this share) of one character or word.
    wall_min_length: int = 120
    wall_share: float = 0.8

    def link_policy_for(self, room: str) -> str:
        """The link policy of a room: "allow", "hold" or "reject"."""
        if room in self.links_rejected_in:
            return "reject"
        if room in self.links_held_in:
            return "hold"
        if room in self.links_allowed_in:
            return "allow"
        return self.link_policy

    def with_helplines(self, phones: Iterable[str], urls: Iterable[str]) -> PipelineConfig:
        """The same settings with the helpline cards' numbers and sites added to the allowlists."""
        hosts = [host for url in urls if (host := _host_of(url))]
        return replace(
            self,
            phone_allowlist=tuple(dict.fromkeys((*self.phone_allowlist, *phones))),
            link_allowlist=tuple(dict.fromkeys((*self.link_allowlist, *hosts))),
        )

    @classmethod
    def from_table(cls, t: Table) -> PipelineConfig:
        t.reject_unknown(_KEYS)
        d = cls()
        checks = t.strings("checks", d.checks)
        for name in checks:
            if name not in CHECK_NAMES:
                raise ConfigError(f"{t.key('checks')}: unknown check {name!r} (known: {', '.join(CHECK_NAMES)})")
        rooms = {key: t.strings(key, ()) for key in ("links_allowed_in", "links_held_in", "links_rejected_in")}
        seen: dict[str, str] = {}
        for key, slugs in rooms.items():
            for slug in slugs:
                if slug in seen:
                    raise ConfigError(f"{t.key(key)}: room {slug!r} is also in {t.key(seen[slug])}")
                seen[slug] = key
        allow = tuple(domain.lower().removeprefix("www.") for domain in t.strings("link_allowlist", d.link_allowlist))
        for domain in allow:
            if not _DOMAIN.match(domain):
                raise ConfigError(f"{t.key('link_allowlist')}: {domain!r} is not a domain such as 3114.fr")
        phones = t.strings("phone_allowlist", d.phone_allowlist)
        for phone in phones:
            if sum(ch.isdigit() for ch in phone) < 3 or not re.fullmatch(r"[0-9+][0-9 ().\-]*", phone):
                raise ConfigError(f"{t.key('phone_allowlist')}: {phone!r} is not a phone number")
        return cls(
            checks=tuple(name for name in CHECK_NAMES if name in checks),
            exempt_roles=t.strings("exempt_roles", d.exempt_roles),
            link_policy=t.string("link_policy", d.link_policy, choices=LINK_POLICIES),
            links_allowed_in=rooms["links_allowed_in"],
            links_held_in=rooms["links_held_in"],
            links_rejected_in=rooms["links_rejected_in"],
            link_allowlist=allow,
            phone_allowlist=phones,
            repeat_similarity=t.number("repeat_similarity", d.repeat_similarity, low=0.5, high=1.0),
            repeat_min_length=t.integer("repeat_min_length", d.repeat_min_length, low=1, high=10_000),
            wall_min_length=t.integer("wall_min_length", d.wall_min_length, low=10, high=100_000),
            wall_share=t.number("wall_share", d.wall_share, low=0.5, high=1.0),
        )


def _host_of(url: str) -> str:
    host = url.split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0].lower()
    return host.removeprefix("www.")
