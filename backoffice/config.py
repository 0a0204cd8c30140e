"""Settings: each one stated once (name, type, environment variable, default) in `Settings`, read as `settings().x`.

`APP_ENV` picks the profile: `development` (default: SQLite under instance/, embedded Redis on a unix socket),
`test` (used by the test suite) or `production` (everything from the environment; refuses to start without a real
SECRET_KEY, without the services the machines share (DATABASE_URL, REDIS_URL, SMTP_URL) or with debug on).
`load_settings` reads the environment, then the mapping `create_app(config)` receives (keys are the setting's name in
capitals, `VAT_RATE`; a string there is read as the environment variable would be), and validates once; the app
keeps the result in `app.extensions["settings"]`. Flask's and its extensions' own keys (SECRET_KEY, SQLALCHEMY_*,
SESSION_COOKIE_* ...) are derived from it by `Settings.flask_config()`.

This module runs past the usual ~450 lines on purpose: it is the one place every setting is stated (name, type,
variable, default) and checked, and splitting the list would make two places to look; README's Configuration table
lists the same settings (a test compares them).
"""

from __future__ import annotations

import dataclasses
import os
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal, InvalidOperation
from email.utils import parseaddr
from pathlib import Path
from typing import Any, get_type_hints
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import Flask, current_app
from stdnum import iban

from backoffice.money import MoneyError, check_currency

PROJECT_ROOT = Path(__file__).resolve().parent.parent
ENVIRONMENTS = ("development", "test", "production")


class ConfigurationError(RuntimeError):
    """The app refuses to start with this configuration."""


def instance_path() -> Path:
    return Path(os.environ.get("INSTANCE_PATH", PROJECT_ROOT / "instance")).resolve()


def default_redis_url() -> str:
    """The embedded Redis server of `make run` listens on a unix socket in instance/ (no port to collide with)."""
    return f"unix://{instance_path() / 'redis.sock'}?db=0"


def default_caught_mail_dir() -> Path:
    """The mail catcher of `make run` keeps each message it receives as a file here (one folder per checkout)."""
    return instance_path() / "caught-mail"


def default_local_mailbox_dir() -> Path:
    """Development without IMAP_URL: the catcher delivers mail to our reply addresses here; the fetch job reads it."""
    return instance_path() / "mailbox"


def _development_secret_key() -> str:
    """A per-machine random key kept in instance/, so no two checkouts share a session-signing key."""
    path = instance_path() / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


# A default is the text the environment variable would hold, a callable (profile -> that text, for defaults found
# at start: instance/ folders, the development secret) or, per profile, {"development": ..., "*": ...}.
Default = str | Callable[[str], str | None] | dict[str, str]


def setting(
    variable: str | None,
    default: Default,
    *,
    unit: str = "",
    keep_empty: bool = False,
    strip: bool = False,
    secret: bool = False,
) -> Any:
    """One setting: read from `variable` (None: not from the environment) with `default`.

    `unit` is the unit of a timedelta's variable (minutes, hours, days). With `keep_empty`, an empty variable is an
    empty text (a blank line on the invoice); otherwise an empty variable means the default. With `strip`, spaces
    around the value are dropped. A `secret` is left out of the settings' repr (logs, tracebacks).
    """
    metadata = {"variable": variable, "default": default, "unit": unit, "keep_empty": keep_empty, "strip": strip}
    return field(metadata=metadata, repr=not secret)


