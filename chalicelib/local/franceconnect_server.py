"""A stand-in for FranceConnect's integration platform (API v1), for `make run` and the tests: the
same requests and answers as FranceConnect's, with demo identities chosen on a page instead of an
identity provider (impots.gouv.fr, l'Identité Numérique La Poste...).

Served by the local moto server, on its port (chalicelib/local/cognito_oauth.py `local_identity_app`),
under ISSUER_PATH:

    GET  /franceconnect/api/v1/authorize   response_type=code, client_id, redirect_uri, scope (with
                                           openid), state, nonce[, acr_values]: the page that chooses
                                           one of DEMO_IDENTITIES (400 page when a parameter is wrong)
    POST /franceconnect/api/v1/authorize   that page's form: 302 to redirect_uri?code=..&state=.., or
                                           ?error=access_denied&state=.. (« Annuler »)
    POST /franceconnect/api/v1/token       grant_type=authorization_code, code, redirect_uri, client
                                           authentication (client_secret_post or _basic):
                                           {access_token, token_type, expires_in, id_token}; the
                                           id_token signed HS256 with the client secret (FranceConnect v1)
    GET  /franceconnect/api/v1/userinfo    Authorization: Bearer <access_token>: the claims of the
                                           scopes asked, as JSON
    GET  /franceconnect/api/v1/logout      id_token_hint, state, post_logout_redirect_uri: 302 there

The service providers it knows (client id, secret, issuer) come from `registrations`, a callable:
the local stack reads them from the user pool's identity provider, as FranceConnect's partners'
space would hold them. The redirect URI it accepts is Cognito's /oauth2/idpresponse on the same
host (the user pool domain of the local stack is this very server). Codes, tokens and pending
choices live in memory, with FranceConnect's short lifetimes. No moto import here."""
from __future__ import annotations

import base64
import hashlib
import html
import json
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import date
from typing import Any, Callable, Iterable, Mapping
from urllib.parse import urlencode, urlsplit

ISSUER_PATH = "/franceconnect"
API_PATH = ISSUER_PATH + "/api/v1"
STYLESHEET_PATH = ISSUER_PATH + "/franceconnect.css"
IDP_RESPONSE_PATH = "/oauth2/idpresponse"  # Cognito's, the only redirect URI registered here
PAGE_TITLE = "FranceConnect — plateforme d'intégration (simulée)"
ACR_VALUES = ("eidas1", "eidas2", "eidas3")
ACR = "eidas1"  # the identity providers of the integration platform are all at eIDAS "faible"
CODE_SECONDS = 60
ACCESS_TOKEN_SECONDS = 60
ID_TOKEN_SECONDS = 60
INTERACTION_SECONDS = 15 * 60
DEMO_DOMAIN = "demo.permis-en-ligne.example.fr"  # chalicelib/local/demo_data.py's

# FranceConnect's scopes and the claims each gives (docs.partenaires.franceconnect.gouv.fr, v1).
SCOPE_CLAIMS: Mapping[str, tuple[str, ...]] = {
    "openid": ("sub",),
    "given_name": ("given_name",), "family_name": ("family_name",), "birthdate": ("birthdate",),
    "gender": ("gender",), "birthplace": ("birthplace",), "birthcountry": ("birthcountry",),
    "email": ("email",), "preferred_username": ("preferred_username",),
    "profile": ("given_name", "family_name", "birthdate", "gender", "preferred_username"),
    "birth": ("birthplace", "birthcountry"),
    "identite_pivot": ("given_name", "family_name", "birthdate", "gender", "birthplace", "birthcountry"),
}

