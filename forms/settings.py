"""Service settings, read once from the environment into a frozen dataclass."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping

PROJECT_ROOT = Path(__file__).resolve().parent.parent

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def _bool(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ValueError(f"{name} must be one of on/off, 1/0, true/false, yes/no")


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        raise ValueError(f"{name} must be an integer") from None


def _float(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        return float(raw)
    except ValueError:
        raise ValueError(f"{name} must be a number") from None


def _str(env: Mapping[str, str], name: str, default: str = "") -> str:
    return env.get(name, default).strip()


def _choice(env: Mapping[str, str], name: str, choices: tuple[str, ...]) -> str:
    value = _str(env, name, choices[0]).lower() or choices[0]
    if value not in choices:
        raise ValueError(f"{name} must be one of {', '.join(choices)}")
    return value


@dataclass(frozen=True)
class Settings:
    """All knobs of the forms service. Secrets carry repr=False."""

    db_path: Path = PROJECT_ROOT / "var" / "forms.sqlite3"
    db_url: str = field(default="", repr=False)  # FORMS_DB=postgresql://...; carries a password
    db_pool_size: int = 10  # PostgreSQL connections per process (FORMS_DB_POOL)
    group_commit: bool = True  # PostgreSQL: concurrent submissions in one transaction
    db_timeout: float = 3.0  # seconds a request waits for a database connection (FORMS_DB_TIMEOUT)
    claim_lease: float = 300.0  # seconds before a dead worker's claims are taken over
    port: int = 8001
    rate_limit: int = 10  # requests per minute per client IP; 0 = off
    allowed_origins: tuple[str, ...] = ()
    max_body: int = 16 * 1024
    siteurl: str = ""
    worker: bool = True
    worker_interval: float = 5.0
    trust_proxy: bool = False
    contact_max_links: int = 3
    contact_min_seconds: float = 3.0
    contact_retention_days: int = 30  # the privacy page promises 30 days; 0 keeps them
    subscribe_consent_required: bool = True
    health_max_age: float = 3600.0  # /api/health is 503 once the oldest undelivered item is older
    erasure_ledger: Path | str | None = field(default=None, repr=False)  # None: erasures.sqlite3
    # beside the outbox (the SQLite default path when the outbox is PostgreSQL); a str: a
    # postgresql:// URL
    erasure_salt: str = field(default="", repr=False)

    mailchimp_api_key: str = field(default="", repr=False)
    mailchimp_list_id: str = ""
    mailchimp_api_root: str = ""
    mailchimp_double_optin: bool = True

    smtp_host: str = ""
    smtp_port: int = 587
    smtp_username: str = ""
    smtp_password: str = field(default="", repr=False)
    smtp_starttls: bool = True
    smtp_ssl: bool = False  # implicit TLS from the first byte ("SMTPS", port 465)
    smtp_timeout: float = 30.0
    contact_to: str = ""
    contact_from: str = ""
    sitename: str = "Our blog"

    # comments (forms/comments)
    forms_url: str = ""  # the service's public base URL, for links in mails
    secret: str = field(default="", repr=False)  # FORMS_SECRET: signs links, keys avatar hashes
    comments_moderators: tuple[str, ...] = ()
    comments_moderation: str = "all"  # all | first | none
    comments_posts: str = ""  # URL or path of the build's comments-posts.json
    error_page: str = ""  # URL or path of the built /form-error/ page (forms/error_page.py)
    comments_rebuild_hook: str = field(default="", repr=False)  # may embed a token
    comments_from: str = ""
    comments_link_days: int = 7
    comments_max_links: int = 2
    comments_max_length: int = 5000
    comments_per_ip_hour: int = 10
    comments_per_email_hour: int = 5
    comments_ip_retention_days: int = 30
    comments_akismet_key: str = field(default="", repr=False)
    comments_akismet_url: str = ""  # override of Akismet's comment-check URL (tests, proxies)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> "Settings":
        env = environ
        db = _str(env, "FORMS_DB")
        db_url = db if db.startswith(("postgresql://", "postgres://")) else ""
        db_path = Path(db) if db and not db_url else cls.db_path
        if not db_path.is_absolute():
            db_path = PROJECT_ROOT / db_path
        smtp_port = _int(env, "SMTP_PORT", 587)
        ledger = _str(env, "FORMS_ERASURE_LEDGER")
        ledger_path = Path(ledger) if ledger else None
        if ledger.startswith(("postgresql://", "postgres://")):
            ledger_path = ledger  # type: ignore[assignment]  # a database, not a file
        if isinstance(ledger_path, Path) and not ledger_path.is_absolute():
            ledger_path = PROJECT_ROOT / ledger_path
        origins = tuple(
            o.strip().rstrip("/") for o in _str(env, "FORMS_ALLOWED_ORIGINS").split(",") if o.strip()
        )
        return cls(
            db_path=db_path,
            db_url=db_url,
            db_pool_size=max(1, _int(env, "FORMS_DB_POOL", 10)),
            group_commit=_bool(env, "FORMS_GROUP_COMMIT", True),
            db_timeout=max(0.5, _float(env, "FORMS_DB_TIMEOUT", 3.0)),
            claim_lease=max(5.0, _float(env, "FORMS_CLAIM_LEASE", 300.0)),
            port=_int(env, "FORMS_PORT", 8001),
            rate_limit=max(0, _int(env, "FORMS_RATE_LIMIT", 10)),
            allowed_origins=origins,
            max_body=_int(env, "FORMS_MAX_BODY", 16 * 1024),
            siteurl=_str(env, "SITEURL").rstrip("/"),
            worker=_bool(env, "FORMS_WORKER", True),
            worker_interval=_float(env, "FORMS_WORKER_INTERVAL", 5.0),
            trust_proxy=_bool(env, "FORMS_TRUST_PROXY", False),
            contact_max_links=_int(env, "CONTACT_MAX_LINKS", 3),
            contact_min_seconds=_float(env, "CONTACT_MIN_SECONDS", 3.0),
            contact_retention_days=_int(env, "CONTACT_RETENTION_DAYS", 30),
            subscribe_consent_required=_bool(env, "SUBSCRIBE_CONSENT_REQUIRED", True),
            health_max_age=_float(env, "FORMS_HEALTH_MAX_AGE", 3600.0),
            erasure_ledger=ledger_path,
            erasure_salt=env.get("FORMS_ERASURE_SALT", ""),
            mailchimp_api_key=_str(env, "MAILCHIMP_API_KEY"),
            mailchimp_list_id=_str(env, "MAILCHIMP_LIST_ID"),
            mailchimp_api_root=_str(env, "MAILCHIMP_API_ROOT").rstrip("/"),
            mailchimp_double_optin=_bool(env, "MAILCHIMP_DOUBLE_OPTIN", True),
            smtp_host=_str(env, "SMTP_HOST"),
            smtp_port=smtp_port,
            smtp_username=_str(env, "SMTP_USERNAME"),
            smtp_password=env.get("SMTP_PASSWORD", ""),
            smtp_starttls=_bool(env, "SMTP_STARTTLS", smtp_port == 587),
            smtp_ssl=_bool(env, "SMTP_SSL", smtp_port == 465),
            smtp_timeout=_float(env, "SMTP_TIMEOUT", 30.0),
            contact_to=_str(env, "CONTACT_TO"),
            contact_from=_str(env, "CONTACT_FROM"),
            sitename=_str(env, "SITENAME") or "Our blog",
            forms_url=_str(env, "FORMS_URL").rstrip("/"),
            secret=env.get("FORMS_SECRET", ""),
            comments_moderators=tuple(
                a.strip() for a in _str(env, "COMMENTS_MODERATORS").split(",") if a.strip()
            ),
            comments_moderation=_choice(env, "COMMENTS_MODERATION", ("all", "first", "none")),
            comments_posts=_str(env, "COMMENTS_POSTS"),
            error_page=_str(env, "FORMS_ERROR_PAGE"),
            comments_rebuild_hook=_str(env, "COMMENTS_REBUILD_HOOK"),
            comments_from=_str(env, "COMMENTS_FROM"),
            comments_link_days=_int(env, "COMMENTS_LINK_DAYS", 7),
            comments_max_links=_int(env, "COMMENTS_MAX_LINKS", 2),
            comments_max_length=_int(env, "COMMENTS_MAX_LENGTH", 5000),
            comments_per_ip_hour=_int(env, "COMMENTS_PER_IP_HOUR", 10),
            comments_per_email_hour=_int(env, "COMMENTS_PER_EMAIL_HOUR", 5),
            comments_ip_retention_days=_int(env, "COMMENTS_IP_RETENTION_DAYS", 30),
            comments_akismet_key=_str(env, "COMMENTS_AKISMET_KEY"),
            comments_akismet_url=_str(env, "COMMENTS_AKISMET_URL"),
        )

    def redact(self, text: str) -> str:
        """`text` with every secret value replaced, for logs and error reports."""
        from urllib.parse import urlsplit

        passwords = [urlsplit(u).password or "" for u in (self.db_url, self.erasure_ledger)
                     if isinstance(u, str) and u]
        for secret in (self.mailchimp_api_key, self.smtp_password, self.erasure_salt, self.secret,
                       self.comments_rebuild_hook, self.comments_akismet_key, *passwords):
            if secret:
                text = text.replace(secret, "***")
        return text

    @property
    def db(self) -> str | Path:
        """What the outbox opens: the PostgreSQL URL, else the SQLite file."""
        return self.db_url or self.db_path

    @property
    def ledger_path(self) -> Path | str:
        """The erasure ledger (forms.erasure): FORMS_ERASURE_LEDGER (a file or a PostgreSQL
        URL), or beside the outbox."""
        if isinstance(self.erasure_ledger, str):
            return self.erasure_ledger
        return Path(self.erasure_ledger or self.db_path.with_name("erasures.sqlite3"))

    @property
    def mailchimp_enabled(self) -> bool:
        return bool(self.mailchimp_api_key and self.mailchimp_list_id)

    @property
    def mail_from(self) -> str:
        """The sender of comment mails (moderators, commenters)."""
        return self.comments_from or self.contact_from or self.contact_to

    @property
    def mail_enabled(self) -> bool:
        return bool(self.smtp_host and self.mail_from)

    @property
    def smtp_enabled(self) -> bool:
        return bool(self.smtp_host and self.contact_to)
