"""Imports every model so that metadata, migrations and the audit listener see them all."""
from tracker.audit.models import AuditRecord  # noqa: F401
from tracker.auth.models import User  # noqa: F401
from tracker.enterprises.models import Enterprise  # noqa: F401
from tracker.offices.models import Department, Office  # noqa: F401
