"""The shipped checks of the pipeline, one module each, and `build_checks` to set them up.

Every check is a callable class: its ``__init__`` does the work once (compiled patterns,
normalised word lists, allowlists) and its ``__call__(candidate)`` returns a `Verdict` or
``None``. They import `Candidate` for typing only, so `moderation.pipeline` can import them.
"""

from __future__ import annotations

from moderation.checks.abusive import AbusiveCheck
from moderation.checks.crisis_check import CrisisCheck
from moderation.checks.links import LinksCheck
from moderation.checks.personal_data import PersonalDataCheck
from moderation.checks.repetition import RepetitionCheck
from moderation.crisis import CrisisDetector
from moderation.pipeline_config import PipelineConfig

__all__ = [
    "AbusiveCheck", "CrisisCheck", "LinksCheck", "PersonalDataCheck", "RepetitionCheck", "build_checks",
]


def build_checks(
    detector: CrisisDetector | None, config: PipelineConfig,
) -> list[CrisisCheck | PersonalDataCheck | LinksCheck | AbusiveCheck | RepetitionCheck]:
    """The checks ``config`` turns on, in the shipped order (crisis first: see the pipeline)."""
    on = set(config.checks)
    exempt = frozenset(config.exempt_roles)
    checks: list[CrisisCheck | PersonalDataCheck | LinksCheck | AbusiveCheck | RepetitionCheck] = []
    if "crisis" in on and detector is not None:
        checks.append(CrisisCheck(detector))
    if "personal_data" in on:
        checks.append(PersonalDataCheck(config.phone_allowlist, exempt_roles=exempt))
    if "links" in on:
        checks.append(LinksCheck(config.link_allowlist, exempt_roles=exempt))
    if "abusive" in on:
        checks.append(AbusiveCheck.shipped(exempt_roles=exempt))
    if "repetition" in on:
        checks.append(RepetitionCheck(
            similarity=config.repeat_similarity, min_length=config.repeat_min_length,
            wall_min_length=config.wall_min_length, wall_share=config.wall_share, exempt_roles=exempt,
        ))
    return checks
