"""Django settings for ILP, read from the environment (see docs/operating.md, "Settings")."""

import ipaddress
import os
import secrets
import stat
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

import environ
from cryptography.fernet import Fernet
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

from ilp.core.logs import logging_config

env = environ.Env()

BASE_DIR = Path(__file__).resolve().parent
DATA_DIR = Path(env.str("ILP_DATA_DIR", default="var")).resolve()


def _private(path: Path, mode: int) -> None:
    """Tighten `path` to `mode` when group or others may read it (a data directory made by an
    older version, 0755 with a 0644 database, issue 12). Not ours to change (another owner):
    left as it is, and `ilp check --deploy` warns (ilp.W001)."""
    try:
        if stat.S_IMODE(path.stat().st_mode) & 0o077:
            path.chmod(mode)
    except (FileNotFoundError, PermissionError):
        pass


def _private_file(path: Path) -> None:
    """Create `path` empty with mode 0600 unless it exists (no moment at 0644), else tighten."""
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        _private(path, 0o600)


# The data directory holds the database, SECRET_KEY and the signing keys: owner only (0700),
# its secrets 0600, each created with that mode rather than chmod-ed after the fact.
DATA_DIR.mkdir(mode=0o700, parents=True, exist_ok=True)
_private(DATA_DIR, 0o700)


def _secret_from_file(name: str, new: Callable[[], str] = lambda: secrets.token_urlsafe(50)) -> str:
    """A secret generated once (by `new`) into the data directory, so restarts keep sessions
    valid."""
    path = DATA_DIR / name
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        _private(path, 0o600)
    else:
        with os.fdopen(fd, "w") as fh:
            fh.write(new())
    return path.read_text().strip()


DEBUG = env.bool("ILP_DEBUG", default=False)
SECRET_KEY = env.str("SECRET_KEY", default="") or _secret_from_file("secret_key")
ILP_BASE_URL = env.str("ILP_BASE_URL", default="http://127.0.0.1:8000").rstrip("/")
ILP_SIGNING_KEY = env.str("ILP_SIGNING_KEY", default="")
# The key that encrypts two-factor (TOTP) secrets at rest (core/fields.py EncryptedTextField):
# a Fernet key, kept apart from the database and its backups (docs/deploy.md, "Secrets and
# keys"). Rotation: the new key here, the old ones in ILP_TOTP_KEY_FALLBACKS (decrypt only)
# until `ilp reencrypt-two-factor` has re-encrypted every secret with the new one.
ILP_TOTP_KEY = env.str("ILP_TOTP_KEY", default="") or _secret_from_file(
    "totp_key", new=lambda: Fernet.generate_key().decode()
)
ILP_TOTP_KEY_FALLBACKS = env.list("ILP_TOTP_KEY_FALLBACKS", default=[])
for _key in [ILP_TOTP_KEY, *ILP_TOTP_KEY_FALLBACKS]:  # a wrong key fails at start-up
    try:
        Fernet(_key)
    except (ValueError, TypeError):
        raise ValueError(
            "ILP_TOTP_KEY and each of ILP_TOTP_KEY_FALLBACKS must be a Fernet key (32 random "
            "bytes, url-safe base64): python -c 'from cryptography.fernet import Fernet; "
            "print(Fernet.generate_key().decode())'"
        ) from None

# Production settings (docs/operating.md, "Settings"; docs/decisions.md, "Security: the CSP,
# secrets, logs"). Host names: the base URL's host and loopback unless ILP_ALLOWED_HOSTS says.
_base = urlsplit(ILP_BASE_URL)
ILP_HTTPS = _base.scheme == "https"
_LOOPBACK = ["127.0.0.1", "localhost", "[::1]"]
# Django's test client calls itself "testserver"; scripts that drive the app in-process (the
# contract check, one-off tools) use it outside a test run too. Allowed only on a plain-http
# (development) base URL: an https installation names its hosts exactly.
if not ILP_HTTPS:
    _LOOPBACK.append("testserver")
ALLOWED_HOSTS = env.list(
    "ILP_ALLOWED_HOSTS",
    default=list(dict.fromkeys([h for h in [_base.hostname] if h] + _LOOPBACK)),
)
CSRF_TRUSTED_ORIGINS = [ILP_BASE_URL]

