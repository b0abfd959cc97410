"""My work (我的工作, /work) and the notification list: thin views over queries.py and services.py."""
import click
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from tracker.extensions import db
from tracker.notifications import queries
from tracker.notifications.models import Notification
from tracker.notifications.services import deadline_reminders, mark_all_read, mark_read, message, unread_count
from tracker.permissions import SIGNED_IN, STAFF, allow, load_or_404
from tracker.forms import db_int

bp = Blueprint("notifications", __name__, cli_group=None)


# My work and the notification list ----------------------------------------------------------------
@bp.route("/")
@allow(*STAFF)
def index():
    """The officer's open needs by deadline (overdue first), visits with a follow-up due, notices.

    A GET writes nothing: deadline reminders are made by the periodic job (and `flask notify-deadlines`).
    """
    from tracker.i18n import local_today

    user = current_user
    today = local_today()
    work = queries.my_work(user, today)
    return render_template("notifications/index.html", needs=work.needs, overdue=work.overdue, today=today,
                           visits=work.visits, extensions=work.extensions, recent=work.recent,
                           remediations=work.remediations, overdue_remediations=work.overdue_remediations,
                           message=message, unread=unread_count(user))


@bp.route("/notifications")
@allow(SIGNED_IN)  # a firm's contact reads his own notices too
def notifications():
    page = request.args.get("page", 1, type=db_int)
    pagination = queries.notifications_page(current_user, page)
    return render_template("notifications/notifications.html", pagination=pagination, message=message)


@bp.route("/notifications/<int:notification_id>/read", methods=["POST"])
@allow(SIGNED_IN)  # a firm's contact reads his own notices too
def read(notification_id: int):
    notification = load_or_404(Notification, notification_id)
    mark_read(notification)
    db.session.commit()
    target = notification.link if notification.link.startswith("/") and not notification.link.startswith("//") \
        else url_for("notifications.notifications")
    return redirect(target)


@bp.route("/notifications/read-all", methods=["POST"])
@allow(SIGNED_IN)  # a firm's contact reads his own notices too
def read_all():
    mark_all_read(current_user)
    db.session.commit()
    flash(_("All notifications are marked as read."), "success")
    return redirect(url_for("notifications.notifications"))


@bp.cli.command("notify-deadlines")
@click.option("--today", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="Count from this day instead of today (Asia/Shanghai).")
def notify_deadlines_command(today):
    """Remind officers of open needs due within two working days (safe to run repeatedly)."""
    from tracker.audit.listeners import cli_actor

    token = cli_actor.set((None, "cli:notify-deadlines"))
    try:
        made = deadline_reminders(today.date() if today else None)
        db.session.commit()
    finally:
        cli_actor.reset(token)
    click.echo(f"{made} reminder(s) made.")
