"""The API key moves to an encrypted column: every stored key is encrypted, the plain column
dropped. Keys come from settings (INVSYNC_ENCRYPTION_KEYS, else derived from SECRET_KEY), so
the settings this migration runs with must be those the application runs with."""

from django.db import migrations, models

from integrations import encryption


def encrypt_keys(apps, schema_editor):
    Integration = apps.get_model("integrations", "Integration")
    for row in Integration.objects.only("pk", "api_key"):
        Integration.objects.filter(pk=row.pk).update(
            encrypted_api_key=encryption.encrypt(row.api_key)
        )


def decrypt_keys(apps, schema_editor):
    Integration = apps.get_model("integrations", "Integration")
    for row in Integration.objects.only("pk", "encrypted_api_key"):
        Integration.objects.filter(pk=row.pk).update(
            api_key=encryption.decrypt(row.encrypted_api_key)
        )


class Migration(migrations.Migration):
    dependencies = [
        ("integrations", "0010_batch_writes"),
    ]

    operations = [
        migrations.AddField(
            model_name="integration",
            name="encrypted_api_key",
            field=models.TextField(
                blank=True, editable=False, verbose_name="API key (encrypted)"
            ),
        ),
        # A default lets the reverse add the plain column back to existing rows.
        migrations.AlterField(
            model_name="integration",
            name="api_key",
            field=models.CharField(default="", max_length=64, verbose_name="API key"),
        ),
        migrations.RunPython(encrypt_keys, decrypt_keys),
        migrations.RemoveField(
            model_name="integration",
            name="api_key",
        ),
    ]
