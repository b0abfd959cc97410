"""The customs enterprise-outreach tracker (百企大调研): the application factory."""
import logging
import os
import secrets
from pathlib import Path

from flask import Flask
from werkzeug.routing import IntegerConverter
from werkzeug.middleware.proxy_fix import ProxyFix

from tracker.config import DefaultConfig

PACKAGE_ROOT = Path(__file__).resolve().parent
# A source checkout (the package beside pyproject.toml) keeps its data in instance/ there; an installed
# package (a wheel in site-packages) takes Flask's own default, <prefix>/var/tracker-instance.
PROJECT_ROOT = PACKAGE_ROOT.parent
SOURCE_CHECKOUT = (PROJECT_ROOT / "pyproject.toml").is_file()


class DbIntConverter(IntegerConverter):
    """Werkzeug's int converter, bounded by what both databases store (tracker.forms.DB_INT_MAX)."""

    def __init__(self, map, *args, **kwargs):
        from tracker.forms import DB_INT_MAX

        kwargs.setdefault("max", DB_INT_MAX)
        super().__init__(map, *args, **kwargs)


def create_app(config: dict | None = None) -> Flask:
    instance_path = os.environ.get("TRACKER_INSTANCE_PATH") or (
        str(PROJECT_ROOT / "instance") if SOURCE_CHECKOUT else None)
    # Templates, static files, migrations and catalogs are package data: a wheel carries them.
    app = Flask(__name__, instance_path=instance_path, instance_relative_config=True)
    load_config(app, config)
    # <int:...> in every route: an id no INTEGER column can hold is a 404, not an OverflowError.
    app.url_map.converters["int"] = DbIntConverter
    register_logging(app)
    register_extensions(app)
    register_request_hooks(app)
    register_blueprints(app)
    register_error_handlers(app)
    register_template_helpers(app)
    register_cli(app)
    return app


def load_config(app: Flask, overrides: dict | None) -> None:
    """Defaults, then instance/config.py, then TRACKER_* variables, then the caller's overrides."""
    app.config.from_object(DefaultConfig)
    app.config.from_pyfile("config.py", silent=True)
    app.config.from_prefixed_env("TRACKER")
    if overrides:
        app.config.update(overrides)

    production = app.config["ENV"] == "production"
    if production and not app.config.get("SECRET_KEY"):
        raise RuntimeError(
            "TRACKER_SECRET_KEY is not set. With TRACKER_ENV=production the tracker will not start "
            "without a fixed secret key: set TRACKER_SECRET_KEY to a long random value "
            "(python -c 'import secrets; print(secrets.token_hex(32))')."
        )
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _development_secret_key(Path(app.instance_path) / "secret_key")

    from tracker.database import database_uri, engine_options
    from tracker.security import https_enabled

    uri = database_uri(app)
    app.config["SQLALCHEMY_DATABASE_URI"] = uri
    app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", engine_options(app, uri))
    if https_enabled(app):
        app.config.update(
            SESSION_COOKIE_SECURE=True, REMEMBER_COOKIE_SECURE=True, PREFERRED_URL_SCHEME="https"
        )


