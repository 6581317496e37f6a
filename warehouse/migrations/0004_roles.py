"""Two groups an administrator gives people instead of ticking permissions one by one.

- Magazyn (warehouse staff): documents (write, approve, cancel), products and stock, starting
  a sync and reading its runs, log and discrepancy report; not the shops' settings or keys,
  not the schedules.
- Administrator sklepu (the shop's admin): everything about the shops (settings, keys, links,
  runs) and the periodic tasks; the ledger to read and the warehouses to set up.
Technical sections (task results, schedule tables) stay with superusers whatever a group holds.
Permissions do not exist yet in a fresh database at this point (Django creates them after
migrating), so this migration creates them first, as Django itself would.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

LEDGER_READ = [
    ("warehouse", "view_product"),
    ("warehouse", "view_warehouse"),
    ("warehouse", "view_stocklevel"),
    ("warehouse", "view_stockmovement"),
    ("warehouse", "view_document"),
    ("warehouse", "view_documentline"),
]
SYNC_READ = [
    ("integrations", "view_integration"),
    ("integrations", "view_productlink"),
    ("integrations", "view_syncrun"),
    ("integrations", "view_synclogentry"),
    ("integrations", "run_sync"),
]
ROLES = {
    "Magazyn": [
        *LEDGER_READ,
        *SYNC_READ,
        ("warehouse", "add_product"),
        ("warehouse", "change_product"),
        ("warehouse", "add_document"),
        ("warehouse", "change_document"),
        ("warehouse", "delete_document"),
        ("warehouse", "approve_document"),
        ("warehouse", "add_documentline"),
        ("warehouse", "change_documentline"),
        ("warehouse", "delete_documentline"),
    ],
    "Administrator sklepu": [
        *LEDGER_READ,
        *SYNC_READ,
        ("warehouse", "add_warehouse"),
        ("warehouse", "change_warehouse"),
        ("integrations", "add_integration"),
        ("integrations", "change_integration"),
        ("integrations", "delete_integration"),
        ("integrations", "add_productlink"),
        ("integrations", "change_productlink"),
        ("integrations", "delete_productlink"),
        ("integrations", "delete_syncrun"),
        ("django_celery_beat", "view_periodictask"),
        ("django_celery_beat", "change_periodictask"),
    ],
}


def create_roles(apps, schema_editor):
    using = schema_editor.connection.alias
    for app_config in apps.get_app_configs():
        app_config.models_module = True  # what create_permissions checks for an app with models
        create_permissions(app_config, verbosity=0, using=using, apps=apps)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, wanted in ROLES.items():
        group, _created = Group.objects.using(using).get_or_create(name=name)
        for app_label, codename in wanted:
            group.permissions.add(
                Permission.objects.using(using).get(
                    content_type__app_label=app_label, codename=codename
                )
            )


def remove_roles(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Group.objects.using(schema_editor.connection.alias).filter(name__in=list(ROLES)).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
        ("integrations", "0007_reliability"),
        ("warehouse", "0003_transfers_reasons_and_limits"),
    ]

    operations = [migrations.RunPython(create_roles, remove_roles)]