# Behind a reverse proxy that terminates TLS: trust its X-Forwarded-Proto (only then; a client
# reaching the app directly could otherwise claim https).
if env.bool("ILP_PROXY_SSL_HEADER", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# An https base URL means: redirect http to https, HSTS, cookies only over TLS.
SECURE_SSL_REDIRECT = env.bool("ILP_SSL_REDIRECT", default=ILP_HTTPS)
# Health and metrics probes of a load balancer often speak plain http on the inside.
SECURE_REDIRECT_EXEMPT = [r"^(api/v1/)?healthz$", r"^(api/v1/)?metrics$"]
SECURE_HSTS_SECONDS = env.int("ILP_HSTS_SECONDS", default=31_536_000 if ILP_HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("ILP_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env.bool("ILP_HSTS_PRELOAD", default=False)
# Preload is a promise for the whole domain that anyone may submit to the browsers' lists once
# the header carries it: the operator opts in (ILP_HSTS_PRELOAD), so its warning is silenced.
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Content-Security-Policy (Django's middleware): no inline script, handler or style anywhere;
# behaviour lives in web/static/ilp/ilp.js (event delegation on data- attributes), looks in
# CSS files. Pico's icons are data: URIs in CSS, hence img-src data:.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
}

# Request bodies: at most ILP_MAX_BODY_MB, refused with 413 from Content-Length before a byte
# is read (web/middleware.py BodySizeLimitMiddleware). Django's own limits are the same number,
# so its RequestDataTooBig cannot fire first; uploads up to it stay in memory.
ILP_MAX_BODY_MB = env.float("ILP_MAX_BODY_MB", default=2)
ILP_MAX_BODY_BYTES = int(ILP_MAX_BODY_MB * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = ILP_MAX_BODY_BYTES
FILE_UPLOAD_MAX_MEMORY_SIZE = ILP_MAX_BODY_BYTES

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    # django-ninja's own static Swagger UI for /api/v1/docs (without it the page loads the UI
    # from a CDN and starts it with an inline script, both refused by the CSP).
    "ninja",
    "django_tasks_db",
    "ilp.core",
    "ilp.accounts",
    "ilp.audit",
    "ilp.notifications",
    "ilp.webhooks",
    "ilp.licensing",
    "ilp.sso",
    "ilp.rollout",
    "ilp.backoffice",
    "ilp.scim",
    "ilp.web",
]

MIDDLEWARE = [
    # Outermost: request id, the request log line and the request metrics (core/observability).
    "ilp.core.observability.RequestMiddleware",
    # Machine routes (ILP_MACHINE_PATHS) leave here for the short chain below (core/machine.py).
    "ilp.core.machine.MachinePathMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # The session's last_seen_at (at most once a minute) and its key after a cycle.
    "ilp.accounts.signin.SessionActivityMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Before anything reads the body (CSRF's process_view, idempotency), after the locale and
    # the user are known (the 413 page is translated and shows the person's header).
    "ilp.web.middleware.BodySizeLimitMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "ilp.core.idempotency.IdempotencyMiddleware",
    "ilp.web.middleware.PortalErrorMiddleware",
]

# The lean path (core/machine.py, docs/decisions.md): the routes only machines call skip the
# sessions, CSRF, locale, auth, messages, htmx, CSP/frame headers and portal error pages, and
# run only these (in this order) before the view. The request id, log line and metrics stay:
# RequestMiddleware runs before the split.
ILP_MACHINE_PATHS = [
    r"/api/v1/ums/",
    r"/api/v1/orders(?:/|$)",
    r"/\.well-known/jwks\.json$",
    r"/scim/v2/",
]
ILP_MACHINE_MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "ilp.web.middleware.BodySizeLimitMiddleware",
    "ilp.core.idempotency.IdempotencyMiddleware",
]

ROOT_URLCONF = "ilp.urls"
WSGI_APPLICATION = "ilp.wsgi.application"

TEMPLATES = [
    {
        # Django's templates, rendered in the person's time zone (ilp/web/templating.py).
        "BACKEND": "ilp.web.templating.PersonTimeZoneTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "ilp.web.context_processors.portal",
            ],
        },
    },
]

