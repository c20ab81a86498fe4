"""Links: each room has a policy, and the helplines' sites are always welcome.

A link is anything with a scheme ("https://…"), anything starting "www.", a bare domain with a
common top-level domain ("doctissimo.fr", "bit.ly/…", "discord.gg/…") and the messaging
short links "t.me/…" and "wa.me/…". An e-mail address is not a link (personal data sees it).

The room's policy (`Candidate.link_policy`, from `PipelineConfig.link_policy_for`):

* "allow": nothing to say;
* "hold": HOLD with code "link": a helper opens it before anyone else does. The default,
  because in a mental-health room a link may lead to pro-suicide or pro-anorexia content;
* "reject": REJECT with code "link"; the writer is told links are not posted in this room.

A message whose every link is on the allowlist (a site or its subdomains) passes whatever the
policy. Reasons say "link", never the address: a personal site may carry a name.

Finding them: a message is scanned once for a top-level domain after a dot, a regular
expression with a literal first character that the engine looks for fast; the host is then
read backwards from the dot. Schemes and "www." are found with a plain substring test first.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Final

from moderation.verdict import Action, Verdict

if TYPE_CHECKING:
    from moderation.pipeline import Candidate

__all__ = ["LinksCheck", "hosts_in"]

# Endings that are also French or English words are left out of bare domains: "ok.ca va",
# "plus.de sommeil", "tu.es là", "j'ai.eu peur", "want.to", "ok.so" are typing slips far more
# often than sites (.ca .de .es .eu .me .to .co .it .in .is .at .us .re). With a scheme or
# "www." any host counts.
_TLDS: Final = (
    "com", "fr", "org", "net", "io", "be", "ch", "uk", "info", "gg", "ly", "tv", "app", "xyz", "link",
    "site", "online", "shop", "blog", "club", "live", "news", "biz", "gov", "edu", "ru", "cn", "nl", "pl",
    "pt", "ie", "lu",
)
_BARE: Final = re.compile(r"\.(?:" + "|".join(_TLDS) + r")(?![\w-])", re.I)
_SCHEMED: Final = re.compile(r"(?:https?://|www\.)([^\s/?#:<>\"'\\]+)", re.I)
_SHORT: Final = re.compile(r"(?<![\w.-])(t\.me|wa\.me)/\w", re.I)
_HOST_CHARS: Final = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-")


def hosts_in(text: str) -> list[str]:
    """The hosts of the links in `text`, lower case and without "www.", in order of appearance."""
    hosts: list[str] = []
    low = text.lower()
    if "://" in low or "www." in low:
        hosts.extend(m.group(1).lower().rstrip(".,;!?)]}") for m in _SCHEMED.finditer(text))
    if ".me/" in low:
        hosts.extend(m.group(1).lower() for m in _SHORT.finditer(text))
    for found in _BARE.finditer(text):
        start = found.start()
        while start > 0 and text[start - 1] in _HOST_CHARS:
            start -= 1
        host = text[start:found.end()].lower().strip(".-")
        if start > 0 and text[start - 1] in "@/":
            continue  # an e-mail address, or the path of a link already counted
        if not host or host[0] == "." or "." not in host:
            continue
        if start >= 3 and text[start - 3:start] == "://":
            continue  # counted with its scheme
        hosts.append(host)
    return [host.removeprefix("www.") for host in hosts]


class LinksCheck:
    __slots__ = ("_allowed", "_exempt", "name")

    def __init__(self, allowlist: Iterable[str] = (), *, exempt_roles: frozenset[str] = frozenset()) -> None:
        self.name = "links"
        self._allowed = tuple(domain.lower().removeprefix("www.") for domain in allowlist)
        self._exempt = exempt_roles

    def allowed(self, host: str) -> bool:
        """Whether `host` is an allowlisted site or one of its subdomains."""
        return any(host == domain or host.endswith("." + domain) for domain in self._allowed)

    def __call__(self, c: Candidate) -> Verdict | None:
        if c.link_policy == "allow" or c.role in self._exempt or "." not in c.text:
            return None
        hosts = hosts_in(c.text)
        if not hosts or all(self.allowed(host) for host in hosts):
            return None
        action = Action.REJECT if c.link_policy == "reject" else Action.HOLD
        return Verdict(action, self.name, ("link",), code="link", priority=1)
