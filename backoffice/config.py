"""Settings from the environment, with safe development defaults.

`APP_ENV` picks the profile: `development` (default: SQLite under instance/, embedded Redis on a unix socket),
`test` (used by the test suite) or `production` (everything from the environment; refuses to start without a real
SECRET_KEY or with debug on).
"""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from stdnum import iban

from backoffice.money import MoneyError, check_currency

PROJECT_ROOT = Path(__file__).resolve().parent.parent
ENVIRONMENTS = ("development", "test", "production")


class ConfigurationError(RuntimeError):
    """The app refuses to start with this configuration."""


def _decimal_env(name: str, default: str) -> Decimal:
    raw = os.environ.get(name) or default
    try:
        value = Decimal(raw)
    except InvalidOperation as exc:
        raise ConfigurationError(f"{name} must be a number such as {default}, got {raw!r}") from exc
    if not value.is_finite() or value < 0:
        raise ConfigurationError(f"{name} must be a number of 0 or more, got {raw!r}")
    return value


def _providers_env(name: str, default: str) -> dict[str, str]:
    """`name=module:Class,other=module:Class` as a dict."""
    raw = os.environ.get(name) or default
    providers = {}
    for part in raw.split(","):
        key, _, path = part.strip().partition("=")
        if not key or ":" not in path:
            raise ConfigurationError(f"{name} must look like {default}, got {raw!r}")
        providers[key.strip()] = path.strip()
    return providers


def _seconds_list_env(name: str, default: str) -> tuple[int, ...]:
    raw = os.environ.get(name) or default
    try:
        values = tuple(int(part) for part in raw.split(","))
    except ValueError as exc:
        raise ConfigurationError(f"{name} must be whole seconds separated by commas, such as {default}") from exc
    if not values or min(values) < 0:
        raise ConfigurationError(f"{name} must be whole seconds separated by commas, such as {default}")
    return values


