"""REST API authentication: each store has its own bearer token (only its hash is stored)."""

from __future__ import annotations

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from recovery import selectors
from recovery.models.stores import hash_api_token


class StoreTokenAuthentication(authentication.BaseAuthentication):
    """`Authorization: Bearer <token>`; the authenticated principal is the Store (`request.auth`)."""

    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode(errors="replace")
        if not header:
            return None
        scheme, _, token = header.partition(" ")
        if scheme.lower() not in ("bearer", "token") or not token.strip():
            raise exceptions.AuthenticationFailed("Use 'Authorization: Bearer <store API token>'.")
        store = selectors.store_for_api_token_hash(hash_api_token(token.strip()))
        if store is None:
            raise exceptions.AuthenticationFailed("Invalid or revoked store API token.")
        return (StorePrincipal(store), store)

    def authenticate_header(self, request) -> str:
        return 'Bearer realm="api"'


class StorePrincipal:
    """Stands in for a user so DRF's IsAuthenticated works for store tokens."""

    is_authenticated = True
    is_anonymous = False

    def __init__(self, store):
        self.store = store

    def __str__(self) -> str:
        return f"store:{self.store.shop_domain}"


class StoreTokenScheme(OpenApiAuthenticationExtension):
    """Documents the store token in the OpenAPI schema."""

    target_class = "recovery.authentication.StoreTokenAuthentication"
    name = "storeToken"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer", "description": "The store's API token (issued in the admin)."}
