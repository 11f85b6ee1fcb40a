"""Who is offered the next dose, by which pathway: the eligibility stage of the engine.

Pre-exposure rules are tried once; post-exposure rules once per exposure, so that each
exposure's own day 0 and risk decide its windows. A pathway is offered when one of its
rules gives a status and none blocks it. Post-exposure vaccination, when offered, comes
first: its window is short and it is a full dose.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from mpox_adapter.rules.context import with_exposure
from mpox_adapter.rules.doses import Fired, fire
from mpox_adapter.rules.facts import Exposure, Facts
from mpox_adapter.rules.packs import PackRule

_STATUS_ORDER = {"due": 0, "assessment-required": 1}


@dataclass(frozen=True, slots=True)
class Option:
    """What the rules of one pathway (for one exposure) say."""

    pathway: str
    values: dict[str, Any]
    fired: tuple[Fired, ...]
    exposure: Exposure | None = None
    status: str | None = None
    blocked: bool = False
    priority_group: int | None = None
    care_setting: str | None = None
    latest: date | None = None
    groups_matched: int = 0
    setters: dict[str, tuple[Fired, ...]] = field(default_factory=dict)
    """Decision field -> the fired rules that set it."""

    @property
    def offered(self) -> bool:
        return self.status is not None and not self.blocked

    @property
    def blocks(self) -> tuple[Fired, ...]:
        return tuple(f for f in self.fired if f.rule.rule.effect.block)


@dataclass(frozen=True, slots=True)
class Choice:
    chosen: Option | None
    declined: tuple[Fired, ...]
    """Rules that ruled a pathway out (reported even when another pathway is offered)."""


def choose(rules: Sequence[PackRule], values: dict[str, Any], facts: Facts) -> Choice:
    today = facts.assessment_date
    pre = [r for r in rules if r.rule.effect.pathway == "pre-exposure"]
    post = [r for r in rules if r.rule.effect.pathway == "post-exposure"]
    pre_option = pathway_option("pre-exposure", fire(pre, values), values, None)
    post_options = [
        pathway_option("post-exposure", fire(post, ctx), ctx, exposure)
        for exposure in facts.exposures
        for ctx in (with_exposure(values, exposure, today),)
    ] or [pathway_option("post-exposure", fire(post, values), values, None)]
    offered_post = [o for o in post_options if o.offered]
    if offered_post:
        best = min(offered_post, key=lambda o: (_STATUS_ORDER[o.status or "due"], _late(o)))
        return Choice(best, pre_option.blocks)
    # Of several exposures none offered: the most recent one says why.
    post_blocks = post_options[-1].blocks
    if pre_option.offered:
        return Choice(pre_option, post_blocks)
    return Choice(None, pre_option.blocks + post_blocks)


def _late(option: Option) -> int:
    # The later the window closes, the better: sort key is negative days since 1 AD.
    return -(option.latest or date.min).toordinal()


def pathway_option(
    pathway: str, fired: list[Fired], values: dict[str, Any], exposure: Exposure | None
) -> Option:
    statuses = [f for f in fired if f.rule.rule.effect.status]
    groups = [f for f in fired if f.rule.rule.effect.priority_group]
    settings = [f for f in fired if f.rule.rule.effect.care_setting]
    windows = [f for f in fired if f.rule.rule.effect.latest_days is not None]
    status = min(
        (f.rule.rule.effect.status or "due" for f in statuses),
        key=lambda s: _STATUS_ORDER[s],
        default=None,
    )
    group = min((f.rule.rule.effect.priority_group or 3 for f in groups), default=None)
    latest = None
    if windows and exposure is not None:
        days = max(f.rule.rule.effect.latest_days or 0 for f in windows)
        latest = exposure.last_day + timedelta(days)
        windows = [f for f in windows if f.rule.rule.effect.latest_days == days]
    if group is not None:
        # The lowest group decides where vaccination is offered (PROJ-LOWEST-GROUP).
        lowest = [f for f in groups if f.rule.rule.effect.priority_group == group]
        settings = [f for f in lowest if f.rule.rule.effect.care_setting] or settings
    setting = settings[-1].rule.rule.effect.care_setting if settings else None
    matched = len({g.rule.rule.effect.priority_group for g in groups})
    ctx = {**values, "pathway": pathway, "groups_matched": matched}
    return Option(
        pathway=pathway,
        values=ctx,
        fired=tuple(Fired(f.rule, ctx) for f in fired),
        exposure=exposure,
        status=status,
        blocked=any(f.rule.rule.effect.block for f in fired),
        priority_group=group,
        care_setting=setting,
        latest=latest,
        groups_matched=matched,
        setters={
            "status": tuple(f for f in statuses if f.rule.rule.effect.status == status),
            "priority_group": tuple(groups),  # all matched groups explain the lowest
            "care_setting": tuple(
                f for f in settings if f.rule.rule.effect.care_setting == setting
            ),
            "latest": tuple(windows) if latest else (),
        },
    )
