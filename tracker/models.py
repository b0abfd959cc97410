"""Imports every model so that metadata, migrations and the audit listener see them all."""
from tracker.api.models import ApiToken  # noqa: F401
from tracker.audit.models import AuditRecord  # noqa: F401
from tracker.auth.models import User  # noqa: F401
from tracker.campaigns.models import Campaign, RosterDecision, RosterEntry  # noqa: F401
from tracker.declarations.models import DeclarationCount, DeclarationImport  # noqa: F401
from tracker.enterprises.models import CreditRating, Enterprise, EnterpriseContact, TradeMode  # noqa: F401
from tracker.mail.models import OutboxMessage  # noqa: F401
from tracker.offices.models import Department, Office  # noqa: F401
from tracker.outreach.models import (  # noqa: F401
    AssistancePlan, DeadlineExtension, FollowUp, Need, NeedCategory, NeedEntry, Notification, PlanMeasure, PolicyTopic,
    Visit, VisitAttendee,
)
from tracker.workdays.models import CalendarOverride  # noqa: F401
