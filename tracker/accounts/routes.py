"""Contact accounts: officers invite a firm's contacts and switch their accounts off and on (staff pages,
under the firm's profile); the contact opens his account from the invitation link and resets a forgotten
password by e-mail (public pages: the link is the credential)."""
from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_user

from tracker.accounts import services
from tracker.accounts.forms import ForgotPasswordForm, InviteForm, JoinForm, ResetPasswordForm
from tracker.accounts.models import AccountToken, LinkState, TokenPurpose
from tracker.auth.models import User
from tracker.enterprises.models import Enterprise
from tracker.extensions import db, limiter
from tracker.forms import error_summary
from tracker.permissions import PUBLIC, STAFF, allow, load_or_404
from tracker.types import utcnow
from tracker.views import run_change

bp = Blueprint("accounts", __name__)


def _profile(enterprise_id: int) -> str:
    return url_for("enterprises.profile", enterprise_id=enterprise_id) + "#accounts"


# Staff: invitations and deactivation ---------------------------------------------------------------------
@bp.route("/enterprises/<int:enterprise_id>/invite", methods=["POST"])
@allow(*STAFF)
def invite(enterprise_id: int):
    enterprise = load_or_404(Enterprise, enterprise_id, services.can_manage_accounts, lock=True)
    form = InviteForm()
    if not form.validate_on_submit():
        flash(_("The invitation was not created: %(errors)s", errors=error_summary(form)), "danger")
        return redirect(_profile(enterprise.id))
    change = run_change(
        lambda: services.invite_contact(enterprise, display_name=form.display_name.data, title=form.title.data,
                                        email=form.email.data, by=current_user),
        lambda link: _("The invitation for %(name)s is ready. Pass the link on; it works once, for %(hours)d hours.",
                       name=link.display_name, hours=current_app.config["INVITATION_VALID_HOURS"]),
        submission=form.submission_key.data,
        created_url=lambda link: url_for("accounts.invitation", link_id=link.id))
    if change.ok or change.url:
        return redirect(change.url if change.duplicate else url_for("accounts.invitation", link_id=change.result.id))
    return redirect(_profile(enterprise.id))


def _managed_link(link_id: int, lock: bool = False) -> AccountToken:
    return load_or_404(AccountToken, link_id, services.can_manage_link, hide=True, lock=lock,
                       within=AccountToken.purpose == TokenPurpose.INVITATION)


@bp.route("/invitations/<int:link_id>")
@allow(*STAFF)
def invitation(link_id: int):
    link = _managed_link(link_id)
    state = link.state()
    return render_template("accounts/invitation.html", link=link, state=state,
                           url=services.invitation_url(link) if state is LinkState.PENDING else None)


@bp.route("/invitations/<int:link_id>/renew", methods=["POST"])
@allow(*STAFF)
def renew(link_id: int):
    link = _managed_link(link_id, lock=True)
    run_change(lambda: services.renew_invitation(link, by=current_user),
               _("A new link has been made; the earlier one no longer works."))
    return redirect(url_for("accounts.invitation", link_id=link.id))


@bp.route("/invitations/<int:link_id>/revoke", methods=["POST"])
@allow(*STAFF)
def revoke(link_id: int):
    link = _managed_link(link_id, lock=True)
    run_change(lambda: services.revoke_invitation(link), _("The invitation has been withdrawn."))
    return redirect(url_for("accounts.invitation", link_id=link.id))


def _managed_contact(user_id: int) -> User:
    return load_or_404(User, user_id, services.can_manage_contact, hide=True, lock=True)


@bp.route("/contacts/<int:user_id>/deactivate", methods=["POST"])
@allow(*STAFF)
def deactivate(user_id: int):
    contact = _managed_contact(user_id)
    run_change(lambda: services.deactivate_contact(contact, by=current_user),
               _("%(name)s can no longer sign in; his sessions have ended.", name=contact.display_name))
    return redirect(_profile(contact.enterprise_id))


@bp.route("/contacts/<int:user_id>/activate", methods=["POST"])
@allow(*STAFF)
def activate(user_id: int):
    contact = _managed_contact(user_id)
    run_change(lambda: services.reactivate_contact(contact, by=current_user),
               _("%(name)s can sign in again.", name=contact.display_name))
    return redirect(_profile(contact.enterprise_id))


