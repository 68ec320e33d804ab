"""Sign-in through OpenID Connect providers: the relying party.

Authorization code flow with PKCE (S256), `state` and `nonce`, built on Authlib's OAuth 2 client
(requests). A sign-in begins with a server-side record (`OidcLogin`): the state's SHA-256 is its
key, and it holds the nonce, the PKCE verifier and the SHA-256 of a random cookie of the browser
that began it; the callback finds it by the state it brings back, checks the browser, and
deletes it before anything else, so a state is good once, in one browser, for
`oidc_login_minutes`. The ID token's signature is checked against the provider's JWKS (fetched
from its discovery document, fetched again once when a token names an unknown key), with the
algorithms the provider may sign with (never "none", never a shared secret); then its issuer,
audience (and `azp` when there are several), nonce, expiry and issue time, with a bounded
clock skew. Userinfo, when the provider has it, adds claims for the same subject.

What the provider says about a person is reduced at once to what Hromada keeps: the e-mail
address, the name and date of birth the account already has, and keyed hashes
(app.identity.hashing) of the subject and of the claims that identify the person. The tax
number goes no further than this module's memory.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import requests
from authlib.integrations.requests_client import OAuth2Session
from authlib.oauth2.rfc6749.errors import OAuth2Error
from joserfc import jwt
from joserfc.errors import (
    ExpiredTokenError,
    InvalidClaimError,
    JoseError,
    MissingClaimError,
)
from joserfc.jwk import KeySet
from sqlmodel import Session

from app import clock
from app.exceptions import DomainError, NotFound
from app.identity import hashing
from app.identity import repository as repo
from app.identity.models import OidcLogin
from app.settings import OidcProvider, get_settings
from app.web.i18n import N_

log = logging.getLogger("hromada.oidc")
SIGNING_ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384",
                      "ES512", "EdDSA"]
METADATA_TTL = 3600.0  # seconds a discovery document and its keys are kept
JWKS_REFETCH_AFTER = 60.0  # an unknown key fetches the keys again at most this often


class SignInFailed(DomainError):
    """A sign-in at a provider that cannot be accepted. `reason` names the failure for the
    audit log (never personal data)."""

    status_code = 400
    code = "sign_in_failed"

    def __init__(self, message: str, reason: str, **kw: Any):
        super().__init__(message, **kw)
        self.reason = reason


class ProviderUnavailable(DomainError):
    status_code = 502
    code = "provider_unavailable"

    def __init__(self, message: str = N_("The identity provider cannot be reached. Please try "
                                         "again later."), **kw: Any):
        super().__init__(message, **kw)


STATE_UNKNOWN = N_("This sign-in link is not valid or was already used. Please start again.")


@dataclass(frozen=True)
class Metadata:
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    userinfo_endpoint: str | None


@dataclass(frozen=True)
class Identity:
    """What Hromada keeps of a provider's answer."""

    provider: str
    subject_hash: str
    person_hash: str | None
    register_key: str | None
    email: str | None
    name: str | None
    birth_date: date | None
    identifies: bool
    second_factor: bool


# -- providers and their metadata -----------------------------------------------------------

def providers() -> list[OidcProvider]:
    return list(get_settings().oidc_providers)


def provider(name: str) -> OidcProvider:
    for found in providers():
        if found.name == name:
            return found
    raise NotFound(N_("No such identity provider."))


_lock = threading.Lock()
_metadata: dict[str, tuple[float, Metadata]] = {}
_keys: dict[str, tuple[float, KeySet]] = {}


def reset_caches() -> None:
    with _lock:
        _metadata.clear()
        _keys.clear()


def _get_json(url: str) -> dict[str, Any]:
    try:
        response = requests.get(url, timeout=get_settings().oidc_timeout_seconds,
                                headers={"Accept": "application/json"})
        response.raise_for_status()
        data = response.json()
    except (requests.RequestException, ValueError):
        log.warning("identity provider unreachable or malformed: %s", url)
        raise ProviderUnavailable() from None
    if not isinstance(data, dict):
        raise ProviderUnavailable()
    return data


def metadata(p: OidcProvider) -> Metadata:
    """The provider's discovery document (kept for an hour); its issuer must be the one
    configured, exactly."""
    now = time.monotonic()
    with _lock:
        cached = _metadata.get(p.issuer)
    if cached and now - cached[0] < METADATA_TTL:
        return cached[1]
    data = _get_json(p.issuer.rstrip("/") + "/.well-known/openid-configuration")
    try:
        found = Metadata(issuer=data["issuer"],
                         authorization_endpoint=data["authorization_endpoint"],
                         token_endpoint=data["token_endpoint"], jwks_uri=data["jwks_uri"],
                         userinfo_endpoint=data.get("userinfo_endpoint"))
    except KeyError:
        raise ProviderUnavailable() from None
    if found.issuer != p.issuer:
        log.warning("provider %s: discovery names issuer %r, configured %r", p.name,
                    found.issuer, p.issuer)
        raise ProviderUnavailable()
    with _lock:
        _metadata[p.issuer] = (now, found)
    return found