# The persons one can be on the page: FranceConnect's identity claims (the "identité pivot", the
# email, the usage name) and a `sub` (FranceConnect's, per service provider: 64 hex digits + "v1").
DEMO_IDENTITIES: tuple[dict[str, str], ...] = (
    {  # the demo candidate's account has this email (demo_data.py): FranceConnect links to it
        "sub": "8faf02fa06f7b688f59b1529d64f60f39c1e42d7ca5d2c5f45a44ea9d0e32fecv1",
        "given_name": "Lucas Jean", "family_name": "PETIT", "gender": "male", "birthdate": "2008-05-14",
        "birthplace": "69383", "birthcountry": "99100", "email": f"candidat@{DEMO_DOMAIN}", "preferred_username": "",
    },
    {  # no account uses this email: a newcomer
        "sub": "25e8babcbbd51709237dcffcd0c1839e3d02c1865188ae76668128058165ae8dv1",
        "given_name": "Camille", "family_name": "NOUVEAU", "gender": "female", "birthdate": "2008-09-03",
        "birthplace": "13201", "birthcountry": "99100", "email": f"camille.nouveau@{DEMO_DOMAIN}",
        "preferred_username": "",
    },
    {  # FranceConnect's own test identity
        "sub": "4b233ff5fa0fda94b5440ed95d0a397007f256b49a4492ed0440eff9e4aff670v1",
        "given_name": "Angela Claire Louise", "family_name": "DUBOIS", "gender": "female", "birthdate": "1962-08-24",
        "birthplace": "75107", "birthcountry": "99100", "email": f"angela.dubois@{DEMO_DOMAIN}",
        "preferred_username": "",
    },
    {  # born abroad: no commune of birth, the country's INSEE code (99134: Espagne)
        "sub": "fde5695a0600e8e5fd9c2d862777447a014672ed2b9e7b5470eaf3b409d43923v1",
        "given_name": "Lucía", "family_name": "GARCÍA MARTÍN", "gender": "female", "birthdate": "2007-11-02",
        "birthplace": "", "birthcountry": "99134", "email": f"lucia.garcia@{DEMO_DOMAIN}", "preferred_username": "",
    },
)
DEMO_NOTES = {
    DEMO_IDENTITIES[0]["sub"]: "même adresse électronique que le compte candidat de démonstration",
    DEMO_IDENTITIES[1]["sub"]: "aucun compte sur Permis en ligne",
    DEMO_IDENTITIES[2]["sub"]: "identité de test de FranceConnect",
    DEMO_IDENTITIES[3]["sub"]: "née à l'étranger",
}
COUNTRIES = {"99100": "France", "99134": "Espagne"}
CLAIM_LABELS = {"given_name": "prénoms", "family_name": "nom de naissance", "preferred_username": "nom d'usage",
                "birthdate": "date de naissance", "gender": "sexe", "birthplace": "commune de naissance",
                "birthcountry": "pays de naissance", "email": "adresse électronique"}
MONTHS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
          "novembre", "décembre")

STYLESHEET = """\
body { margin: 0; font-family: Marianne, Arial, sans-serif; color: #161616; background: #f6f6f6; line-height: 1.5; }
header { background: #000091; color: #fff; padding: 0.75rem 1.5rem; font-weight: bold; }
main { max-width: 44rem; margin: 2rem auto; background: #fff; padding: 1.5rem 2rem; border: 1px solid #ddd; }
h1 { font-size: 1.5rem; margin-top: 0; }
fieldset { border: 1px solid #929292; padding: 1rem; margin: 1rem 0; }
legend { font-weight: bold; padding: 0 0.25rem; }
.choix { display: flex; gap: 0.5rem; align-items: flex-start; margin: 0.75rem 0; }
.choix input { margin-top: 0.35rem; width: 1.1rem; height: 1.1rem; }
.choix .detail { display: block; color: #3a3a3a; font-size: 0.9rem; }
.erreur { border-left: 4px solid #ce0500; padding: 0.5rem 1rem; color: #ce0500; background: #fff4f4; }
.actions { display: flex; gap: 1rem; flex-wrap: wrap; }
button { font: inherit; padding: 0.5rem 1.5rem; border: 2px solid #000091; cursor: pointer; }
button.principal { background: #000091; color: #fff; }
button.secondaire { background: #fff; color: #000091; }
:focus-visible { outline: 3px solid #0a76f6; outline-offset: 2px; }
"""


@dataclass(frozen=True)
class Registration:
    """A service provider as FranceConnect knows it."""

    client_id: str
    client_secret: str
    issuer: str  # the "iss" of the id tokens issued to it (the provider's configured oidc_issuer)


class ExpiringStore:
    """Values kept for a while, taken once (codes, tokens, pending requests); thread-safe."""

    def __init__(self, clock: Callable[[], float] = time.time):
        self._items: dict[str, tuple[float, Any]] = {}
        self._lock = threading.Lock()
        self._clock = clock

    def put(self, value: Any, seconds: float, key: str | None = None) -> str:
        key = key or secrets.token_urlsafe(32)
        now = self._clock()
        with self._lock:
            for old in [k for k, (expiry, _) in self._items.items() if expiry <= now]:
                del self._items[old]
            self._items[key] = (now + seconds, value)
        return key

    def get(self, key: str) -> Any:
        with self._lock:
            found = self._items.get(key)
        return found[1] if found and found[0] > self._clock() else None

    def pop(self, key: str) -> Any:
        with self._lock:
            found = self._items.pop(key, None)
        return found[1] if found and found[0] > self._clock() else None