@dataclass(frozen=True)
class Settings:
    """Every setting of the app, typed, with its environment variable and default (README's Configuration table)."""

    app_env: str = setting("APP_ENV", "development")
    debug: bool = setting("FLASK_DEBUG", "")
    secret_key: str = setting(
        "SECRET_KEY",
        {"test": "test-secret-key", "production": "", "development": lambda _: _development_secret_key()},
        secret=True,
    )
    database_url: str = setting("DATABASE_URL", lambda _: f"sqlite:///{instance_path() / 'backoffice.db'}")
    # The job queue (RQ) every web machine, worker and dispatcher shares. Development's embedded Redis listens on a
    # unix socket in one machine's instance/, so production has no default and refuses to start without it.
    redis_url: str = setting("REDIS_URL", {"production": "", "*": lambda _: default_redis_url()})
    invoice_archive: Path = setting("INVOICE_ARCHIVE", lambda _: str(PROJECT_ROOT / "invoices"))
    # Stored files (backoffice/storage): empty for the local folders INVOICE_ARCHIVE and CASE_DOCUMENTS_DIR, or
    # s3://bucket/prefix for an S3-compatible object store (S3_ENDPOINT_URL for one other than AWS; credentials from
    # the usual AWS_* variables). Each call to the store gives up after the timeout.
    storage_url: str = setting("STORAGE_URL", "")
    s3_endpoint_url: str = setting("S3_ENDPOINT_URL", "")
    storage_timeout_seconds: float = setting("STORAGE_TIMEOUT_SECONDS", "10")
    # Legal retention, in years after the end of the document's year (section 147 AO, 14b UStG): invoices and
    # received bills, books (booking batches), business letters (offers, reminders); medical records by policy.
    retention_invoice_years: int = setting("RETENTION_INVOICE_YEARS", "8")
    retention_books_years: int = setting("RETENTION_BOOKS_YEARS", "10")
    retention_letter_years: int = setting("RETENTION_LETTER_YEARS", "6")
    retention_medical_years: int = setting("RETENTION_MEDICAL_YEARS", "10")
    # A request may carry one medical record of max_document_mb (or a tariff file) plus the form around it.
    max_upload_mb: int = setting("MAX_UPLOAD_MB", "16")
    # Sessions end after this long without a request, and this long after their sign-in however active.
    idle_timeout_staff: timedelta = setting("STAFF_IDLE_TIMEOUT_MINUTES", "30", unit="minutes")
    idle_timeout_patient: timedelta = setting("PATIENT_IDLE_TIMEOUT_MINUTES", "30", unit="minutes")
    session_absolute_lifetime: timedelta = setting("SESSION_ABSOLUTE_HOURS", "12", unit="hours")
    # Login throttling: failures counted over a sliding window; a block ends when old failures leave it.
    login_throttle_window: timedelta = setting("LOGIN_THROTTLE_WINDOW_MINUTES", "15", unit="minutes")
    login_max_failures_per_account_and_address: int = setting("LOGIN_MAX_FAILURES_PER_ACCOUNT_AND_ADDRESS", "5")
    login_max_failures_per_address: int = setting("LOGIN_MAX_FAILURES_PER_ADDRESS", "20")
    login_max_failures_per_account: int = setting("LOGIN_MAX_FAILURES_PER_ACCOUNT", "50")
    # A browser that signed in to an account (a signed cookie) stays known this long; the per-account limit
    # above never blocks it, nor an address that signed in to the account within the same time.
    known_device_lifetime: timedelta = setting("KNOWN_DEVICE_DAYS", "90", unit="days")
    health_redis_timeout_seconds: float = setting(None, "2")
    # A cheap work factor keeps hundreds of test logins fast; real deployments keep the default.
    password_hash_method: str = setting(None, {"test": "scrypt:1024:8:1", "*": "scrypt"})
    trusted_proxies: int = setting("TRUSTED_PROXIES", "0")  # reverse proxies in front of the app (0: none)
    # The operator, as patients see it (request form, itinerary, invoices), where patients pay
    operator_name: str = setting("OPERATOR_NAME", "MedTravel Coordination GmbH", keep_empty=True)
    operator_email: str = setting("OPERATOR_EMAIL", "care@medtravel.example", keep_empty=True)
    operator_phone: str = setting("OPERATOR_PHONE", "+49 69 1234 5670", keep_empty=True)
    operator_address: str = setting(
        "OPERATOR_ADDRESS", "Mainzer Landstraße 50, 60325 Frankfurt am Main, Germany", keep_empty=True
    )
    # The same address in its parts, as an e-invoice states the seller's (street, postcode, city, ISO country code)
    operator_street: str = setting("OPERATOR_STREET", "Mainzer Landstraße 50", keep_empty=True)
    operator_postcode: str = setting("OPERATOR_POSTCODE", "60325", keep_empty=True)
    operator_city: str = setting("OPERATOR_CITY", "Frankfurt am Main", keep_empty=True)
    operator_country: str = setting("OPERATOR_COUNTRY", "DE", strip=True)
    operator_vat_id: str = setting("OPERATOR_VAT_ID", "DE000000000", keep_empty=True)
    operator_bank: str = setting("OPERATOR_BANK", "Frankfurter Demo Bank", keep_empty=True)
    operator_iban: str = setting("OPERATOR_IBAN", "DE89 3704 0044 0532 0130 00", keep_empty=True)
    operator_bic: str = setting("OPERATOR_BIC", "COBADEFFXXX", keep_empty=True)
    # Invoices are dated (and numbered per year) in the operator's own time zone; staff pages show times in it.
    operator_timezone: str = setting("OPERATOR_TIMEZONE", "Europe/Berlin", strip=True)
    # Invoices: the tax rules printed, and what the operator charges for its work
    invoice_base_currency: str = setting("INVOICE_BASE_CURRENCY", "EUR", keep_empty=True)
    vat_rate: Decimal = setting("VAT_RATE", "19")  # percent, on the coordination fee and other services
    vat_reduced_rate: Decimal = setting("VAT_REDUCED_RATE", "7")  # percent, on hotel nights
    coordination_fee: Decimal = setting("COORDINATION_FEE", "1500.00")  # in invoice_base_currency, before VAT
    # The accountant's DATEV export: the chart of accounts (revenue, bank and cash accounts in accounting/charts.py)
    # and the tax adviser's consultant and client numbers the booking batch is addressed to.
    datev_chart: str = setting("DATEV_CHART", "SKR03", strip=True)
    datev_consultant_number: int = setting("DATEV_CONSULTANT_NUMBER", "1001")
    datev_client_number: int = setting("DATEV_CLIENT_NUMBER", "1")
    # Treatment offers: how long one is valid, the deposit share of a new schedule, and how far a final invoice may
    # differ from the accepted offer (percent of the offer's total) before it needs a reason.
    offer_validity_days: int = setting("OFFER_VALIDITY_DAYS", "30")
    offer_deposit_percent: Decimal = setting("OFFER_DEPOSIT_PERCENT", "30")
    offer_difference_threshold: Decimal = setting("OFFER_DIFFERENCE_THRESHOLD", "5")
    invoice_payment_days: int = setting("INVOICE_PAYMENT_DAYS", "14")
    # Payment reminders: the new date a reminder asks payment by, and the days a second waits after the first.
    reminder_payment_days: int = setting("REMINDER_PAYMENT_DAYS", "10")
    reminder_interval_days: int = setting("REMINDER_INTERVAL_DAYS", "14")
    portal_invite_days: int = setting("PORTAL_INVITE_DAYS", "7")
    # Background jobs: the outbox's lease before a job is sent again, retries of transient errors.
    # Jobs run at once in tests, unless a test's environment (the fault tests' workers) sets its own timings.
    job_timeout_seconds: int = setting("JOB_TIMEOUT_SECONDS", "60")
    job_lease_seconds: int = setting("JOB_LEASE_SECONDS", "120")
    job_max_attempts: int = setting("JOB_MAX_ATTEMPTS", "3")
    job_max_dispatches: int = setting("JOB_MAX_DISPATCHES", "10")  # sends of a job whose runs never finish
    job_retry_backoff_seconds: tuple[int, ...] = setting(
        "JOB_RETRY_BACKOFF_SECONDS", {"development": "3,10,30", "test": "0", "*": "30,120,600"}
    )
    # A worker reads RQ's command channel (stop a job, kill a work horse) in a thread that wakes this often; stopping
    # the worker waits for that thread, so RQ's own 60 s made every stop (Ctrl-C, a deploy, a test's burst) take up
    # to a minute.
    worker_command_poll_seconds: float = setting("WORKER_COMMAND_POLL_SECONDS", {"test": "0.05", "*": "1"})
    # Medicine orders: how often tracking is asked, and what the sandbox providers do
    # (the development defaults let a demo order arrive within a minute)
    tracking_poll_seconds: int = setting("TRACKING_POLL_SECONDS", {"development": "10", "test": "0", "*": "14400"})
    tracking_max_polls: int = setting("TRACKING_MAX_POLLS", "500")
    sandbox_delay_seconds: float = setting("SANDBOX_DELAY_SECONDS", {"test": "0", "*": "0.5"})  # for time.sleep
    sandbox_failure_rate: Decimal = setting("SANDBOX_FAILURE_RATE", "0")  # a probability from 0 to 1
    sandbox_transit_seconds: int = setting("SANDBOX_TRANSIT_SECONDS", {"test": "0", "*": "30"})
    # Provider adapters, "module:Class": pharmacies by provider name (a pharmacy names its provider), one carrier.
    pharmacy_providers: dict[str, str] = setting(
        "PHARMACY_PROVIDERS", "sandbox=backoffice.shipments.sandbox:SandboxPharmacy"
    )
    carrier_provider: str = setting("CARRIER_PROVIDER", "backoffice.shipments.sandbox:SandboxCarrier")
    # Cases
    first_response_hours: int = setting("FIRST_RESPONSE_HOURS", "24")
    case_documents_dir: Path = setting("CASE_DOCUMENTS_DIR", lambda _: str(instance_path() / "documents"))
    max_document_mb: int = setting("MAX_DOCUMENT_MB", "20")
    itinerary_pickup_buffer_minutes: int = setting("ITINERARY_PICKUP_BUFFER_MINUTES", "45")
    tariff_max_mb: int = setting("TARIFF_MAX_MB", "20")
    bill_max_mb: int = setting("BILL_MAX_MB", "10")
    # Bill lines dated this many days before admission or after discharge still belong to the stay.
    bill_stay_margin_days: int = setting("BILL_STAY_MARGIN_DAYS", "14")
    # A bill line this far (per line, in its currency) from the resident price is ok with rounding, not a finding.
    bill_rounding_tolerance: Decimal = setting("BILL_ROUNDING_TOLERANCE", "0.01")
    # Public request form: accepted submissions per address in a sliding window
    intake_window: timedelta = setting("INTAKE_WINDOW_MINUTES", "60", unit="minutes")
    intake_max_per_address: int = setting("INTAKE_MAX_PER_ADDRESS", "5")
    # Outgoing mail (backoffice/mailer.py): smtp:// (STARTTLS when offered), smtp+starttls:// (STARTTLS required),
    # smtps:// (implicit TLS); user and password in the URL sign in. Empty outside production: the local mail catcher.
    smtp_url: str = setting("SMTP_URL", {"production": "", "*": "smtp://127.0.0.1:8025"}, secret=True)
    mail_from: str = setting("MAIL_FROM", "Medical travel team <care@medtravel.example>")
    # A mail server that is away is waited for as mail servers wait for each other: for hours, not minutes.
    # Production: 1, 5, 15 and 30 minutes, then hourly, 24 attempts in all (about 20 hours before a message fails).
    mail_retry_backoff_seconds: tuple[int, ...] = setting(
        "MAIL_RETRY_BACKOFF_SECONDS", {"development": "3,10,30,60", "test": "0", "*": "60,300,900,1800,3600"}
    )
    mail_max_attempts: int = setting("MAIL_MAX_ATTEMPTS", {"development": "10", "test": "3", "*": "24"})
    # The address patients and staff reach the app at: every link in a mail (portal, reset, the staff's digest)
    # starts with it (never the Host of a request, which a visitor chooses). Development: the port `make run` serves on.
    public_url: str = setting(
        "PUBLIC_URL",
        {
            "development": lambda _: f"http://127.0.0.1:{os.environ.get('PORT', '5000')}",
            "production": "",
            "*": "http://localhost",
        },
        strip=True,
    )
    # Development: where the mail catcher of `make run` keeps what it receives (its page reads them from there)
    caught_mail_dir: Path = setting("CAUGHT_MAIL_DIR", lambda _: str(default_caught_mail_dir()))
    # The hour (operator's time zone) from which each day's notification digest goes out
    digest_hour: int = setting("DIGEST_HOUR", "7")
    # Incoming mail (backoffice/mailbox.py): the operator's mailbox the replies arrive in, read once a minute.
    # imaps://user:password@host:993/INBOX (TLS), imap://...:143/INBOX (STARTTLS when offered). Empty: no fetching,
    # except in development, where the local Maildir below is read (the catcher delivers replies there).
    imap_url: str = setting("IMAP_URL", "", secret=True)
    local_mailbox_dir: Path = setting("LOCAL_MAILBOX_DIR", lambda _: str(default_local_mailbox_dir()))

    def __post_init__(self) -> None:
        for item in dataclasses.fields(self):
            object.__setattr__(self, item.name, _coerce(item, getattr(self, item.name), item.name.upper()))
        if self.database_url.startswith("postgresql://"):
            # psycopg 3 is the installed driver; accept the plain URL that hosting providers hand out.
            object.__setattr__(
                self, "database_url", self.database_url.replace("postgresql://", "postgresql+psycopg://", 1)
            )
        _check(self)

    @property
    def testing(self) -> bool:
        return self.app_env == "test"

    @property
    def session_cookie_secure(self) -> bool:
        """Outside development the session and known-device cookies are Secure (and carry the __Host- prefix)."""
        return self.app_env not in ("development", "test")

    def replace(self, **changes: Any) -> Settings:
        """These settings with `changes` (by field name; a text is read as its environment variable), validated."""
        return dataclasses.replace(self, **changes)

    def flask_config(self) -> dict[str, Any]:
        """Flask's and its extensions' own keys, derived from the settings."""
        return {
            "DEBUG": self.debug,
            "TESTING": self.testing,
            "SECRET_KEY": self.secret_key,
            "SQLALCHEMY_DATABASE_URI": self.database_url,
            "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
            "MAX_CONTENT_LENGTH": max(self.max_upload_mb, self.max_document_mb + 1, self.tariff_max_mb + 1)
            * 1024
            * 1024,
            # Sessions: the cookie is the only credential, so keep it out of scripts and off plain HTTP. Outside
            # development the cookie is Secure and carries the __Host- prefix: browsers then refuse it unless it came
            # over HTTPS for this exact host with Path=/ and no Domain, so no sibling subdomain can plant one.
            "SESSION_COOKIE_NAME": "__Host-session" if self.session_cookie_secure else "backoffice_session",
            "SESSION_COOKIE_HTTPONLY": True,
            "SESSION_COOKIE_SAMESITE": "Lax",
            "SESSION_COOKIE_SECURE": self.session_cookie_secure,
            "SESSION_COOKIE_PATH": "/",
            "SESSION_COOKIE_DOMAIN": None,
            "REMEMBER_COOKIE_DURATION": timedelta(seconds=0),
            "WTF_CSRF_TIME_LIMIT": 3600 * 4,
            "PREFERRED_URL_SCHEME": "https" if self.app_env == "production" else "http",
        }


