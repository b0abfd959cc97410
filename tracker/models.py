"""Imports every model so that metadata, migrations and the audit listener see them all."""
from tracker.accounts.models import AccountToken  # noqa: F401
from tracker.api.models import ApiToken  # noqa: F401
from tracker.appointments.models import (  # noqa: F401
    Appointment, CalendarFeed, CertificateType, CounterDigest, CounterWindow, DisplayToken, IssuedCertificate,
    OpeningPeriod, ServicePoint, ServiceRating, Slot,
)
from tracker.audit.models import AuditRecord  # noqa: F401
from tracker.auth.models import User  # noqa: F401
from tracker.campaigns.models import Campaign, RosterDecision, RosterEntry  # noqa: F401
from tracker.enterprises.models import CreditRating, Enterprise, EnterpriseContact, TradeMode  # noqa: F401
from tracker.imports.models import DeclarationCount, DeclarationImport  # noqa: F401
from tracker.needs.models import DeadlineExtension, FollowUp, Need, NeedCategory, NeedEntry  # noqa: F401
from tracker.notifications.models import Notification  # noqa: F401
from tracker.mail.models import OutboxMessage  # noqa: F401
from tracker.offices.models import Department, Office  # noqa: F401
from tracker.plans.models import AssistancePlan, PlanMeasure  # noqa: F401
from tracker.reports.models import ReportExport  # noqa: F401
from tracker.questionnaires.models import Answer, Question, Questionnaire, QuestionOption, Response  # noqa: F401
from tracker.visits.models import PolicyTopic, Visit, VisitAttendee  # noqa: F401
from tracker.workdays.models import CalendarOverride  # noqa: F401
from tracker.submissions import SubmissionKey  # noqa: F401
from tracker.briefings.models import (  # noqa: F401
    Briefing, BriefingInvitation, BriefingMaterial, BriefingRegistration,
)
from tracker.certification.models import (  # noqa: F401
    Assessment, CertificationStandard, Evidence, ItemScore, ItemScoreHistory, StandardItem, StandardSection,
)
