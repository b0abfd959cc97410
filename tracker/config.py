"""Configuration defaults; instance/config.py and TRACKER_* variables override them."""
from datetime import timedelta


class DefaultConfig:
    # "development" or "production"; production refuses to start without TRACKER_SECRET_KEY.
    ENV = "development"
    SECRET_KEY = None
    # None means the SQLite file instance/tracker.sqlite3.
    DATABASE_URL = None
    # Seconds a SQLite writer waits for the lock before giving up.
    SQLITE_BUSY_TIMEOUT = 10
    # Behind HTTPS: HSTS and Secure cookies. Always on in production.
    HTTPS = False
    # Origins besides the request's own host from which browsers may send forms (a JSON list, e.g.
    # ["https://tracker.example.gov.cn"]), for a reverse proxy that rewrites the Host header.
    TRUSTED_ORIGINS = ()

    LANGUAGES = ("zh", "en")
    BABEL_DEFAULT_LOCALE = "zh"
    BABEL_DEFAULT_TIMEZONE = "Asia/Shanghai"

    # The largest upload (declaration files); requests above it get 413 (a translated error page). A
    # document (briefing materials) may be UPLOAD_MAX_BYTES; the request around it a megabyte more.
    UPLOAD_MAX_BYTES = 20 * 1024 * 1024
    MAX_CONTENT_LENGTH = UPLOAD_MAX_BYTES + 1024 * 1024
    # Where uploaded documents are kept (None: instance/uploads), one folder per feature.
    UPLOAD_FOLDER = None
    IMPORT_MAX_ROWS = 1_000_000
    # An XLSX may not expand beyond this, whatever its compressed size (zip bombs).
    IMPORT_XLSX_MAX_UNCOMPRESSED = 300 * 1024 * 1024
    # An upload previewed but neither imported nor discarded within this many hours is removed.
    IMPORT_PREVIEW_MAX_AGE_HOURS = 72

    # The job queue (Huey). None: a SQLite file instance/huey.sqlite3 (one machine); a redis:// URL
    # for several web workers or machines; sqlite:///path for another file.
    HUEY_URL = None
    # Run each task at once in the process that enqueues it (the tests); no consumer needed.
    HUEY_IMMEDIATE = False

    # Outgoing mail, sent from the outbox by the job queue. "smtp" sends; "file" appends each message
    # as a JSON line to MAIL_FILE under instance/ (development); "memory" keeps them in the process (tests).
    MAIL_BACKEND = "file"
    MAIL_FILE = "sent-mail.jsonl"
    MAIL_SERVER = "localhost"
    MAIL_PORT = 25
    MAIL_USE_STARTTLS = False
    MAIL_USE_SSL = False
    MAIL_USERNAME = None
    MAIL_PASSWORD = None
    MAIL_TIMEOUT = 30
    MAIL_DEFAULT_SENDER = "tracker@localhost"
    # A message is tried this many times, waiting MAIL_RETRY_SECONDS, then twice that, ... between tries.
    MAIL_MAX_ATTEMPTS = 6
    MAIL_RETRY_SECONDS = 60
    # A message claimed for sending this long ago whose sender died is marked failed, never resent.
    MAIL_SENDING_TIMEOUT_MINUTES = 30

    # Expired or revoked API tokens are deleted this many days after they stopped working.
    API_TOKEN_PURGE_AFTER_DAYS = 7

    # Flask-Limiter: in memory for one process; set a Redis URI for several workers.
    RATELIMIT_STORAGE_URI = "memory://"
    RATELIMIT_HEADERS_ENABLED = True
    LOGIN_LIMIT_PER_USERNAME = "10 per minute"
    LOGIN_LIMIT_PER_ADDRESS = "30 per minute"

    # OWASP's scrypt level (N=2^17, r=8, p=1). Tests lower it for speed; a test pins this default.
    PASSWORD_HASH_METHOD = "scrypt:131072:8:1"
    PASSWORD_MIN_LENGTH = 10
    PASSWORD_MAX_LENGTH = 128

    # Firms' contact accounts (tracker/accounts): an invitation link works once, for this many hours; a
    # password-reset link for this many minutes. Asking for a reset is limited per address and per e-mail.
    INVITATION_VALID_HOURS = 72
    PASSWORD_RESET_VALID_MINUTES = 60
    PASSWORD_RESET_LIMIT_PER_ADDRESS = "10 per hour"
    PASSWORD_RESET_LIMIT_PER_EMAIL = "3 per hour"
    # Spent, withdrawn or expired links are deleted this many days later.
    ACCOUNT_LINK_PURGE_AFTER_DAYS = 30
    # The address users reach the tracker at (https://tracker.example.gov.cn), for links in e-mails; None:
    # the address of the request that queues the mail.
    SITE_URL = None

    PERMANENT_SESSION_LIFETIME = timedelta(hours=12)
    SESSION_COOKIE_NAME = "tracker_session"
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_NAME = "tracker_remember"
    REMEMBER_COOKIE_DURATION = timedelta(days=14)
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    # A form left open over a long visit must still submit.
    WTF_CSRF_TIME_LIMIT = 12 * 3600

    # The campaign reports (tracker/reports/cache.py): an aggregate statement slower than this many
    # milliseconds is kept and served for up to REPORT_CACHE_MAX_AGE_SECONDS; a job counts the reports read
    # within REPORT_CACHE_KEEP_HOURS again once they are REPORT_CACHE_FRESH_SECONDS old. None: always live.
    REPORT_CACHE_MIN_MS = 20
    REPORT_CACHE_FRESH_SECONDS = 300
    REPORT_CACHE_MAX_AGE_SECONDS = 1800
    REPORT_CACHE_KEEP_HOURS = 24

    AUDIT_PAGE_SIZE = 50
    # Where the demo credentials go when seed-demo generates a password.
    DEMO_CREDENTIALS_FILE = "demo-credentials.txt"