def settings(app: Flask | None = None) -> Settings:
    """The settings of `app`, or of the app whose context is active (a request, a command, a job)."""
    return (app or current_app).extensions["settings"]


def load_settings(overrides: Mapping[str, Any] | None = None) -> Settings:
    """Read every setting from the environment, then `overrides` (`{"VAT_RATE": "7"}`), and validate them once."""
    overrides = dict(overrides or {})
    names = {item.name.upper(): item for item in dataclasses.fields(Settings)}
    unknown = sorted(key for key in overrides if key not in names)
    if unknown:
        raise ConfigurationError(
            f"no such setting: {', '.join(unknown)} (Flask's own keys derive from the settings: DATABASE_URL gives"
            " SQLALCHEMY_DATABASE_URI)"
        )
    env = _coerce(names["APP_ENV"], overrides.get("APP_ENV") or os.environ.get("APP_ENV") or "development", "APP_ENV")
    if env not in ENVIRONMENTS:
        raise ConfigurationError(f"APP_ENV must be one of {', '.join(ENVIRONMENTS)}, got {env!r}")
    values: dict[str, Any] = {}
    for key, item in names.items():
        if key in overrides:
            values[item.name] = overrides[key]
            continue
        variable = item.metadata["variable"]
        raw = os.environ.get(variable) if variable else None
        if raw is None or (raw == "" and not item.metadata["keep_empty"]):
            values[item.name] = _coerce(item, _default(item, env), variable or key)
        else:
            values[item.name] = _coerce(item, raw, variable)
    values["app_env"] = env
    loaded = Settings(**values)
    if env == "production":
        _check_production(loaded)
    return loaded


