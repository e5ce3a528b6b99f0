"""The OpenID Connect client: discovery, the authorization request (code flow with PKCE,
`state` and `nonce`), the code exchange and the ID token's checks — all through authlib (its
OAuth2 client, its `CodeIDToken` claims and joserfc for the signature, as authlib's own
`parse_id_token` does). Nothing here checks a token by hand. Every request goes through
`outbound` (the webhook URL rules)."""

from dataclasses import dataclass

from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session
from authlib.oidc.core import CodeIDToken
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from joserfc.jws import JWSRegistry

from .outbound import TIMEOUT_SECONDS, issuer_get_json, issuer_session, issuer_url_check

SCOPES = "openid email profile"
LEEWAY_SECONDS = 60


class OidcFailed(Exception):
    """The provider could not be reached, refused, or its answer failed a check."""


@dataclass
class Client:
    issuer: str
    client_id: str
    client_secret: str


@dataclass
class Pending:
    """What the authorization request started and the callback needs (kept in the session)."""

    state: str
    nonce: str
    code_verifier: str


def discovery(issuer: str) -> dict:
    """The provider's discovery document; its `issuer` must be the configured one."""
    url = issuer.rstrip("/") + "/.well-known/openid-configuration"
    try:
        document = issuer_get_json(url)
    except OidcFailed:
        raise
    except Exception as exc:  # network, HTTP status, not JSON
        raise OidcFailed(f"discovery failed: {exc.__class__.__name__}") from exc
    if document.get("issuer") != issuer:
        raise OidcFailed("the discovery document names another issuer")
    for field in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
        if not isinstance(document.get(field), str):
            raise OidcFailed(f"the discovery document has no {field}")
    return document


def authorization_url(
    *, client: Client, document: dict, redirect_uri: str, login_hint: str = ""
) -> tuple[str, Pending]:
    """The URL to send the browser to, and what the callback must find again."""
    pending = Pending(
        state=generate_token(32), nonce=generate_token(32), code_verifier=generate_token(64)
    )
    session = OAuth2Session(
        client.client_id,
        scope=SCOPES,
        redirect_uri=redirect_uri,
        code_challenge_method="S256",
    )
    extra = {"login_hint": login_hint} if login_hint else {}
    url, _state = session.create_authorization_url(
        document["authorization_endpoint"],
        state=pending.state,
        nonce=pending.nonce,
        code_verifier=pending.code_verifier,
        **extra,
    )
    issuer_url_check(document["authorization_endpoint"])
    return url, pending


def code_exchange(
    *, client: Client, document: dict, redirect_uri: str, code: str, code_verifier: str
) -> dict:
    """Trade the authorization code (with the PKCE verifier) for the provider's tokens."""
    endpoint = document["token_endpoint"]
    pinned = issuer_session(endpoint)  # checks the URL; connects to the checked address
    session = OAuth2Session(
        client.client_id,
        client.client_secret,
        redirect_uri=redirect_uri,
        token_endpoint_auth_method="client_secret_basic",
    )
    session.trust_env = False
    session.adapters = pinned.adapters
    try:
        token = session.fetch_token(
            endpoint,
            grant_type="authorization_code",
            code=code,
            code_verifier=code_verifier,
            timeout=TIMEOUT_SECONDS,
            allow_redirects=False,
        )
    except Exception as exc:
        raise OidcFailed(f"code exchange failed: {exc.__class__.__name__}") from exc
    finally:
        session.close()
    if not token.get("id_token"):
        raise OidcFailed("the provider sent no ID token")
    return dict(token)


def id_token_claims(
    *, client: Client, document: dict, id_token: str, nonce: str, access_token: str | None = None
) -> dict:
    """The ID token's claims once authlib has checked them: the signature against the
    provider's JWKS (with the algorithms its discovery names), `iss` the configured issuer,
    `aud` our client ID, `exp`/`iat`, the `nonce` we sent, `at_hash`, and `email_verified`
    true with an `email`."""
    try:
        keys = KeySet.import_key_set(issuer_get_json(document["jwks_uri"]))
        algorithms = document.get("id_token_signing_alg_values_supported") or ["RS256"]
        decoded = jwt.decode(id_token, key=keys, registry=JWSRegistry(algorithms=algorithms))
        claims = CodeIDToken(
            decoded.claims,
            decoded.header,
            {
                "iss": {"essential": True, "value": client.issuer},
                "aud": {"essential": True, "value": client.client_id},
                "email": {"essential": True},
                "email_verified": {"essential": True, "value": True},
            },
            {"nonce": nonce, "client_id": client.client_id, "access_token": access_token},
        )
        claims.validate(leeway=LEEWAY_SECONDS)
    except (JoseError, ValueError, KeyError, TypeError) as exc:
        raise OidcFailed(f"the ID token failed a check: {exc}") from exc
    except Exception as exc:  # the JWKS could not be fetched
        raise OidcFailed(f"the ID token could not be checked: {exc.__class__.__name__}") from exc
    if not decoded.claims.get("nonce"):
        raise OidcFailed("the ID token has no nonce")
    return dict(decoded.claims)
