"""Reads of the contact accounts: a firm's accounts and its invitations not yet accepted."""
from dataclasses import dataclass

import sqlalchemy as sa

from tracker.accounts.models import AccountToken, TokenPurpose
from tracker.auth.models import Role, User
from tracker.enterprises.models import Enterprise
from tracker.extensions import db


@dataclass
class FirmAccounts:
    accounts: list[User]
    invitations: list[AccountToken]


def firm_accounts(enterprise: Enterprise) -> FirmAccounts:
    """Two statements, whatever the number of contacts: the accounts (active first) and the open invitations
    (neither accepted nor withdrawn; an expired one stays listed so that it can be renewed)."""
    accounts = db.session.scalars(
        sa.select(User).where(User.enterprise_id == enterprise.id, User.role == Role.ENTERPRISE_CONTACT)
        .order_by(User.active.desc(), User.display_name, User.id)).all()
    invitations = db.session.scalars(
        sa.select(AccountToken).where(AccountToken.enterprise_id == enterprise.id,
                                      AccountToken.purpose == TokenPurpose.INVITATION,
                                      AccountToken.used_at.is_(None), AccountToken.revoked_at.is_(None))
        .order_by(AccountToken.created_at.desc(), AccountToken.id.desc())).all()
    return FirmAccounts(accounts, invitations)