def _development_secret_key(path: Path) -> str:
    """Generate the key once; O_EXCL makes concurrent first starts agree on one key."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    key = secrets.token_hex(32)
    with os.fdopen(fd, "w") as fh:
        fh.write(key + "\n")
    return key


def register_logging(app: Flask) -> None:
    if not app.debug and not app.testing and not logging.getLogger("tracker").handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        logging.getLogger("tracker").addHandler(handler)
        logging.getLogger("tracker").setLevel(logging.INFO)


def register_extensions(app: Flask) -> None:
    from flask_babel import lazy_gettext as _l

    from tracker import models  # noqa: F401  (every model registered before mappers configure)
    from tracker.audit.listeners import register_audit_listeners
    from tracker.database import configure_sqlite
    from tracker.extensions import babel, csrf, db, limiter, login_manager, migrate
    from tracker.i18n import select_locale, select_timezone

    db.init_app(app)
    migrate.init_app(app, db, directory=str(PACKAGE_ROOT / "migrations"), compare_type=True)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone,
                   default_translation_directories=str(Path(__file__).parent / "translations"))
    limiter.init_app(app)
    login_manager.init_app(app)
    from tracker.auth.services import load_user_by_session_token, unauthorized

    login_manager.user_loader(load_user_by_session_token)
    login_manager.unauthorized_handler(unauthorized)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please sign in to see this page.")
    login_manager.login_message_category = "info"
    # Our session tokens already tie the session to the account; "basic" keeps remember-me working.
    login_manager.session_protection = "basic"

    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            configure_sqlite(db.engine, app.config["SQLITE_BUSY_TIMEOUT"])
    register_audit_listeners()

    from tracker import jobs
    from tracker.mail.services import register_outbox_listeners

    jobs.init_app(app)
    # Mail queued in a transaction is handed to the queue once that transaction commits.
    register_outbox_listeners()

    if app.config.get("PROXY_FIX_X_FOR"):
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=int(app.config["PROXY_FIX_X_FOR"]), x_proto=1)


def register_request_hooks(app: Flask) -> None:
    from tracker.permissions import enforce_access
    from tracker.security import check_origin, refuse_unparseable_json, screen_text_fields, set_security_headers

    app.before_request(check_origin)
    app.before_request(screen_text_fields)
    app.before_request(refuse_unparseable_json)
    app.before_request(enforce_access)
    app.after_request(set_security_headers)


def register_blueprints(app: Flask) -> None:
    from tracker.admin import reference as _admin_reference  # noqa: F401  (views on the admin blueprint)
    from tracker.accounts.routes import bp as accounts_bp
    from tracker.admin.routes import bp as admin_bp
    from tracker.api import appointments as _api_appointments  # noqa: F401  (operations on the API blueprint)
    from tracker.api import reports as _api_reports  # noqa: F401  (operations on the API blueprint)
    from tracker.api.routes import bp as api_bp
    from tracker.api.spec import init_api
    from tracker.appointments.routes import bp as appointments_bp
    from tracker.counter.routes import bp as counter_bp
    from tracker.ratings.routes import bp as ratings_bp
    from tracker.reports.routes import bp as reports_bp
    from tracker.auth.routes import bp as auth_bp
    from tracker.campaigns.routes import bp as campaigns_bp
    from tracker.imports.routes import bp as imports_bp
    from tracker.enterprises.routes import bp as enterprises_bp
    from tracker.extensions import csrf
    from tracker.main.routes import bp as main_bp
    from tracker.needs.routes import bp as needs_bp
    from tracker.notifications.routes import bp as notifications_bp
    from tracker.plans.routes import bp as plans_bp
    from tracker.visits.routes import bp as visits_bp
    from tracker.portal.routes import bp as portal_bp
    from tracker.workdays.routes import bp as workdays_bp
    from tracker.briefings.routes import bp as briefings_bp
    from tracker.questionnaires.routes import bp as questionnaires_bp
    from tracker.certification.routes import bp as certification_bp

    app.register_blueprint(main_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(admin_bp, url_prefix="/admin")
    app.register_blueprint(workdays_bp, url_prefix="/admin/calendar")
    app.register_blueprint(portal_bp, url_prefix="/portal")
    app.register_blueprint(accounts_bp, url_prefix="/accounts")
    app.register_blueprint(enterprises_bp, url_prefix="/enterprises")
    app.register_blueprint(campaigns_bp, url_prefix="/campaigns")
    app.register_blueprint(imports_bp, url_prefix="/imports")
    app.register_blueprint(visits_bp, url_prefix="/visits")
    app.register_blueprint(plans_bp, url_prefix="/plans")
    app.register_blueprint(needs_bp, url_prefix="/needs")
    app.register_blueprint(notifications_bp, url_prefix="/work")
    app.register_blueprint(appointments_bp, url_prefix="/appointments")
    app.register_blueprint(counter_bp, url_prefix="/counter")
    app.register_blueprint(ratings_bp, url_prefix="/ratings")
    app.register_blueprint(reports_bp, url_prefix="/reports")
    app.register_blueprint(briefings_bp, url_prefix="/briefings")
    app.register_blueprint(questionnaires_bp, url_prefix="/questionnaires")
    app.register_blueprint(certification_bp, url_prefix="/certification")
    init_api(app, api_bp)  # registers api_bp at /api/v1, with its OpenAPI document
    # Safe because the API authenticates by bearer token only, never by cookie (see enforce_access).
    csrf.exempt(api_bp)


def register_error_handlers(app: Flask) -> None:
    from tracker.errors import register_error_handlers as register

    register(app)


def register_template_helpers(app: Flask) -> None:
    from flask_babel import get_locale

    from tracker.forms import EmptyForm, error_messages
    from tracker.permissions import can_use
    from tracker.i18n import local_datetime

    app.jinja_env.filters["localtime"] = local_datetime
    app.jinja_env.globals["empty_form"] = EmptyForm
    app.jinja_env.globals["form_error_messages"] = error_messages
    app.jinja_env.globals["can_use"] = can_use

    @app.context_processor
    def inject_locale():
        return {"current_locale": str(get_locale() or app.config["BABEL_DEFAULT_LOCALE"])}


def register_cli(app: Flask) -> None:
    from tracker.cli import register_commands

    register_commands(app)
    from tracker.jobs import jobs_cli

    app.cli.add_command(jobs_cli)
