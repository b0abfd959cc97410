"""Campaigns: creation, screening, the roster and officers' decisions on it."""
import sqlalchemy as sa
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from tracker.auth.models import Role
from tracker.campaigns import queries, services
from tracker.campaigns.forms import CampaignForm, ExcludeForm, IncludeForm
from tracker.campaigns.models import Campaign, RosterDecision, RosterDecisionKind
from tracker.enterprises.identifiers import normalise_code
from tracker.enterprises.models import Enterprise
from tracker.exports import csv_response, xlsx_response
from tracker.extensions import db
from tracker.i18n import LOCAL_TZ
from tracker.offices.models import Office
from tracker.pagination import paginate_rows
from tracker.permissions import STAFF, allow, can_see_office, load_or_404, require
from tracker.views import run_change
from tracker.forms import db_int

bp = Blueprint("campaigns", __name__)


def get_campaign(campaign_id: int) -> Campaign:
    """The campaign; a POST locks it, so that changes to one roster run one after the other."""
    return load_or_404(Campaign, campaign_id, lock=request.method == "POST")


@bp.route("/")
@allow(*STAFF)
def index():
    campaigns = queries.campaigns_of(current_user)
    sizes = queries.roster_sizes(campaigns)
    return render_template("campaigns/index.html", campaigns=campaigns, sizes=sizes)


@bp.route("/new", methods=["GET", "POST"])
@allow(Role.MANAGER, Role.ADMIN)
def new():
    form = CampaignForm(current_user)
    if request.method == "GET":
        form.office_id.data = current_user.office_id
    if form.validate_on_submit():
        office = db.session.get(Office, form.office_id.data)
        require(office is not None and can_see_office(current_user, office), "office")
        def create():
            campaign = services.create_campaign(
                name=form.name.data, office=office, year=form.declaration_year.data, threshold=form.threshold.data,
                starts_on=form.starts_on.data, ends_on=form.ends_on.data, by=current_user)
            return campaign, services.screen(campaign)

        change = run_change(create, lambda done: _("The campaign has been created.") + " " + done[1].message(),
                            submission=form.submission_key.data,
                            created_url=lambda done: url_for("campaigns.detail", campaign_id=done[0].id))
        if change.ok:
            return redirect(url_for("campaigns.detail", campaign_id=change.result[0].id))
        if change.duplicate:
            return redirect(change.url or url_for("campaigns.index"))
    return render_template("campaigns/new.html", form=form)


@bp.route("/<int:campaign_id>")
@allow(*STAFF)
def detail(campaign_id: int):
    campaign = get_campaign(campaign_id)
    q = request.args.get("q", "").strip()[:100]
    pagination = paginate_rows(queries.roster_select(campaign, q).add_columns(queries.last_visit(campaign)),
                               request.args.get("page", 1, type=db_int), 50)
    decisions = queries.decisions_of(campaign)
    return render_template("campaigns/detail.html", campaign=campaign, pagination=pagination, q=q,
                           decisions=decisions, coverage=queries.coverage(campaign), include_form=IncludeForm(formdata=None),
                           exclude_form=ExcludeForm(formdata=None))


@bp.route("/<int:campaign_id>/screen", methods=["POST"])
@allow(*STAFF)
def screen(campaign_id: int):
    campaign = get_campaign(campaign_id)
    run_change(lambda: services.screen(campaign), lambda result: result.message())
    return redirect(url_for("campaigns.detail", campaign_id=campaign.id))


@bp.route("/<int:campaign_id>/include", methods=["POST"])
@allow(*STAFF)
def include(campaign_id: int):
    campaign = get_campaign(campaign_id)
    form = IncludeForm()
    if not form.validate_on_submit():
        flash(_("Give the firm's code and a reason."), "danger")
        return redirect(url_for("campaigns.detail", campaign_id=campaign.id))
    code = normalise_code(form.code.data)
    enterprise = db.session.scalar(
        sa.select(Enterprise).where(sa.or_(Enterprise.uscc == code, Enterprise.customs_code == code)))
    if enterprise is None or not can_see_office(current_user, enterprise.office):
        flash(_("No firm in your area has the code %(code)s.", code=code), "danger")
        return redirect(url_for("campaigns.detail", campaign_id=campaign.id))
    run_change(lambda: services.decide(campaign, enterprise, RosterDecisionKind.INCLUDE, form.reason.data,
                                       current_user),
               _("%(name)s has been added to the roster.", name=enterprise.name))
    return redirect(url_for("campaigns.detail", campaign_id=campaign.id))


@bp.route("/<int:campaign_id>/exclude/<int:enterprise_id>", methods=["POST"])
@allow(*STAFF)
def exclude(campaign_id: int, enterprise_id: int):
    campaign = get_campaign(campaign_id)
    enterprise = load_or_404(Enterprise, enterprise_id)
    form = ExcludeForm()
    if not form.validate_on_submit():
        flash(_("Give a reason for removing a firm."), "danger")
        return redirect(url_for("campaigns.detail", campaign_id=campaign.id))
    run_change(lambda: services.decide(campaign, enterprise, RosterDecisionKind.EXCLUDE, form.reason.data,
                                       current_user),
               _("%(name)s has been removed from the roster.", name=enterprise.name))
    return redirect(url_for("campaigns.detail", campaign_id=campaign.id))


@bp.route("/<int:campaign_id>/decisions/<int:decision_id>/withdraw", methods=["POST"])
@allow(*STAFF)
def withdraw(campaign_id: int, decision_id: int):
    campaign = get_campaign(campaign_id)
    decision = load_or_404(RosterDecision, decision_id, within=RosterDecision.campaign_id == campaign.id)
    run_change(lambda: services.withdraw_decision(campaign, decision),
               _("The decision has been withdrawn; the roster follows the threshold for this firm again."))
    return redirect(url_for("campaigns.detail", campaign_id=campaign.id))


@bp.route("/<int:campaign_id>/roster.<any(xlsx, csv):fmt>")
@allow(*STAFF)
def export(campaign_id: int, fmt: str):
    campaign = get_campaign(campaign_id)
    header = [_("Enterprise name"), _("Unified social credit code"), _("Customs registration code"),
              _("Customs office"), _("Declarations %(year)s", year=campaign.declaration_year), _("Credit level"),
              _("Assigned officer"), _("On the roster by"), _("Visited"), _("Last visit")]
    # As on the roster page: the last visit made for this campaign, read in the same query (one per export).
    stmt = queries.roster_select(campaign, "").add_columns(queries.last_visit(campaign))

    def rows():
        for entry, enterprise, last_visit in db.session.execute(stmt.execution_options(yield_per=1000)):
            yield (enterprise.name, enterprise.uscc, enterprise.customs_code, enterprise.office.name,
                   entry.declarations, enterprise.credit_level_label,
                   enterprise.assigned_officer.display_name if enterprise.assigned_officer else "",
                   _("screening") if entry.source.value == "screening" else _("officer's decision"),
                   _("yes") if last_visit else _("no"),
                   last_visit.astimezone(LOCAL_TZ).date() if last_visit else "")

    filename = f"roster-{campaign.declaration_year}-{campaign.id}.{fmt}"
    if fmt == "csv":
        return csv_response(filename, header, rows())
    return xlsx_response(filename, _("Roster"), header, rows())