def default_of(name: str, env: str = "production") -> str | None:
    """The default of setting `name` as its environment variable would write it (README's table shows these)."""
    return _default(next(item for item in dataclasses.fields(Settings) if item.name == name), env)


def _default(item: dataclasses.Field, env: str) -> str | None:
    default = item.metadata["default"]
    if isinstance(default, dict):
        default = default.get(env, default.get("*", ""))
    return default(env) if callable(default) else default


def _coerce(item: dataclasses.Field, value: Any, name: str) -> Any:
    """`value` as the setting's type: a text is read as the environment variable would be."""
    kind = _TYPES[item.name]
    if isinstance(value, str) and item.metadata["strip"]:
        value = value.strip()
    if isinstance(value, str) and kind is not str:
        return _READERS[kind](value, name, item)
    if kind is str and value is None:
        return ""
    if kind is Decimal and isinstance(value, int | float) and not isinstance(value, bool):
        return Decimal(str(value))
    if kind is float and isinstance(value, int | Decimal) and not isinstance(value, bool):
        return float(value)
    if kind is tuple and isinstance(value, list | tuple):
        return tuple(int(part) for part in value)
    if kind is dict and isinstance(value, Mapping):
        return dict(value)
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise ConfigurationError(f"{name} must be of type {kind.__name__}, got {value!r}")
    return value