def _keyset(meta: Metadata, refresh: bool = False) -> KeySet:
    now = time.monotonic()
    with _lock:
        cached = _keys.get(meta.jwks_uri)
    if cached and (now - cached[0] < (JWKS_REFETCH_AFTER if refresh else METADATA_TTL)):
        return cached[1]
    try:
        keys = KeySet.import_key_set(_get_json(meta.jwks_uri))  # type: ignore[arg-type]
    except (JoseError, ValueError, TypeError, KeyError):
        raise ProviderUnavailable() from None
    with _lock:
        _keys[meta.jwks_uri] = (now, keys)
    return keys


# -- the flow -------------------------------------------------------------------------------

def _sha(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def redirect_uri(p: OidcProvider) -> str:
    return f"{get_settings().base_url}/login/oidc/{p.name}/callback"


def _client(p: OidcProvider) -> OAuth2Session:
    return OAuth2Session(client_id=p.client_id, client_secret=p.client_secret or None,
                         scope=p.scopes, redirect_uri=redirect_uri(p),
                         code_challenge_method="S256",
                         token_endpoint_auth_method="client_secret_basic" if p.client_secret
                         else "none")


def begin(session: Session, p: OidcProvider, browser_secret: str, next_path: str,
          user_id: int | None = None) -> str:
    """Record a sign-in under way and return the provider's authorization URL."""
    meta = metadata(p)
    state, nonce = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    verifier = secrets.token_urlsafe(64)  # 86 characters: within RFC 7636's 43 to 128
    repo.delete_stale_oidc_logins(session, clock.now() - timedelta(
        minutes=get_settings().oidc_login_minutes))
    session.add(OidcLogin(id=_sha(state), provider=p.name, nonce=nonce, code_verifier=verifier,
                          browser_hash=_sha(browser_secret), next=next_path, user_id=user_id))
    session.flush()
    with _client(p) as client:
        url, _ = client.create_authorization_url(meta.authorization_endpoint, state=state,
                                                 nonce=nonce, code_verifier=verifier)
    return url


def take_login(session: Session, p: OidcProvider, state: str, browser_secret: str | None
               ) -> OidcLogin:
    """The sign-in this state began, deleted now (a state is good once), or SignInFailed."""
    if not state or len(state) > 200:
        raise SignInFailed(STATE_UNKNOWN, "state_missing")
    login = repo.oidc_login(session, _sha(state))
    if login is None:
        raise SignInFailed(STATE_UNKNOWN, "state_unknown")
    repo.delete_oidc_login(session, login.id)
    session.flush()
    if login.provider != p.name:
        raise SignInFailed(STATE_UNKNOWN, "state_other_provider")
    if not browser_secret or not secrets.compare_digest(_sha(browser_secret),
                                                        login.browser_hash):
        raise SignInFailed(N_("This sign-in was started in another browser. Please start "
                              "again here."), "state_other_browser")
    age = clock.now() - clock.aware(login.created_at)
    if age > timedelta(minutes=get_settings().oidc_login_minutes):
        raise SignInFailed(N_("The sign-in took too long. Please start again."),
                           "state_expired")
    return login


def finish(p: OidcProvider, login: OidcLogin, code: str) -> Identity:
    """Exchange the code (with the PKCE verifier), check the ID token, read the claims."""
    if not code or len(code) > 2000:
        raise SignInFailed(N_("The identity provider sent no sign-in code. Please start "
                              "again."), "code_missing")
    meta = metadata(p)
    with _client(p) as client:
        try:
            token = client.fetch_token(meta.token_endpoint, grant_type="authorization_code",
                                       code=code, code_verifier=login.code_verifier,
                                       timeout=get_settings().oidc_timeout_seconds)
        except OAuth2Error as exc:
            log.info("provider %s refused the code: %s", p.name, exc.error)
            raise SignInFailed(N_("The identity provider did not accept this sign-in. Please "
                                  "start again."), "code_refused") from None
        except (requests.RequestException, ValueError):
            raise ProviderUnavailable() from None
        id_token = token.get("id_token")
        if not isinstance(id_token, str):
            raise SignInFailed(N_("The identity provider sent no identity token."),
                               "id_token_missing")
        claims = verify_id_token(p, meta, id_token, login.nonce)
        if p.userinfo and meta.userinfo_endpoint and token.get("access_token"):
            claims = {**_userinfo(client, meta, claims["sub"]), **claims}
    return identity_of(p, claims)


def verify_id_token(p: OidcProvider, meta: Metadata, id_token: str, nonce: str
                    ) -> dict[str, Any]:
    """The ID token's claims once its signature and claims are right, or SignInFailed."""
    settings = get_settings()
    try:
        decoded = jwt.decode(id_token, _keyset(meta), algorithms=SIGNING_ALGORITHMS)
    except (JoseError, ValueError, TypeError):
        # The provider may have rotated its keys: fetch them again (at most once a minute).
        try:
            decoded = jwt.decode(id_token, _keyset(meta, refresh=True),
                                 algorithms=SIGNING_ALGORITHMS)
        except (JoseError, ValueError, TypeError):
            raise SignInFailed(N_("The identity token's signature is not the provider's. The "
                                  "sign-in was refused."), "signature") from None
    registry = jwt.JWTClaimsRegistry(
        now=int(clock.now().timestamp()), leeway=settings.oidc_clock_skew_seconds,
        iss={"essential": True, "value": p.issuer},
        aud={"essential": True, "value": p.client_id},
        sub={"essential": True}, exp={"essential": True}, iat={"essential": True},
        nonce={"essential": True, "value": nonce})
    claims = dict(decoded.claims)
    try:
        registry.validate(claims)
    except ExpiredTokenError:
        raise SignInFailed(N_("The identity token has expired. Please start again."),
                           "expired") from None
    except (InvalidClaimError, MissingClaimError) as exc:
        claim = getattr(exc, "claim", "") or ""
        messages = {
            "iss": (N_("The identity token comes from another provider. The sign-in was "
                       "refused."), "issuer"),
            "aud": (N_("The identity token was issued for another site. The sign-in was "
                       "refused."), "audience"),
            "nonce": (N_("The identity token does not belong to this sign-in. Please start "
                         "again."), "nonce"),
        }
        message, reason = messages.get(claim, (N_("The identity token is not valid. The "
                                                  "sign-in was refused."), f"claim_{claim}"))
        raise SignInFailed(message, reason[:40]) from None
    except JoseError:
        raise SignInFailed(N_("The identity token is not valid. The sign-in was refused."),
                           "claims") from None
    audience = claims.get("aud")
    if isinstance(audience, list) and len(audience) > 1 and claims.get("azp") != p.client_id:
        raise SignInFailed(N_("The identity token was issued for another site. The sign-in "
                              "was refused."), "azp")
    issued = claims.get("iat")
    if not isinstance(issued, int | float) or (
            issued > clock.now().timestamp() + settings.oidc_clock_skew_seconds):
        raise SignInFailed(N_("The identity token is not valid. The sign-in was refused."),
                           "issued_in_future")
    return claims


def _userinfo(client: OAuth2Session, meta: Metadata, subject: str) -> dict[str, Any]:
    try:
        response = client.get(meta.userinfo_endpoint,
                              timeout=get_settings().oidc_timeout_seconds)
        response.raise_for_status()
        data = response.json()
    except (requests.RequestException, ValueError):
        raise ProviderUnavailable() from None
    if not isinstance(data, dict) or data.get("sub") != subject:
        raise SignInFailed(N_("The identity provider answered about another person. The "
                              "sign-in was refused."), "userinfo_subject")
    return data


def _claim(p: OidcProvider, claims: dict[str, Any], what: str) -> str | None:
    name = p.claims.get(what, what)
    value = claims.get(name) if name else None
    if isinstance(value, int | float) and not isinstance(value, bool):
        value = str(value)
    return value.strip() if isinstance(value, str) and value.strip() else None


def _birth_date(value: str | None) -> date | None:
    if not value:
        return None
    try:
        born = date.fromisoformat(value[:10])
    except ValueError:
        return None
    return born if date(1900, 1, 1) <= born <= clock.today() else None


def identity_of(p: OidcProvider, claims: dict[str, Any]) -> Identity:
    """What Hromada keeps of the claims: hashes, the e-mail address, name and birth date."""
    name = _claim(p, claims, "name") or " ".join(
        part for part in (_claim(p, claims, "family_name"), _claim(p, claims, "given_name"),
                          _claim(p, claims, "middle_name")) if part) or None
    born = _birth_date(_claim(p, claims, "birthdate"))
    tax_id = _claim(p, claims, "tax_id")
    return Identity(
        provider=p.name, subject_hash=hashing.subject_hash(p.issuer, str(claims["sub"])),
        person_hash=hashing.person_hash(tax_id, name, born) if p.identifies else None,
        register_key=hashing.person_key(name, born) if (p.identifies and name and born)
        else None,
        email=_claim(p, claims, "email"),
        name=name[:120] if name else None, birth_date=born, identifies=p.identifies,
        second_factor=p.second_factor)