# The contact: accepting an invitation ---------------------------------------------------------------------
@bp.route("/join/<token>", methods=["GET", "POST"])
@allow(PUBLIC)
def join(token: str):
    link = services.find_link(token, TokenPurpose.INVITATION)
    problem = services.link_problem(link)
    if problem:
        return render_template("accounts/link_problem.html", problem=problem), 404 if link is None else 410
    if current_user.is_authenticated:
        return render_template("accounts/join.html", link=link, form=None), 409
    form = JoinForm()
    if request.method == "GET":
        form.display_name.data = link.display_name
    if form.validate_on_submit():
        change = run_change(lambda: services.accept_invitation(
            link, username=form.username.data, display_name=form.display_name.data,
            password=form.new_password.data), None, form=form, field="username")
        if change.ok:
            user = change.result
            chosen_locale = session.get("locale")
            session.clear()
            if chosen_locale:
                session["locale"] = chosen_locale
            login_user(user)
            flash(_("Welcome, %(name)s. Your account is open: this is your firm's page.", name=user.display_name),
                  "success")
            return redirect(url_for("portal.index"))
        problem = services.link_problem(db.session.get(AccountToken, link.id))
        if problem:  # spent meanwhile, by another tab or another person
            return render_template("accounts/link_problem.html", problem=problem), 410
    return render_template("accounts/join.html", link=link, form=form), 400 if form.errors else 200


# The contact: a forgotten password --------------------------------------------------------------------------
def _email_key() -> str:
    return "reset-email:" + (request.form.get("email") or "").strip().lower()


@bp.route("/forgot", methods=["GET", "POST"])
@allow(PUBLIC)
@limiter.limit(lambda: current_app.config["PASSWORD_RESET_LIMIT_PER_EMAIL"], key_func=_email_key, methods=["POST"])
@limiter.limit(lambda: current_app.config["PASSWORD_RESET_LIMIT_PER_ADDRESS"], key_func=get_remote_address,
               methods=["POST"])
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        services.request_password_reset(form.email.data)
        db.session.commit()
        # The same answer whether or not an account uses the address: it tells nobody who has one.
        flash(_("If an enterprise contact's account uses this address, a link to set a new password is on its "
                "way. It works once, for %(minutes)d minutes.",
                minutes=current_app.config["PASSWORD_RESET_VALID_MINUTES"]), "info")
        return redirect(url_for("auth.login"))
    return render_template("accounts/forgot.html", form=form), 400 if form.errors else 200


@bp.route("/reset/<token>", methods=["GET", "POST"])
@allow(PUBLIC)
def reset_password(token: str):
    link = services.find_link(token, TokenPurpose.PASSWORD_RESET)
    problem = services.link_problem(link)
    if problem:
        return render_template("accounts/link_problem.html", problem=problem), 404 if link is None else 410
    form = ResetPasswordForm(link.user.username)
    if form.validate_on_submit():
        change = run_change(lambda: services.reset_password(link, form.new_password.data, now=utcnow()), None,
                            form=form, field="new_password")
        if change.ok:
            flash(_("Your new password is set, and every device signed in to your account has been signed out. "
                    "Sign in with the new password."), "success")
            return redirect(url_for("auth.login"))
        problem = services.link_problem(db.session.get(AccountToken, link.id))
        if problem:
            return render_template("accounts/link_problem.html", problem=problem), 410
    return render_template("accounts/reset.html", form=form, link=link), 400 if form.errors else 200


# The firm profile's accounts card (tracker/templates/accounts/_enterprise_card.html) -------------------------
@bp.app_template_global("firm_accounts")
def firm_accounts_for(enterprise: Enterprise):
    """The firm's contact accounts and open invitations, for staff who manage them; None for anyone else."""
    from tracker.accounts import queries

    if not services.can_manage_accounts(current_user, enterprise):
        return None
    return queries.firm_accounts(enterprise)


@bp.app_template_global("invite_form")
def invite_form() -> InviteForm:
    return InviteForm(formdata=None)
