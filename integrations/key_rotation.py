"""Key rotation: every stored API key re-encrypted under the first encryption key.

The operator puts the new key first in INVSYNC_ENCRYPTION_KEYS (keeping the old one after
it), runs manage.py rotate_keys, and only then removes the old key.
"""

from dataclasses import dataclass, field

from integrations import encryption
from integrations.models import Integration


@dataclass
class Rotation:
    rotated: list[str] = field(default_factory=list)  # integration names, re-encrypted
    unreadable: list[str] = field(default_factory=list)  # no configured key opens theirs


def rotate_api_keys() -> Rotation:
    """Re-encrypt each stored API key under the first key; idempotent.

    A key no configured key opens is left as it is (it may open once the right key is back)
    and named in the result. A row whose key was changed meanwhile (a save in the admin) keeps
    that newer key: the update is conditional on the ciphertext read.
    """
    rotation = Rotation()
    rows = Integration.objects.exclude(encrypted_api_key="").order_by("pk")
    for pk, name, token in rows.values_list("pk", "name", "encrypted_api_key"):
        try:
            renewed = encryption.reencrypt(token)
        except encryption.ApiKeyUnreadable:
            rotation.unreadable.append(name)
            continue
        Integration.objects.filter(pk=pk, encrypted_api_key=token).update(encrypted_api_key=renewed)
        rotation.rotated.append(name)
    return rotation