def identity(sub: str) -> dict[str, str] | None:
    return next((person for person in DEMO_IDENTITIES if person["sub"] == sub), None)


def claims_for(person: Mapping[str, str], scopes: Iterable[str]) -> dict[str, str]:
    """The claims of the scopes asked (userinfo's answer): always the sub."""
    names = {"sub"}
    for scope in scopes:
        names.update(SCOPE_CLAIMS.get(scope, ()))
    return {name: person[name] for name in sorted(names) if name in person}


def _french_date(iso: str) -> str:
    day = date.fromisoformat(iso)
    return f"{'1er' if day.day == 1 else day.day} {MONTHS[day.month - 1]} {day.year}"


def birth_label(person: Mapping[str, str]) -> str:
    """« née le 24 août 1962 à Paris 7e Arrondissement (75107) », « née le 2 novembre 2007 en Espagne »."""
    born = "née" if person.get("gender") == "female" else "né"
    when = _french_date(person["birthdate"])
    if person.get("birthcountry") == "99100":
        from chalicelib.domain import geography

        commune = geography.commune_by_insee_code(person.get("birthplace", ""))
        place = f"{commune.name} ({commune.insee_code})" if commune else f"la commune {person.get('birthplace')}"
        return f"{born} le {when} à {place}"
    country = COUNTRIES.get(person.get("birthcountry", ""), f"pays {person.get('birthcountry')}")
    return f"{born} le {when} en {country}"


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def sign_hs256(claims: Mapping[str, Any], secret: str) -> str:
    from joserfc import jwt
    from joserfc.jwk import OctKey

    return jwt.encode({"alg": "HS256", "typ": "JWT"}, dict(claims), OctKey.import_key(secret.encode()))


def verify_hs256(token: str, secret: str) -> dict[str, Any]:
    """The claims of an HS256 token signed with `secret`; ValueError otherwise."""
    from joserfc import jwt
    from joserfc.errors import JoseError
    from joserfc.jwk import OctKey

    try:
        return dict(jwt.decode(token, OctKey.import_key(secret.encode()), algorithms=["HS256"]).claims)
    except (JoseError, ValueError, TypeError) as error:
        raise ValueError("invalid token") from error


def unverified_claims(token: str) -> dict[str, Any]:
    try:
        payload = token.split(".")[1]
        return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError):
        return {}