def _int_env(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ConfigurationError(f"{name} must be a whole number, got {raw!r}") from exc


def _timezone_env(name: str, default: str) -> str:
    """An IANA time zone name (Europe/Berlin), refused at start rather than on every page that shows a time."""
    raw = (os.environ.get(name) or default).strip()
    try:
        ZoneInfo(raw)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigurationError(f"{name} must be an IANA time zone such as {default}, got {raw!r}") from exc
    return raw


def _flag_env(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in {"1", "true", "yes", "on"}


def instance_path() -> Path:
    return Path(os.environ.get("INSTANCE_PATH", PROJECT_ROOT / "instance")).resolve()


def default_redis_url() -> str:
    """The embedded Redis server of `make run` listens on a unix socket in instance/ (no port to collide with)."""
    return f"unix://{instance_path() / 'redis.sock'}?db=0"


def _development_secret_key() -> str:
    """A per-machine random key kept in instance/, so no two checkouts share a session-signing key."""
    path = instance_path() / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


def load_config(overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """Build the settings for one app from the environment, then `overrides` (used by tests)."""
    overrides = dict(overrides or {})
    env = overrides.get("APP_ENV") or os.environ.get("APP_ENV", "development")
    if env not in ENVIRONMENTS:
        raise ConfigurationError(f"APP_ENV must be one of {', '.join(ENVIRONMENTS)}, got {env!r}")
    production = env == "production"

    settings: dict[str, Any] = {
        "APP_ENV": env,
        "DEBUG": _flag_env("FLASK_DEBUG"),
        "TESTING": env == "test",
        "SECRET_KEY": os.environ.get("SECRET_KEY"),
        "SQLALCHEMY_DATABASE_URI": os.environ.get("DATABASE_URL") or f"sqlite:///{instance_path() / 'backoffice.db'}",
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "REDIS_URL": os.environ.get("REDIS_URL") or default_redis_url(),
        "INVOICE_ARCHIVE": os.environ.get("INVOICE_ARCHIVE") or str(PROJECT_ROOT / "invoices"),
        # A request may carry one medical record of MAX_DOCUMENT_MB plus the form around it.
        "MAX_CONTENT_LENGTH": max(
            _int_env("MAX_UPLOAD_MB", 16), _int_env("MAX_DOCUMENT_MB", 20) + 1, _int_env("TARIFF_MAX_MB", 20) + 1
        )
        * 1024
        * 1024,
        # Sessions: the cookie is the only credential, so keep it out of scripts and off plain HTTP.
        # Outside development the cookie is Secure and carries the __Host- prefix: browsers then refuse it unless it
        # came over HTTPS for this exact host with Path=/ and no Domain, so no sibling subdomain can plant one.
        "SESSION_COOKIE_NAME": "backoffice_session" if env in ("development", "test") else "__Host-session",
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": env not in ("development", "test"),
        "SESSION_COOKIE_PATH": "/",
        "SESSION_COOKIE_DOMAIN": None,
        "REMEMBER_COOKIE_DURATION": timedelta(seconds=0),
        "IDLE_TIMEOUT_STAFF": timedelta(minutes=_int_env("STAFF_IDLE_TIMEOUT_MINUTES", 30)),
        "IDLE_TIMEOUT_PATIENT": timedelta(minutes=_int_env("PATIENT_IDLE_TIMEOUT_MINUTES", 30)),
        # However active, a session ends this long after its sign-in (a stolen cookie does not live for ever).
        "SESSION_ABSOLUTE_LIFETIME": timedelta(hours=_int_env("SESSION_ABSOLUTE_HOURS", 12)),
        # Login throttling: failures counted over a sliding window; a block ends when old failures leave it.
        "LOGIN_THROTTLE_WINDOW": timedelta(minutes=_int_env("LOGIN_THROTTLE_WINDOW_MINUTES", 15)),
        "LOGIN_MAX_FAILURES_PER_ACCOUNT_AND_ADDRESS": _int_env("LOGIN_MAX_FAILURES_PER_ACCOUNT_AND_ADDRESS", 5),
        "LOGIN_MAX_FAILURES_PER_ADDRESS": _int_env("LOGIN_MAX_FAILURES_PER_ADDRESS", 20),
        "LOGIN_MAX_FAILURES_PER_ACCOUNT": _int_env("LOGIN_MAX_FAILURES_PER_ACCOUNT", 50),
        # A browser that signed in to an account (a signed cookie) stays known this long; the per-account limit
        # above never blocks it, nor an address that signed in to the account within the same time.
        "KNOWN_DEVICE_LIFETIME": timedelta(days=_int_env("KNOWN_DEVICE_DAYS", 90)),
        "WTF_CSRF_TIME_LIMIT": 3600 * 4,
        "PREFERRED_URL_SCHEME": "https" if production else "http",
        "HEALTH_REDIS_TIMEOUT_SECONDS": 2,
        "PASSWORD_HASH_METHOD": "scrypt",
        "TRUSTED_PROXIES": _int_env("TRUSTED_PROXIES", 0),  # reverse proxies in front of the app (0: none)
        # The operator, as patients see it (request form, itinerary, invoices)
        "OPERATOR_NAME": os.environ.get("OPERATOR_NAME", "MedTravel Coordination GmbH"),
        "OPERATOR_EMAIL": os.environ.get("OPERATOR_EMAIL", "care@medtravel.example"),
        "OPERATOR_PHONE": os.environ.get("OPERATOR_PHONE", "+49 69 1234 5670"),
        "OPERATOR_ADDRESS": os.environ.get(
            "OPERATOR_ADDRESS", "Mainzer Landstraße 50, 60325 Frankfurt am Main, Germany"
        ),
        "OPERATOR_VAT_ID": os.environ.get("OPERATOR_VAT_ID", "DE000000000"),
        # Invoices: where patients pay, the tax rules printed, and what the operator charges for its work.
        "OPERATOR_BANK": os.environ.get("OPERATOR_BANK", "Frankfurter Demo Bank"),
        "OPERATOR_IBAN": os.environ.get("OPERATOR_IBAN", "DE89 3704 0044 0532 0130 00"),
        "OPERATOR_BIC": os.environ.get("OPERATOR_BIC", "COBADEFFXXX"),
        # Invoices are dated (and numbered per year) in the operator's own time zone; staff pages show times in it.
        "OPERATOR_TIMEZONE": _timezone_env("OPERATOR_TIMEZONE", "Europe/Berlin"),
        "INVOICE_BASE_CURRENCY": os.environ.get("INVOICE_BASE_CURRENCY", "EUR"),
        "VAT_RATE": _decimal_env("VAT_RATE", "19"),  # percent, on the coordination fee and other services
        "VAT_EXEMPTION_NOTE": os.environ.get(
            "VAT_EXEMPTION_NOTE", "Medical treatment: exempt from VAT under section 4 no. 14 UStG."
        ),
        "COORDINATION_FEE": _decimal_env("COORDINATION_FEE", "1500.00"),  # in INVOICE_BASE_CURRENCY, before VAT
        "INVOICE_PAYMENT_DAYS": _int_env("INVOICE_PAYMENT_DAYS", 14),
        "PORTAL_INVITE_DAYS": _int_env("PORTAL_INVITE_DAYS", 7),
        # Background jobs: the outbox's lease before a job is sent again, retries of transient errors
        "JOB_TIMEOUT_SECONDS": _int_env("JOB_TIMEOUT_SECONDS", 60),
        "JOB_LEASE_SECONDS": _int_env("JOB_LEASE_SECONDS", 120),
        "JOB_MAX_ATTEMPTS": _int_env("JOB_MAX_ATTEMPTS", 3),
        "JOB_MAX_DISPATCHES": _int_env("JOB_MAX_DISPATCHES", 10),  # sends of a job whose runs never finish
        "JOB_RETRY_BACKOFF_SECONDS": _seconds_list_env(
            "JOB_RETRY_BACKOFF_SECONDS", "3,10,30" if env == "development" else "30,120,600"
        ),
        # Medicine orders: how often tracking is asked, and what the sandbox providers do
        # (the development defaults let a demo order arrive within a minute)
        "TRACKING_POLL_SECONDS": _int_env("TRACKING_POLL_SECONDS", 10 if env == "development" else 4 * 3600),
        "TRACKING_MAX_POLLS": _int_env("TRACKING_MAX_POLLS", 500),
        "SANDBOX_DELAY_SECONDS": float(_decimal_env("SANDBOX_DELAY_SECONDS", "0.5")),  # seconds, for time.sleep
        "SANDBOX_FAILURE_RATE": _decimal_env("SANDBOX_FAILURE_RATE", "0"),  # a probability from 0 to 1
        "SANDBOX_TRANSIT_SECONDS": _int_env("SANDBOX_TRANSIT_SECONDS", 30),
        # Provider adapters, "module:Class": pharmacies by provider name (a pharmacy names its provider), one carrier.
        "PHARMACY_PROVIDERS": _providers_env(
            "PHARMACY_PROVIDERS", "sandbox=backoffice.shipments.sandbox:SandboxPharmacy"
        ),
        "CARRIER_PROVIDER": os.environ.get("CARRIER_PROVIDER") or "backoffice.shipments.sandbox:SandboxCarrier",
        # Cases
        "FIRST_RESPONSE_HOURS": _int_env("FIRST_RESPONSE_HOURS", 24),
        "CASE_DOCUMENTS_DIR": os.environ.get("CASE_DOCUMENTS_DIR") or str(instance_path() / "documents"),
        "MAX_DOCUMENT_MB": _int_env("MAX_DOCUMENT_MB", 20),
        "ITINERARY_PICKUP_BUFFER_MINUTES": _int_env("ITINERARY_PICKUP_BUFFER_MINUTES", 45),
        "TARIFF_MAX_MB": _int_env("TARIFF_MAX_MB", 20),
        "BILL_MAX_MB": _int_env("BILL_MAX_MB", 10),
        # Bill lines dated this many days before admission or after discharge still belong to the stay.
        "BILL_STAY_MARGIN_DAYS": _int_env("BILL_STAY_MARGIN_DAYS", 14),
        # A bill line this far (per line, in its currency) from the resident price is ok with rounding, not a finding.
        "BILL_ROUNDING_TOLERANCE": _decimal_env("BILL_ROUNDING_TOLERANCE", "0.01"),
        # Public request form: accepted submissions per address in a sliding window
        "INTAKE_WINDOW": timedelta(minutes=_int_env("INTAKE_WINDOW_MINUTES", 60)),
        "INTAKE_MAX_PER_ADDRESS": _int_env("INTAKE_MAX_PER_ADDRESS", 5),
    }
    if env == "test":
        settings.update(
            {
                "SECRET_KEY": settings["SECRET_KEY"] or "test-secret-key",
                # A cheap work factor keeps hundreds of test logins fast; real deployments keep the default.
                "PASSWORD_HASH_METHOD": "scrypt:1024:8:1",
            }
        )
        # Jobs run at once in tests, unless a test's environment (the fault tests' workers) sets its own timings.
        settings.update(
            {
                name: value
                for name, value in {
                    "JOB_RETRY_BACKOFF_SECONDS": (0,),
                    "TRACKING_POLL_SECONDS": 0,
                    "SANDBOX_DELAY_SECONDS": 0.0,
                    "SANDBOX_TRANSIT_SECONDS": 0,
                }.items()
                if name not in os.environ
            }
        )
    settings.update(overrides)

    if settings["SQLALCHEMY_DATABASE_URI"].startswith("postgresql://"):
        # psycopg 3 is the installed driver; accept the plain URL that hosting providers hand out.
        settings["SQLALCHEMY_DATABASE_URI"] = settings["SQLALCHEMY_DATABASE_URI"].replace(
            "postgresql://", "postgresql+psycopg://", 1
        )
    if production:
        _check_production(settings)
    else:
        _check_invoicing(settings)
        if not settings["SECRET_KEY"]:
            settings["SECRET_KEY"] = _development_secret_key()
    return settings


def _check_production(settings: dict[str, Any]) -> None:
    key = settings.get("SECRET_KEY") or ""
    if len(key) < 32 or key in {"test-secret-key", "change-me", "dev"}:
        raise ConfigurationError("production refuses to start without a SECRET_KEY of at least 32 random characters")
    if settings.get("DEBUG"):
        raise ConfigurationError("production refuses to start with debug on (unset FLASK_DEBUG)")
    if settings["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        raise ConfigurationError("production needs DATABASE_URL (PostgreSQL), not the development SQLite file")
    _check_invoicing(settings)


def _check_invoicing(settings: dict[str, Any]) -> None:
    """Invoices print these; a wrong IBAN or VAT rate would go out on legal documents."""
    if not iban.is_valid(settings["OPERATOR_IBAN"]):
        raise ConfigurationError(f"OPERATOR_IBAN is not a valid IBAN: {settings['OPERATOR_IBAN']!r}")
    if settings["VAT_RATE"] >= 100:
        raise ConfigurationError("VAT_RATE is a percentage below 100")
    try:
        check_currency(settings["INVOICE_BASE_CURRENCY"])
    except MoneyError as exc:
        raise ConfigurationError(f"INVOICE_BASE_CURRENCY: {exc}") from exc
