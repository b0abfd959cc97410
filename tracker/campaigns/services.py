"""Screening a campaign's roster and the officers' decisions on it."""
from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import gettext as _

from tracker.auth.models import User
from tracker.campaigns.models import Campaign, RosterDecision, RosterDecisionKind, RosterEntry, RosterSource
from tracker.imports.models import DeclarationCount
from tracker.enterprises.models import Enterprise
from tracker.domain import DomainError
from tracker.extensions import db
from tracker.offices.models import Office
from tracker.types import utcnow


class CampaignError(DomainError):
    pass


@dataclass
class ScreeningResult:
    screened: int  # firms at or over the threshold
    included: int  # added by decision although under the threshold
    excluded: int  # removed by decision although over it
    total: int

    def message(self) -> str:
        return _("%(total)d firms on the roster: %(screened)d reached the threshold, %(included)d added "
                 "and %(excluded)d removed by officers.", total=self.total, screened=self.screened,
                 included=self.included, excluded=self.excluded)


def subtree_firms(campaign: Campaign) -> sa.Select:
    """Ids of the active firms in the campaign office's subtree."""
    return (
        sa.select(Enterprise.id)
        .join(Office, Office.id == Enterprise.office_id)
        .where(Office.path.startswith(campaign.office.path, autoescape=True), Enterprise.archived_at.is_(None))
    )


def screen(campaign: Campaign) -> ScreeningResult:
    """Rebuild the roster: firms at or over the threshold, plus officers' additions, minus their removals."""
    firms = subtree_firms(campaign).subquery()
    screened = dict(
        db.session.execute(
            sa.select(DeclarationCount.enterprise_id, DeclarationCount.declarations)
            .where(
                DeclarationCount.year == campaign.declaration_year,
                DeclarationCount.declarations >= campaign.threshold,
                DeclarationCount.enterprise_id.in_(sa.select(firms.c.id)),
            )
        ).all()
    )
    decisions = dict(
        db.session.execute(
            sa.select(RosterDecision.enterprise_id, RosterDecision.decision).where(
                RosterDecision.campaign_id == campaign.id
            )
        ).all()
    )
    includes = [eid for eid, d in decisions.items() if d is RosterDecisionKind.INCLUDE and eid not in screened]
    excludes = {eid for eid, d in decisions.items() if d is RosterDecisionKind.EXCLUDE}
    include_counts = _counts(campaign, includes)

    rows = [
        {"campaign_id": campaign.id, "enterprise_id": eid, "declarations": n, "source": RosterSource.SCREENING}
        for eid, n in screened.items() if eid not in excludes
    ] + [
        {"campaign_id": campaign.id, "enterprise_id": eid, "declarations": include_counts.get(eid),
         "source": RosterSource.MANUAL}
        for eid in includes
    ]
    db.session.execute(sa.delete(RosterEntry).where(RosterEntry.campaign_id == campaign.id))
    if rows:
        db.session.execute(sa.insert(RosterEntry), rows)
    campaign.screened_at = utcnow()
    db.session.flush()
    return ScreeningResult(
        screened=len(screened), included=len(includes), excluded=len(excludes & screened.keys()), total=len(rows)
    )


def _counts(campaign: Campaign, enterprise_ids: list[int]) -> dict[int, int]:
    if not enterprise_ids:
        return {}
    return dict(
        db.session.execute(
            sa.select(DeclarationCount.enterprise_id, DeclarationCount.declarations).where(
                DeclarationCount.year == campaign.declaration_year, DeclarationCount.enterprise_id.in_(enterprise_ids)
            )
        ).all()
    )


def decide(campaign: Campaign, enterprise: Enterprise, kind: RosterDecisionKind, reason: str, by: User) -> RosterDecision:
    """Add or remove a firm by hand; the decision is kept and re-applied at every screening."""
    reason = (reason or "").strip()
    if not reason:
        raise CampaignError(_("Give a reason for adding or removing a firm."))
    if not campaign.office.contains(enterprise.office):
        raise CampaignError(_("%(name)s is not in this campaign's area.", name=enterprise.name))
    entry = db.session.scalar(
        sa.select(RosterEntry).where(RosterEntry.campaign_id == campaign.id, RosterEntry.enterprise_id == enterprise.id)
    )
    if kind is RosterDecisionKind.INCLUDE and entry is not None:
        raise CampaignError(_("%(name)s is already on the roster.", name=enterprise.name))
    if kind is RosterDecisionKind.EXCLUDE and entry is None:
        raise CampaignError(_("%(name)s is not on the roster.", name=enterprise.name))
    decision = db.session.scalar(
        sa.select(RosterDecision).where(
            RosterDecision.campaign_id == campaign.id, RosterDecision.enterprise_id == enterprise.id
        )
    )
    if decision is None:
        decision = RosterDecision(campaign=campaign, enterprise=enterprise)
        db.session.add(decision)
    decision.decision, decision.reason, decision.decided_by, decision.decided_at = kind, reason, by, utcnow()
    if kind is RosterDecisionKind.INCLUDE:
        count = _counts(campaign, [enterprise.id]).get(enterprise.id)
        db.session.add(RosterEntry(campaign=campaign, enterprise=enterprise, declarations=count,
                                   source=RosterSource.MANUAL))
    else:
        db.session.delete(entry)
    db.session.flush()
    return decision


def withdraw_decision(campaign: Campaign, decision: RosterDecision) -> None:
    """Forget an officer's decision; the next screening decides on the threshold alone."""
    db.session.delete(decision)
    db.session.flush()
    screen(campaign)


def create_campaign(*, name: str, office: Office, year: int, threshold: int = 80, starts_on=None, ends_on=None,
                    by: User | None = None) -> Campaign:
    if threshold < 1:
        raise CampaignError(_("The threshold must be at least 1."))
    if starts_on and ends_on and ends_on < starts_on:
        raise CampaignError(_("The campaign cannot end before it starts."))
    campaign = Campaign(name=name.strip(), office=office, declaration_year=year, threshold=threshold,
                        starts_on=starts_on, ends_on=ends_on, created_by_id=by.id if by else None)
    db.session.add(campaign)
    db.session.flush()
    return campaign
