"""The shops' API keys encrypted at rest with Fernet (AES-128-CBC and HMAC-SHA256).

The keys come from settings.INVSYNC_ENCRYPTION_KEYS: the first encrypts, every one decrypts
(MultiFernet), so a key is rotated by putting the new one first, re-encrypting the stored API
keys (manage.py rotate_keys) and then dropping the old one. A key derived from SECRET_KEY
always decrypts too, and encrypts when no dedicated key is set: a first run needs no setup,
and moving to a dedicated key is one rotate_keys away. Settings are read at call time.
"""

import base64

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.utils.translation import gettext as _

from integrations.prestashop.errors import ShopConfigError

DERIVATION_INFO = b"invsync integrations api key encryption"


class ApiKeyUnreadable(ShopConfigError):
    """No configured encryption key opens the stored API key: a human must act.

    A configuration error like a refused key: the integration stops and shows this text,
    which is already the operator's sentence (and never holds a key).
    """


def derived_key(secret: str) -> bytes:
    """A Fernet key derived from SECRET_KEY (HKDF-SHA256), used when no dedicated key is set."""
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=DERIVATION_INFO)
    return base64.urlsafe_b64encode(hkdf.derive(secret.encode()))


def keyring() -> MultiFernet:
    """The configured keys in order: the dedicated ones, then the one derived from SECRET_KEY."""
    keys = [*settings.INVSYNC_ENCRYPTION_KEYS, derived_key(settings.SECRET_KEY)]
    return MultiFernet([Fernet(key) for key in keys])


def encrypt(plain: str) -> str:
    """The ciphertext of a non-empty text under the first key; "" stays ""."""
    return keyring().encrypt(plain.encode()).decode() if plain else ""


def decrypt(token: str) -> str:
    """The plain text of a ciphertext; raises ApiKeyUnreadable if no configured key opens it."""
    if not token:
        return ""
    try:
        return keyring().decrypt(token.encode()).decode()
    except InvalidToken:
        raise ApiKeyUnreadable(unreadable_message()) from None


def reencrypt(token: str) -> str:
    """The same text encrypted under the first key; raises ApiKeyUnreadable like decrypt()."""
    if not token:
        return ""
    try:
        return keyring().rotate(token.encode()).decode()
    except InvalidToken:
        raise ApiKeyUnreadable(unreadable_message()) from None


def unreadable_message() -> str:
    return _(
        "The stored API key cannot be decrypted: none of the keys in INVSYNC_ENCRYPTION_KEYS "
        "(nor the one derived from SECRET_KEY) opens it. Restore the encryption key it was "
        "saved with, or enter the API key in the integration again."
    )