class FranceConnectStandIn:
    """The WSGI app of the stand-in (paths under ISSUER_PATH)."""

    def __init__(self, registrations: Callable[[], Mapping[str, Registration]],
                 clock: Callable[[], float] = time.time):
        self._registrations = registrations
        self._clock = clock
        self.interactions = ExpiringStore(clock)
        self.codes = ExpiringStore(clock)
        self.access_tokens = ExpiringStore(clock)

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        from werkzeug.wrappers import Request

        request = Request(environ)
        route = (request.method, request.path)
        if route == ("GET", STYLESHEET_PATH):
            response = text_response(STYLESHEET, 200, "text/css; charset=utf-8")
        elif route == ("GET", API_PATH + "/authorize"):
            response = self.authorize(request)
        elif route == ("POST", API_PATH + "/authorize"):
            response = self.choose(request)
        elif route == ("POST", API_PATH + "/token"):
            response = self.token(request)
        elif request.path == API_PATH + "/userinfo" and request.method in ("GET", "POST"):
            response = self.userinfo(request)
        elif route == ("GET", API_PATH + "/logout"):
            response = self.logout(request)
        else:
            response = _error_page(404, "not_found", "Cette page n'existe pas.")
        return response(environ, start_response)

    # --- the person's side -----------------------------------------------------------------

    def authorize(self, request: Any) -> Any:
        args = request.args
        registration = self._registrations().get(args.get("client_id", ""))
        if registration is None:
            return _error_page(400, "invalid_client", "Le fournisseur de service (client_id) est inconnu.")
        if args.get("redirect_uri") != request.host_url.rstrip("/") + IDP_RESPONSE_PATH:
            return _error_page(400, "invalid_redirect_uri", "L'adresse de retour (redirect_uri) n'est pas "
                               "déclarée pour ce fournisseur de service.")
        if args.get("response_type") != "code":
            return _error_page(400, "unsupported_response_type", "Seul response_type=code est accepté.")
        scopes = args.get("scope", "").split()
        if "openid" not in scopes:
            return _error_page(400, "invalid_scope", "Le paramètre scope doit contenir openid.")
        if not args.get("state"):
            return _error_page(400, "invalid_request", "Le paramètre state est obligatoire.")
        if not args.get("nonce"):
            return _error_page(400, "invalid_request", "Le paramètre nonce est obligatoire.")
        acr = args.get("acr_values", ACR)
        if acr not in ACR_VALUES:
            return _error_page(400, "invalid_request", "Le paramètre acr_values doit être eidas1, eidas2 ou eidas3.")
        interaction = self.interactions.put({
            "client_id": registration.client_id, "redirect_uri": args["redirect_uri"], "state": args["state"],
            "nonce": args["nonce"], "scopes": scopes}, INTERACTION_SECONDS)
        return text_response(choice_page(interaction, scopes), 200, "text/html; charset=utf-8")

    def choose(self, request: Any) -> Any:
        key = request.form.get("interaction", "")
        pending = self.interactions.get(key)
        if pending is None:
            return _error_page(400, "interaction_expired", "Cette demande de connexion a expiré ou a déjà abouti : "
                               "recommencez depuis le site du service.")
        if request.form.get("action") == "annuler":
            self.interactions.pop(key)
            return redirect_to(pending["redirect_uri"], {"error": "access_denied",
                                                       "error_description": "User auth aborted",
                                                       "state": pending["state"]})
        person = identity(request.form.get("identite", ""))
        if person is None:
            return text_response(choice_page(key, pending["scopes"], error="Choisissez l'identité avec laquelle vous "
                                         "connecter."), 400, "text/html; charset=utf-8")
        if self.interactions.pop(key) is None:
            return _error_page(400, "interaction_expired", "Cette demande de connexion a déjà abouti.")
        code = self.codes.put({"client_id": pending["client_id"], "redirect_uri": pending["redirect_uri"],
                               "sub": person["sub"], "nonce": pending["nonce"], "scopes": pending["scopes"]},
                              CODE_SECONDS)
        return redirect_to(pending["redirect_uri"], {"code": code, "state": pending["state"]})

    # --- the service provider's side ------------------------------------------------------

    def _client(self, request: Any) -> Registration | None:
        client_id, secret = request.form.get("client_id"), request.form.get("client_secret")
        if request.authorization and request.authorization.type == "basic":
            client_id, secret = request.authorization.username, request.authorization.password
        registration = self._registrations().get(client_id or "")
        if registration is None or not secret or not secrets.compare_digest(secret, registration.client_secret):
            return None
        return registration

    def token(self, request: Any) -> Any:
        if request.mimetype != "application/x-www-form-urlencoded":
            return _json_error(400, "invalid_request", "form-encoded body expected")
        registration = self._client(request)
        if registration is None:
            return _json_error(401, "invalid_client", "client authentication failed")
        if request.form.get("grant_type") != "authorization_code":
            return _json_error(400, "unsupported_grant_type", "unsupported grant_type requested")
        grant = self.codes.pop(request.form.get("code", ""))
        if grant is None or grant["client_id"] != registration.client_id \
                or grant["redirect_uri"] != request.form.get("redirect_uri"):
            return _json_error(400, "invalid_grant", "grant request is invalid")
        now = int(self._clock())
        access_token = self.access_tokens.put({"client_id": registration.client_id, "sub": grant["sub"],
                                               "scopes": grant["scopes"]}, ACCESS_TOKEN_SECONDS)
        id_token = sign_hs256({
            "iss": registration.issuer, "aud": registration.client_id, "sub": grant["sub"], "nonce": grant["nonce"],
            "iat": now, "exp": now + ID_TOKEN_SECONDS, "acr": ACR, "idp": "FC",
            "at_hash": _b64url(hashlib.sha256(access_token.encode()).digest()[:16])}, registration.client_secret)
        return json_response({"access_token": access_token, "token_type": "Bearer", "expires_in": ACCESS_TOKEN_SECONDS,
                      "id_token": id_token})

    def userinfo(self, request: Any) -> Any:
        header = request.headers.get("Authorization", "")
        token = header[7:].strip() if header[:7].lower() == "bearer " else ""
        grant = self.access_tokens.get(token) if token else None
        person = identity(grant["sub"]) if grant else None
        if person is None:
            response = _json_error(401, "invalid_token", "invalid token provided")
            response.headers["WWW-Authenticate"] = 'Bearer error="invalid_token"'
            return response
        return json_response(claims_for(person, grant["scopes"]))

    def logout(self, request: Any) -> Any:
        hint = request.args.get("id_token_hint", "")
        registration = self._registrations().get(str(unverified_claims(hint).get("aud", "")))
        try:
            if registration is None:
                raise ValueError("unknown client")
            verify_hs256(hint, registration.client_secret)
        except ValueError:
            return _error_page(400, "invalid_request", "Le paramètre id_token_hint est absent ou invalide.")
        target = request.args.get("post_logout_redirect_uri", "")
        if not target:
            return _error_page(200, "logged_out", "Vous êtes déconnecté de FranceConnect (simulé).",
                               heading="Déconnexion")
        if urlsplit(target).scheme not in ("http", "https"):
            return _error_page(400, "invalid_request", "L'adresse post_logout_redirect_uri est invalide.")
        return redirect_to(target, {"state": request.args.get("state", "")})


