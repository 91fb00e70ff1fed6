"""API Gateway's own refusals (raised before the function runs), in our error shape.

infra/ deploys these as gateway responses; the local API server emulates them, since
`chalice local` answers them in API Gateway's raw form ({"message": "Missing Authentication
Token"})."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class GatewayResponse:
    gateway_type: str  # API Gateway's ResponseType
    status: int
    code: str
    message: str


GATEWAY_RESPONSES = (
    GatewayResponse("MISSING_AUTHENTICATION_TOKEN", 404, "route_not_found",
                    "Cette adresse n'existe pas dans l'API : vérifiez le chemin (la liste des routes est dans /openapi.json)."),
    GatewayResponse("UNAUTHORIZED", 401, "unauthenticated",
                    "Vous devez être connecté : reconnectez-vous puis réessayez."),
    GatewayResponse("ACCESS_DENIED", 403, "forbidden",
                    "Votre compte n'a pas accès à cette ressource."),
    GatewayResponse("THROTTLED", 429, "too_many_requests",
                    "Trop de requêtes en peu de temps : patientez une minute puis réessayez."),
    GatewayResponse("REQUEST_TOO_LARGE", 413, "payload_too_large",
                    "La requête est trop volumineuse : 1 Mio au maximum."),
    # Any other refusal API Gateway makes itself (bad media type, invalid API key...).
    GatewayResponse("DEFAULT_4XX", 400, "bad_request",
                    "La requête a été refusée avant d'arriver au service : vérifiez l'adresse, la méthode et les en-têtes."),
    GatewayResponse("DEFAULT_5XX", 500, "internal_error",
                    "Une erreur interne est survenue : réessayez dans quelques minutes. Si elle persiste, contactez le support."),
)


def gateway_response(gateway_type: str) -> GatewayResponse:
    return next(r for r in GATEWAY_RESPONSES if r.gateway_type == gateway_type)
