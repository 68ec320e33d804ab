"""Settings, read from the environment with the HROMADA_ prefix (and an optional .env file)."""

from __future__ import annotations

import os
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

ROOT = Path(__file__).resolve().parent.parent
DEV_SECRET = "development-only-secret-key-change-me"


class OidcProvider(BaseModel):
    """An OpenID provider people sign in through (README: "Signing in through an identity
    provider"). `claims` maps what Hromada needs to the provider's claim names: "email",
    "name" (or "given_name", "family_name", "middle_name"), "birthdate" and "tax_id" (the tax
    number, kept only in a keyed hash); an empty name leaves it out. `identifies`: the provider
    identifies people (a state identity system), which is a level of assurance of its own;
    `second_factor`: its sign-in counts as the second factor staff need (it enforces one)."""

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,39}$")
    label: str = Field(min_length=1, max_length=80)
    issuer: str = Field(pattern=r"^https?://")
    client_id: str = Field(min_length=1)
    client_secret: str = ""
    scopes: str = "openid profile email"
    claims: dict[str, str] = Field(default_factory=dict)
    identifies: bool = False
    second_factor: bool = False
    userinfo: bool = True


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="HROMADA_", env_file=".env", extra="ignore")

    environment: Literal["development", "test", "production"] = "development"
    database_url: str = f"sqlite:///{ROOT / 'var' / 'hromada.db'}"
    secret_key: str = ""
    # The Ed25519 seed (64 hex digits) that signs the audit log's checkpoints; by default one
    # derived from secret_key. Its public key is on /audit.
    audit_signing_key: str | None = Field(default=None, pattern=r"^[0-9a-fA-F]{64}$")
    audit_seal_interval_seconds: float = 0.2
    redis_url: str | None = None
    # The address people reach the site at, used in e-mailed links. Empty: http://HOST:PORT
    # from the environment `make run` and `hromada serve` read.
    base_url: str = ""
    default_language: Literal["uk", "en"] = "uk"

    # Sessions: an idle and an absolute limit, both enforced on the server.
    session_idle_minutes: int = 60
    session_absolute_hours: int = 12
    cookie_secure: bool | None = None  # None: Secure when base_url is https

    # Mail: "console" prints, "file" writes .eml files under mail_dir, "smtp" sends.
    mail_backend: Literal["console", "file", "smtp"] = "file"
    mail_dir: Path = ROOT / "var" / "outbox"
    mail_from: str = "Hromada <no-reply@hromada.local>"
    smtp_host: str = "localhost"
    smtp_port: int = 587
    smtp_user: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = True
    worker_in_process: bool = False  # make run turns this on: one process serves and delivers
    worker_interval_seconds: float = 2.0

    # Obligations: how many calendar days before the due date an obligation counts as "due soon".
    due_soon_days: int = 3
    # Erasure of signer identities after a petition closes.
    signer_retention_months: int = 12

    # Rate limits: "N/seconds" windows separated by commas; a request passes only if every
    # window still has room. `*_ip` limits count per client IP *and per item* (petition, cycle),
    # the others per account across all items. Per-IP limits are generous on purpose: a family,
    # a service centre (ЦНАП) or a whole mobile network behind carrier-grade NAT shares one IP,
    # and the one-person-one-signature rule is enforced by the database, not by the IP. The
    # per-account limits stop scripts driving one account. See app/web/ratelimit.py.
    rate_limits_enabled: bool = True
    rate_sign: str = "10/60,100/86400"
    rate_sign_ip: str = "30/60,300/3600"
    rate_vote: str = "5/60,30/86400"
    rate_vote_ip: str = "30/60,300/3600"
    rate_register: str = "10/3600,50/86400"
    rate_login_ip: str = "30/300,300/86400"
    rate_login_failures: int = 10
    rate_login_lockout_seconds: int = 900
    rate_create: str = "5/3600,20/86400"
    rate_create_ip: str = "30/3600,100/86400"
    # Throwaway e-mail domains the operator refuses beyond the shipped list (one a line).
    disposable_domains_file: str | None = "var/disposable_domains.txt"
    rate_comment: str = "5/60,60/86400"  # comments and replies a person posts
    rate_comment_ip: str = "30/60,300/3600"
    rate_report: str = "10/3600,50/86400"  # reports a person sends
    rate_report_ip: str = "30/3600,200/86400"
    rate_mail: str = "5/3600,20/86400"  # e-mails a person asks for (a receipt)

    page_size: int = Field(20, ge=5, le=200)

    # Open data (/open-data): the licence of every dataset (an SPDX identifier, see
    # app/opendata/describe.py), who publishes them (by default the platform's name) and the
    # address a portal shows for questions about them.
    open_data_license: Literal["CC-BY-4.0", "CC-BY-SA-4.0", "CC0-1.0", "ODC-BY-1.0",
                               "ODbL-1.0"] = "CC-BY-4.0"
    open_data_publisher: str = Field("", max_length=200)
    open_data_contact_email: str | None = Field(None, max_length=254,
                                                pattern=r"^[^@\s]+@[^@\s]+$")
    # Identity. Providers as JSON: HROMADA_OIDC_PROVIDERS='[{"name": "diia", ...}]'. The clock
    # skew tolerated on a provider's tokens is bounded (at most five minutes).
    oidc_providers: list[OidcProvider] = Field(default_factory=list)
    oidc_clock_skew_seconds: int = Field(60, ge=0, le=300)
    oidc_login_minutes: int = Field(10, ge=1, le=60)
    oidc_timeout_seconds: float = Field(10.0, gt=0, le=60)
    password_reset_minutes: int = Field(60, ge=5, le=24 * 60)
    email_change_hours: int = Field(24, ge=1, le=168)
    rate_recovery: str = "5/3600,20/86400"
    rate_second_factor_ip: str = "30/300,300/86400"
    # Officials, moderators and administrators act in their role only after a second factor.
    staff_second_factor: bool = True
    register_max_bytes: int = Field(20 * 1024 * 1024, ge=1024)

    # Uploaded files (app/storage): "database" keeps their bytes in the database, where every
    # app node reads them; "disk" under upload_dir (one node, `make run`); "auto" the database
    # on PostgreSQL and the disk on SQLite. One file weighs at most storage_max_bytes.
    storage_backend: Literal["auto", "database", "disk"] = "auto"
    upload_dir: Path = ROOT / "var" / "uploads"
    storage_max_bytes: int = Field(20 * 1024 * 1024, ge=1024, le=64 * 1024 * 1024)

    # Maps (Leaflet): the tile server's address template and the credit its tiles require.
    # The page lists every place without tiles or JavaScript too.
    map_tile_url: str = Field("https://tile.openstreetmap.org/{z}/{x}/{y}.png", max_length=300)
    map_attribution: str = Field("© OpenStreetMap contributors", max_length=300)

    # The shared page cache (app/web/pagecache.py): how long a page rendered for everyone may
    # be served (seconds; at most 1, 0 turns the cache off), and how much each process keeps.
    page_cache_ttl: float = Field(1.0, ge=0, le=1)
    page_cache_entries: int = Field(2000, ge=1)
    page_cache_bytes: int = Field(64 * 1024 * 1024, ge=1024)

    @model_validator(mode="after")
    def _secret_required_outside_development(self) -> Settings:
        if not self.secret_key:
            if self.environment == "production":
                raise ValueError("HROMADA_SECRET_KEY must be set in production")
            development = self.environment == "development"
            self.secret_key = DEV_SECRET if development else secrets.token_hex(32)
        if not self.base_url:
            host = os.environ.get("HOST") or "127.0.0.1"
            host = "localhost" if host in ("0.0.0.0", "::") else host
            host = f"[{host}]" if ":" in host else host
            self.base_url = f"http://{host}:{os.environ.get('PORT') or 8000}"
        self.base_url = self.base_url.rstrip("/")
        names = [p.name for p in self.oidc_providers]
        if len(set(names)) != len(names):
            raise ValueError("HROMADA_OIDC_PROVIDERS: each provider needs a name of its own")
        return self

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def secure_cookies(self) -> bool:
        if self.cookie_secure is not None:
            return self.cookie_secure
        return self.base_url.startswith("https://")


@lru_cache
def get_settings() -> Settings:
    return Settings()
