"""Sign-in, sign-out, password change and the language switch."""
from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from tracker.auth import services, throttle
from tracker.auth.forms import ChangePasswordForm, LanguageForm, LoginForm
from tracker.extensions import db
from tracker.permissions import PUBLIC, SIGNED_IN, allow
from tracker.security import safe_next

bp = Blueprint("auth", __name__)


@bp.route("/login", methods=["GET", "POST"])
@allow(PUBLIC)
@throttle.per_username
@throttle.per_address
def login():
    target = safe_next(request.values.get("next"))
    if current_user.is_authenticated:
        throttle.succeeded()  # nothing was tried
        return redirect(target or url_for("main.index"))
    form = LoginForm(next=target)
    if form.validate_on_submit():
        user = services.authenticate(form.username.data, form.password.data)
        if user is not None:
            # A fresh session: nothing from before sign-in survives (session fixation).
            chosen_locale = session.get("locale")
            session.clear()
            login_user(user, remember=form.remember.data)
            if user.locale is None and chosen_locale:
                user.locale = chosen_locale
            services.record_sign_in(user)
            db.session.commit()
            throttle.succeeded()
            return redirect(target or url_for("main.index"))
        form.password.errors.append(_("The username or password is not correct."))
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@allow(SIGNED_IN)
def logout():
    # CSRFProtect has already checked the token of this POST.
    user = current_user._get_current_object()
    user.rotate_session_token()
    db.session.commit()
    services.log.info("sign-out: username=%s ip=%s", user.username, request.remote_addr)
    logout_user()
    session.clear()
    flash(_("You have signed out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@allow(SIGNED_IN)
def change_password():
    user = current_user._get_current_object()
    form = ChangePasswordForm(user)
    if form.validate_on_submit():
        services.set_password(user, form.new_password.data)
        db.session.commit()
        # Other sessions end with the old token; this one continues with the new one.
        session.clear()
        login_user(user)
        flash(_("Your password has been changed. Other devices have been signed out."), "success")
        return redirect(url_for("main.index"))
    return render_template("auth/change_password.html", form=form)


@bp.route("/language", methods=["POST"])
@allow(PUBLIC)
def set_language():
    form = LanguageForm()
    target = safe_next(form.next.data) or url_for("main.index")
    if form.validate_on_submit() and form.lang.data in current_app.config["LANGUAGES"]:
        session["locale"] = form.lang.data
        if current_user.is_authenticated:
            current_user.locale = form.lang.data
            db.session.commit()
    return redirect(target)