# SQLite by default: WAL, IMMEDIATE transactions and a busy timeout so that concurrent
# writers (app processes and workers) queue instead of failing with "database is locked".
_default_db = f"sqlite:///{DATA_DIR / 'ilp.sqlite3'}"
DATABASES = {"default": env.db_url("DATABASE_URL", default=_default_db)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Created 0600 before SQLite opens it (SQLite gives its -wal and -shm files the same mode).
    _sqlite = str(DATABASES["default"]["NAME"])
    if _sqlite and Path(_sqlite).parent.is_dir() and not _sqlite.startswith(("file:", ":")):
        _private_file(Path(_sqlite))
        for _suffix in ("-wal", "-shm"):
            _private(Path(_sqlite + _suffix), 0o600)
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", 60)
    DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "web:login"
LOGIN_REDIRECT_URL = "web:home"
LOGOUT_REDIRECT_URL = "web:login"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = ILP_HTTPS
CSRF_COOKIE_SECURE = ILP_HTTPS

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("de", _("German"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)  # WhiteNoise serves from finders; the folder just has to exist
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True


# Mail: EMAIL_URL such as smtp://user:pass@127.0.0.1:1025 (smtps:// for TLS on connect,
# ?tls=1 for STARTTLS); default prints mail to the console.
def _mailer(url: str) -> dict:
    if not url:
        return {"BACKEND": "django.core.mail.backends.console.EmailBackend"}
    from urllib.parse import parse_qs, unquote, urlsplit

    parts = urlsplit(url)
    query = parse_qs(parts.query)
    return {
        "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "OPTIONS": {
            "host": parts.hostname or "127.0.0.1",
            "port": parts.port or (465 if parts.scheme == "smtps" else 25),
            "username": unquote(parts.username or ""),
            "password": unquote(parts.password or ""),
            "use_ssl": parts.scheme == "smtps",
            "use_tls": query.get("tls", ["0"])[0] in ("1", "true"),
            "timeout": 10,
        },
    }


MAILERS = {"default": _mailer(env.str("EMAIL_URL", default=""))}
DEFAULT_FROM_EMAIL = env.str("ILP_MAIL_FROM", default="ILP <noreply@ilp.invalid>")

# Background work: Django's tasks framework with the database backend; `ilp worker` runs it.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

NINJA_PAGINATION_PER_PAGE = 50
NINJA_PAGINATION_MAX_LIMIT = 500

# A cache shared by every process (throttles count across app processes and workers): the
# database (table `ilp_cache`, made by `ilp migrate`) unless CACHE_URL names another, e.g.
# redis://127.0.0.1:6379/0. core.cache.DatabaseCache is Django's with an atomic incr.
CACHES = {
    "default": env.cache_url_config(env.str("CACHE_URL", default="") or "dbcache://ilp_cache")
}
if CACHES["default"]["BACKEND"] == "django.core.cache.backends.db.DatabaseCache":
    CACHES["default"]["BACKEND"] = "ilp.core.cache.DatabaseCache"
    # Throttle counters must not be culled while live: cull only far beyond normal use.
    CACHES["default"].setdefault("OPTIONS", {}).setdefault("MAX_ENTRIES", 100_000)

# Throttling (sliding windows on the shared cache), see core/throttle.py.
# Failed logins per account (canonical e-mail) and client address; per account alone and per
# client address alone this times the factors (0: no such limit).
ILP_THROTTLE_LOGIN = env.str("ILP_THROTTLE_LOGIN", default="20/m")
ILP_THROTTLE_LOGIN_ADDRESS_FACTOR = env.int("ILP_THROTTLE_LOGIN_ADDRESS_FACTOR", default=5)
ILP_THROTTLE_LOGIN_ACCOUNT_FACTOR = env.int("ILP_THROTTLE_LOGIN_ACCOUNT_FACTOR", default=5)
# Proxies whose X-Forwarded-For is believed (addresses or networks, comma-separated); the
# client is the right-most forwarded address that is not one of them.
ILP_TRUSTED_PROXIES = env.list("ILP_TRUSTED_PROXIES", default=[])
for _proxy in ILP_TRUSTED_PROXIES:  # a typo fails at start-up, not at the first request
    ipaddress.ip_network(_proxy.strip(), strict=False)
# Invitations one company may send in a day (the API answers 429 beyond it).
ILP_INVITATIONS_PER_COMPANY_PER_DAY = env.int("ILP_INVITATIONS_PER_COMPANY_PER_DAY", default=100)
# Invitation look-ups and accepts without credentials, per client address.
ILP_THROTTLE_INVITATION = env.str("ILP_THROTTLE_INVITATION", default="60/m")
# Self-service without credentials (password reset, registrations), per client address; and
# how many reset or claim mails one e-mail address gets at most (against mail bombing).
ILP_THROTTLE_PASSWORD_RESET = env.str("ILP_THROTTLE_PASSWORD_RESET", default="20/m")
ILP_THROTTLE_REGISTRATION = env.str("ILP_THROTTLE_REGISTRATION", default="20/m")
ILP_THROTTLE_MAIL_PER_ADDRESS = env.str("ILP_THROTTLE_MAIL_PER_ADDRESS", default="5/h")
# Reset requests per account from all client addresses together (ILP_THROTTLE_MAIL_PER_ADDRESS
# then counts reset mails per account and client address, so a stranger cannot use them up).
ILP_THROTTLE_PASSWORD_RESET_ACCOUNT = env.str("ILP_THROTTLE_PASSWORD_RESET_ACCOUNT", default="20/h")
# Codes of the second sign-in step and of two-factor changes, per person.
ILP_THROTTLE_OTP = env.str("ILP_THROTTLE_OTP", default="10/m")
# Changing one's password (guesses of the current one), per person.
ILP_THROTTLE_PASSWORD_CHANGE = env.str("ILP_THROTTLE_PASSWORD_CHANGE", default="10/m")

# A password-reset request takes at least this long, whether or not the address has an account
# (the answer's time must not tell).
ILP_PASSWORD_RESET_MIN_SECONDS = env.float("ILP_PASSWORD_RESET_MIN_SECONDS", default=0.15)
# Two-factor sign-in: the issuer name authenticator apps show next to the account.
ILP_TOTP_ISSUER = env.str("ILP_TOTP_ISSUER", default="ILP")
# A token made by logging in through the API (POST /auth/tokens) without `expires_in_days`
# expires after this many days.
ILP_LOGIN_TOKEN_DAYS = env.int("ILP_LOGIN_TOKEN_DAYS", default=30)

# Single sign-on (docs/sso.md). Requests to identity providers follow the webhook URL rules:
# https and public addresses only, unless the host is in ILP_WEBHOOK_ALLOW_HOSTS.
# The DNS server that answers the domain verification's TXT look-ups, host:port; empty: the
# system's resolver.
ILP_DNS_RESOLVER = env.str("ILP_DNS_RESOLVER", default="")
# Staff sign in through the vendor's provider; the staff role from the claim named here.
ILP_STAFF_OIDC_ISSUER = env.str("ILP_STAFF_OIDC_ISSUER", default="").rstrip("/")
ILP_STAFF_OIDC_CLIENT_ID = env.str("ILP_STAFF_OIDC_CLIENT_ID", default="")
ILP_STAFF_OIDC_CLIENT_SECRET = env.str("ILP_STAFF_OIDC_CLIENT_SECRET", default="")
ILP_STAFF_OIDC_ROLE_CLAIM = env.str("ILP_STAFF_OIDC_ROLE_CLAIM", default="ilp_role")

# License lifecycle (rules 21–24, docs/api-integration.md "Leases and refreshing"): every
# license document is a lease of this many days (a UMS may be given up to the maximum),
# licenses of packs expiring within ILP_EXCHANGE_DAYS move to a later pack, demo licenses last
# ILP_DEMO_DAYS.
ILP_LICENSE_LEASE_DAYS = env.int("ILP_LICENSE_LEASE_DAYS", default=30)
ILP_LICENSE_LEASE_MAX_DAYS = max(
    env.int("ILP_LICENSE_LEASE_MAX_DAYS", default=365), ILP_LICENSE_LEASE_DAYS
)
ILP_EXCHANGE_DAYS = env.int("ILP_EXCHANGE_DAYS", default=7)
ILP_DEMO_DAYS = env.int("ILP_DEMO_DAYS", default=30)
# A revocation list is good for ILP_REVOCATIONS_TTL_HOURS after it was signed (its `exp`):
# `ilp verify-license` refuses an older one, so a list fetched before a return cannot go on
# vouching for the returned license.
ILP_REVOCATIONS_TTL_HOURS = env.int("ILP_REVOCATIONS_TTL_HOURS", default=48)
if ILP_REVOCATIONS_TTL_HOURS < 1:
    raise ValueError("ILP_REVOCATIONS_TTL_HOURS must be at least 1")

# Webhooks (docs/webhooks.md): outbound requests go only to public addresses over https
# (core/outbound.py) except to these hosts (comma-separated; tests, on-premises receivers),
# which may also use http. A worker holds a delivery it claimed this long (then another
# worker may try it: a worker killed mid-delivery loses nothing).
ILP_WEBHOOK_ALLOW_HOSTS = env.list("ILP_WEBHOOK_ALLOW_HOSTS", default=[])
ILP_WEBHOOK_LEASE_SECONDS = env.int("ILP_WEBHOOK_LEASE_SECONDS", default=60)
if ILP_WEBHOOK_LEASE_SECONDS < 11:
    raise ValueError("ILP_WEBHOOK_LEASE_SECONDS must exceed the 10 s delivery timeout")

# Operations (issue 14, docs/deploy.md). Logs go to stderr as text or JSON lines, each with the
# request id; /metrics answers only these addresses or networks (default: loopback).
ILP_LOG_FORMAT = env.str("ILP_LOG_FORMAT", default="text")
if ILP_LOG_FORMAT not in ("text", "json"):
    raise ValueError(f"ILP_LOG_FORMAT must be text or json, not {ILP_LOG_FORMAT!r}")
LOGGING = logging_config(fmt=ILP_LOG_FORMAT, level=env.str("ILP_LOG_LEVEL", default="INFO"))
ILP_METRICS_ALLOW = env.list("ILP_METRICS_ALLOW", default=["127.0.0.0/8", "::1"])
for _net in ILP_METRICS_ALLOW:
    ipaddress.ip_network(_net, strict=False)  # a typo fails at start, not at the first scrape
# The worker's daily jobs (send-reminders, exchange-licenses): a worker that claimed today's
# run holds it this long and renews it while it runs; if it dies, another takes over after.
ILP_DAILY_LEASE_SECONDS = env.int("ILP_DAILY_LEASE_SECONDS", default=300)