def _read_int(raw: str, name: str, item: dataclasses.Field) -> int:
    try:
        return int(raw)
    except ValueError as exc:
        raise ConfigurationError(f"{name} must be a whole number, got {raw!r}") from exc


def _read_decimal(raw: str, name: str, item: dataclasses.Field) -> Decimal:
    try:
        value = Decimal(raw)
    except InvalidOperation as exc:
        raise ConfigurationError(
            f"{name} must be a number such as {_default(item, 'production')}, got {raw!r}"
        ) from exc
    if not value.is_finite() or value < 0:
        raise ConfigurationError(f"{name} must be a number of 0 or more, got {raw!r}")
    return value


def _read_seconds_list(raw: str, name: str, item: dataclasses.Field) -> tuple[int, ...]:
    example = _default(item, "production")
    try:
        values = tuple(int(part) for part in raw.split(","))
    except ValueError as exc:
        raise ConfigurationError(f"{name} must be whole seconds separated by commas, such as {example}") from exc
    if not values or min(values) < 0:
        raise ConfigurationError(f"{name} must be whole seconds separated by commas, such as {example}")
    return values


def _read_providers(raw: str, name: str, item: dataclasses.Field) -> dict[str, str]:
    """`name=module:Class,other=module:Class` as a dict."""
    providers = {}
    for part in raw.split(","):
        key, _, path = part.strip().partition("=")
        if not key or ":" not in path:
            raise ConfigurationError(f"{name} must look like {_default(item, 'production')}, got {raw!r}")
        providers[key.strip()] = path.strip()
    return providers