def choice_page(interaction: str, scopes: Iterable[str], error: str | None = None) -> str:
    """The page to choose a demo identity: French, a heading, a fieldset of radio buttons, no script."""
    claims = {claim for scope in scopes for claim in SCOPE_CLAIMS.get(scope, ())}
    asked = [label for claim, label in CLAIM_LABELS.items() if claim in claims]
    options = []
    for index, person in enumerate(DEMO_IDENTITIES, start=1):
        name = f"{person['given_name']} {person['family_name']}"
        note = DEMO_NOTES.get(person["sub"])
        options.append(
            f'<div class="choix"><input type="radio" id="identite-{index}" name="identite" '
            f'value="{html.escape(person["sub"])}" required>'
            f'<label for="identite-{index}">{html.escape(name)}, {html.escape(birth_label(person))}'
            f'<span class="detail"> Adresse électronique : {html.escape(person["email"])}'
            f'{" (" + html.escape(note) + ")" if note else ""}</span></label></div>')
    alert = f'<p class="erreur" role="alert">{html.escape(error)}</p>' if error else ""
    return f"""<!doctype html>
<html lang="fr">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(PAGE_TITLE, quote=False)}</title>
<link rel="stylesheet" href="{STYLESHEET_PATH}">
</head>
<body>
<header>{html.escape(PAGE_TITLE, quote=False)}</header>
<main>
<h1>Choisissez votre identité</h1>
<p>Ce service simule FranceConnect pour la démonstration locale de Permis en ligne : aucune
identité réelle n'est utilisée. Le service demande : {html.escape(", ".join(asked)) or "votre identifiant"}.</p>
{alert}
<form method="post" action="{API_PATH}/authorize">
<input type="hidden" name="interaction" value="{html.escape(interaction)}">
<fieldset>
<legend>Identités de démonstration</legend>
{chr(10).join(options)}
</fieldset>
<div class="actions">
<button type="submit" class="principal" name="action" value="continuer">Continuer</button>
<button type="submit" class="secondaire" name="action" value="annuler" formnovalidate>Annuler</button>
</div>
</form>
</main>
</body>
</html>
"""


def text_response(body: str | bytes, status: int, content_type: str) -> Any:
    from werkzeug.wrappers import Response

    response = Response(body, status=status, content_type=content_type)
    response.headers["Cache-Control"] = "no-store"
    return response


def json_response(document: Mapping[str, Any], status: int = 200) -> Any:
    response = text_response(json.dumps(document), status, "application/json; charset=utf-8")
    response.headers["Pragma"] = "no-cache"
    return response


def _json_error(status: int, error: str, description: str) -> Any:
    return json_response({"error": error, "error_description": description}, status)


def redirect_to(target: str, parameters: Mapping[str, str]) -> Any:
    response = text_response(b"", 302, "text/plain")
    separator = "&" if urlsplit(target).query else "?"
    response.headers["Location"] = target + separator + urlencode(parameters)
    return response


def _error_page(status: int, code: str, message: str, heading: str = "Une erreur est survenue") -> Any:
    body = f"""<!doctype html>
<html lang="fr">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(heading)} — {html.escape(PAGE_TITLE, quote=False)}</title>
<link rel="stylesheet" href="{STYLESHEET_PATH}">
</head>
<body>
<header>{html.escape(PAGE_TITLE, quote=False)}</header>
<main>
<h1>{html.escape(heading)}</h1>
<p>{html.escape(message)}</p>
<p>Code : <code>{html.escape(code)}</code></p>
</main>
</body>
</html>
"""
    return text_response(body, status, "text/html; charset=utf-8")
