"""Webservice keys, their permissions, and the authentication checks of section 1.3."""

import base64
import binascii
from dataclasses import dataclass, field

from prestashop_sim.errors import WsError

DEFAULT_KEY = "ABCDEFGHIJKLMNOPQRSTUVWXYZ123456"
READ_ONLY_KEY = "READONLYREADONLYREADONLYREADONLY"
DISABLED_KEY = "DISABLEDDISABLEDDISABLEDDISABLED"
NO_PERMISSION_KEY = "NOPERMISSIONNOPERMISSIONNOPERMIS"
STOCK_RESOURCES = ("stock_availables", "products", "combinations", "shops", "shop_groups")
REALM = (
    'Basic realm="Welcome to PrestaShop Webservice, please enter the authentication key '
    'as the login. No password required."'
)


@dataclass
class ApiKey:
    """A webservice account: key, active flag, (resource -> methods), allowed shops."""

    key: str
    permissions: dict[str, set[str]] = field(default_factory=dict)
    active: bool = True
    shops: frozenset[int] | None = None  # None: every shop


def full_permissions(*, modern: bool) -> dict[str, set[str]]:
    """What a stock-sync key needs, plus every method on stock_availables."""
    write = {"GET", "HEAD", "PUT", "POST", "DELETE"} | ({"PATCH"} if modern else set())
    perms = {name: {"GET", "HEAD"} for name in STOCK_RESOURCES}
    perms["stock_availables"] = write
    return perms


def read_only_permissions() -> dict[str, set[str]]:
    """GET and HEAD on the stock resources."""
    return {name: {"GET", "HEAD"} for name in STOCK_RESOURCES}


def default_keys(full_key: str, *, modern: bool) -> dict[str, ApiKey]:
    """A full key, a read-only key, a disabled key and a key without any permission."""
    keys = [
        ApiKey(full_key, full_permissions(modern=modern)),
        ApiKey(READ_ONLY_KEY, read_only_permissions()),
        ApiKey(DISABLED_KEY, full_permissions(modern=modern), active=False),
        ApiKey(NO_PERMISSION_KEY, {}),
    ]
    return {k.key: k for k in keys}


def credentials(authorization: str | None, params: dict) -> str | None:
    """The key as the dispatcher finds it: Basic user name first, then ws_key."""
    if authorization and authorization[:6].lower() == "basic ":
        try:
            decoded = base64.b64decode(authorization[6:].strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            decoded = None
        if decoded is not None:
            return decoded.split(":", 1)[0]
    value = params.get("ws_key")
    return value if isinstance(value, str) else None


def authenticate(keys: dict[str, ApiKey], raw_key: str) -> ApiKey:
    """Checks 2a-2d; raises the 401 errors (callers add WWW-Authenticate)."""
    key = raw_key.strip()
    if not key:
        raise WsError(401, (17, "Authentication key is empty"))
    if len(key) != 32:
        raise WsError(401, (18, "Invalid authentication key format"))
    account = keys.get(key)
    errors = []
    if account is None or not account.active:
        errors.append((20, "Authentification key is not active"))
    if account is None or not account.active or not account.permissions:
        errors.append((21, "No permission for this authentication key"))
    if errors:
        raise WsError(401, *errors)
    return account