_READERS: dict[type, Callable[[str, str, dataclasses.Field], Any]] = {
    int: _read_int,
    Decimal: _read_decimal,
    float: lambda raw, name, item: float(_read_decimal(raw, name, item)),
    bool: lambda raw, name, item: raw.strip().lower() in {"1", "true", "yes", "on"},
    Path: lambda raw, name, item: Path(raw),
    timedelta: lambda raw, name, item: timedelta(**{item.metadata["unit"]: _read_int(raw, name, item)}),
    tuple: _read_seconds_list,
    dict: _read_providers,
}
_TYPES: dict[str, type] = {name: getattr(hint, "__origin__", hint) for name, hint in get_type_hints(Settings).items()}


def _check(settings: Settings) -> None:
    """What no settings may hold (checked on every change too); production refuses more at start."""
    try:
        ZoneInfo(settings.operator_timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigurationError(
            f"OPERATOR_TIMEZONE must be an IANA time zone such as Europe/Berlin, got {settings.operator_timezone!r}"
        ) from exc
    _check_invoicing(settings)
    _check_datev(settings)
    _check_mail(settings)


def _check_mail(settings: Settings) -> None:
    """A wrong mail address or URL would only show when the first message fails; refuse it at start instead."""
    _name, address = parseaddr(settings.mail_from)
    if "@" not in address or any(ch in settings.mail_from for ch in "\r\n"):
        raise ConfigurationError(
            f"MAIL_FROM must be an address such as 'Team <care@example.org>': {settings.mail_from!r}"
        )
    if (settings.public_url and not settings.public_url.startswith(("http://", "https://"))) or any(
        ch.isspace() for ch in settings.public_url
    ):
        raise ConfigurationError(
            f"PUBLIC_URL must be the app's address, such as https://office.example: {settings.public_url!r}"
        )
    if not 0 <= settings.digest_hour <= 23:
        raise ConfigurationError(f"DIGEST_HOUR must be an hour from 0 to 23, got {settings.digest_hour}")
    scheme = settings.smtp_url.partition("://")[0]
    if settings.smtp_url and scheme not in ("smtp", "smtp+starttls", "smtps"):
        raise ConfigurationError("SMTP_URL must start with smtp://, smtp+starttls:// or smtps://")
    if settings.imap_url and settings.imap_url.partition("://")[0] not in ("imap", "imaps"):
        raise ConfigurationError("IMAP_URL must start with imap:// or imaps://")
    storage = urlsplit(settings.storage_url)
    if settings.storage_url and (storage.scheme != "s3" or not storage.netloc):
        raise ConfigurationError(
            "STORAGE_URL must be s3://bucket or s3://bucket/prefix (empty: the local folders): "
            f"{settings.storage_url!r}"
        )
    if settings.s3_endpoint_url and not settings.s3_endpoint_url.startswith(("http://", "https://")):
        raise ConfigurationError(f"S3_ENDPOINT_URL must be an http(s) address: {settings.s3_endpoint_url!r}")
    if not 0 < settings.storage_timeout_seconds <= 300:
        raise ConfigurationError("STORAGE_TIMEOUT_SECONDS must be above 0 and at most 300")
    for name in ("invoice", "books", "letter", "medical"):
        if not 1 <= getattr(settings, f"retention_{name}_years") <= 100:
            raise ConfigurationError(f"RETENTION_{name.upper()}_YEARS must be a number of years from 1 to 100")


def _check_production(settings: Settings) -> None:
    key = settings.secret_key
    if len(key) < 32 or key in {"test-secret-key", "change-me", "dev"}:
        raise ConfigurationError("production refuses to start without a SECRET_KEY of at least 32 random characters")
    if settings.debug:
        raise ConfigurationError("production refuses to start with debug on (unset FLASK_DEBUG)")
    if settings.database_url.startswith("sqlite"):
        raise ConfigurationError("production needs DATABASE_URL (PostgreSQL), not the development SQLite file")
    if not settings.smtp_url:
        raise ConfigurationError("production needs SMTP_URL (e.g. smtp://user:password@mail.example:587)")
    if not settings.redis_url:
        raise ConfigurationError(
            "production needs REDIS_URL (e.g. redis://redis.internal:6379/0): every web machine, worker and"
            " dispatcher shares the job queue through it"
        )
    if not settings.public_url:
        raise ConfigurationError(
            "production needs PUBLIC_URL, the address people open the app at (e.g. https://office.example): "
            "every link in a mail starts with it"
        )


def _check_invoicing(settings: Settings) -> None:
    """Invoices print these; a wrong IBAN or VAT rate would go out on legal documents."""
    if not iban.is_valid(settings.operator_iban):
        raise ConfigurationError(f"OPERATOR_IBAN is not a valid IBAN: {settings.operator_iban!r}")
    if settings.vat_rate >= 100:
        raise ConfigurationError("VAT_RATE is a percentage below 100")
    if settings.vat_reduced_rate >= 100:
        raise ConfigurationError("VAT_REDUCED_RATE is a percentage below 100")
    if not 0 < settings.offer_deposit_percent <= 100:
        raise ConfigurationError("OFFER_DEPOSIT_PERCENT is a percentage above 0, at most 100")
    code = settings.operator_country
    if not (len(code) == 2 and code.isascii() and code.isalpha() and code.isupper()):
        raise ConfigurationError(
            f"OPERATOR_COUNTRY is the operator's ISO 3166-1 country code, such as DE: {settings.operator_country!r}"
        )
    try:
        check_currency(settings.invoice_base_currency)
    except MoneyError as exc:
        raise ConfigurationError(f"INVOICE_BASE_CURRENCY: {exc}") from exc


def _check_datev(settings: Settings) -> None:
    """DATEV refuses a booking batch whose header names another chart or numbers out of its ranges."""
    if settings.datev_chart not in ("SKR03", "SKR04"):
        raise ConfigurationError(f"DATEV_CHART is SKR03 or SKR04, not {settings.datev_chart!r}")
    if not 1001 <= settings.datev_consultant_number <= 9999999:
        raise ConfigurationError("DATEV_CONSULTANT_NUMBER is the tax adviser's number, 1001 to 9999999")
    if not 1 <= settings.datev_client_number <= 99999:
        raise ConfigurationError("DATEV_CLIENT_NUMBER is the operator's client number at the adviser, 1 to 99999")
