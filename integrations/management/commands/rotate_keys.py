"""manage.py rotate_keys: re-encrypt every stored API key with the first encryption key."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from integrations.key_rotation import rotate_api_keys


class Command(BaseCommand):
    help = (
        "Re-encrypt every stored API key with the first key of INVSYNC_ENCRYPTION_KEYS. "
        "Rotation: put the new key first (keep the old one after it), run this command, then "
        "remove the old key."
    )

    def handle(self, *args, **options):
        if not settings.INVSYNC_ENCRYPTION_KEYS:
            self.stdout.write(
                _(
                    "INVSYNC_ENCRYPTION_KEYS is not set: the keys are encrypted with the key "
                    "derived from SECRET_KEY. Set a dedicated key in production."
                )
            )
        rotation = rotate_api_keys()
        self.stdout.write(
            self.style.SUCCESS(
                _("API keys re-encrypted with the first encryption key: %(count)d.")
                % {"count": len(rotation.rotated)}
            )
        )
        if rotation.unreadable:
            raise CommandError(
                _(
                    "No configured encryption key opens the API key of: %(names)s. It was left "
                    "as it is: restore the encryption key it was saved with and run the "
                    "command again, or enter the API key in the integration again."
                )
                % {"names": ", ".join(rotation.unreadable)}
            )
