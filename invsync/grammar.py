"""Polish grammar the Django admin cannot know: a model's name as an object, and counted.

Django builds "Add %s", "Change %s" and "Select %s to change" from a model's verbose_name, in
the nominative; Polish needs the accusative there ("Dodaj integrację", not "Dodaj
integracja"), and a number needs one of three plural forms ("5 integracji"). Each registered
model names both forms here, translated with a context (msgctxt "accusative" / "count") so
English keeps its single form. ``fix_admin_response`` rewrites a page's titles with them;
the admin site calls it for every admin view (invsync.admin_site).
"""

from django.utils import formats
from django.utils.translation import gettext, npgettext, pgettext_lazy

# One entry per model shown in the admin (tests/test_panel_grammar.py checks none is missing).
ACCUSATIVE = {
    "auth.group": pgettext_lazy("accusative", "group"),
    "auth.user": pgettext_lazy("accusative", "user"),
    "django_celery_beat.clockedschedule": pgettext_lazy("accusative", "clocked"),
    "django_celery_beat.crontabschedule": pgettext_lazy("accusative", "crontab"),
    "django_celery_beat.intervalschedule": pgettext_lazy("accusative", "interval"),
    "django_celery_beat.periodictask": pgettext_lazy("accusative", "periodic task"),
    "django_celery_beat.solarschedule": pgettext_lazy("accusative", "solar event"),
    "django_celery_results.groupresult": pgettext_lazy("accusative", "group result"),
    "django_celery_results.taskresult": pgettext_lazy("accusative", "task result"),
    "integrations.alert": pgettext_lazy("accusative", "notification"),
    "integrations.failedtask": pgettext_lazy("accusative", "failed task"),
    "integrations.integration": pgettext_lazy("accusative", "integration"),
    "integrations.productlink": pgettext_lazy("accusative", "product link"),
    "integrations.shoporder": pgettext_lazy("accusative", "shop order"),
    "integrations.stockreport": pgettext_lazy("accusative", "discrepancy report"),
    "integrations.syncchunk": pgettext_lazy("accusative", "sync chunk"),
    "integrations.synclogentry": pgettext_lazy("accusative", "sync log entry"),
    "integrations.syncrun": pgettext_lazy("accusative", "sync run"),
    "warehouse.document": pgettext_lazy("accusative", "document"),
    "warehouse.documentline": pgettext_lazy("accusative", "document line"),
    "warehouse.product": pgettext_lazy("accusative", "product"),
    "warehouse.reservation": pgettext_lazy("accusative", "reservation"),
    "warehouse.stocklevel": pgettext_lazy("accusative", "stock level"),
    "warehouse.stockmovement": pgettext_lazy("accusative", "stock movement"),
    "warehouse.warehouse": pgettext_lazy("accusative", "warehouse"),
}

# "%(count)s <name>" in every plural form; msgctxt "count".
COUNTED = {
    "auth.group": ("%(count)s group", "%(count)s groups"),
    "auth.user": ("%(count)s user", "%(count)s users"),
    "django_celery_beat.crontabschedule": ("%(count)s crontab", "%(count)s crontabs"),
    "django_celery_beat.intervalschedule": ("%(count)s interval", "%(count)s intervals"),
    "django_celery_beat.periodictask": ("%(count)s periodic task", "%(count)s periodic tasks"),
    "django_celery_results.groupresult": ("%(count)s group result", "%(count)s group results"),
    "django_celery_results.taskresult": ("%(count)s task result", "%(count)s task results"),
    "integrations.alert": ("%(count)s notification", "%(count)s notifications"),
    "integrations.failedtask": ("%(count)s failed task", "%(count)s failed tasks"),
    "integrations.integration": ("%(count)s integration", "%(count)s integrations"),
    "integrations.productlink": ("%(count)s product link", "%(count)s product links"),
    "integrations.shoporder": ("%(count)s shop order", "%(count)s shop orders"),
    "integrations.stockreport": ("%(count)s discrepancy report", "%(count)s discrepancy reports"),
    "integrations.synclogentry": ("%(count)s sync log entry", "%(count)s sync log entries"),
    "integrations.syncrun": ("%(count)s sync run", "%(count)s sync runs"),
    "warehouse.document": ("%(count)s document", "%(count)s documents"),
    "warehouse.product": ("%(count)s product", "%(count)s products"),
    "warehouse.reservation": ("%(count)s reservation", "%(count)s reservations"),
    "warehouse.stocklevel": ("%(count)s stock level", "%(count)s stock levels"),
    "warehouse.stockmovement": ("%(count)s stock movement", "%(count)s stock movements"),
    "warehouse.warehouse": ("%(count)s warehouse", "%(count)s warehouses"),
}

# Django's own title patterns (django.contrib.admin options and views.main), each %s a name.
TITLE_PATTERNS = (
    "Add %s",
    "Change %s",
    "View %s",
    "Select %s to change",
    "Select %s to view",
    "Select %s",
)


def accusative(opts) -> str:
    """The model's name as the object of a verb ("Dodaj integrację")."""
    return str(ACCUSATIVE.get(opts.label_lower, opts.verbose_name))


def counted(opts, count: int) -> str:
    """ "1 integracja", "3 integracje", "5 integracji": the number with its noun's form."""
    number = formats.number_format(count, force_grouping=True)
    forms = COUNTED.get(opts.label_lower)
    if forms is None:
        name = opts.verbose_name if count == 1 else opts.verbose_name_plural
        return f"{number} {name}"
    return npgettext("count", *forms, count) % {"count": number}


def accusative_title(title: str, opts) -> str:
    """Django's "Zmień integracja" as "Zmień integrację"; any other title as it was."""
    nominative = str(opts.verbose_name)
    for pattern in TITLE_PATTERNS:
        translated = gettext(pattern)
        if title == translated % nominative:
            return translated % accusative(opts)
    return title


def fix_admin_response(response) -> None:
    """Correct the object names in an admin page's context before it is rendered."""
    context = getattr(response, "context_data", None)
    opts = context.get("opts") if context else None
    if opts is None or not hasattr(opts, "label_lower"):
        return
    context["accusative_name"] = accusative(opts)
    if isinstance(context.get("title"), str):
        context["title"] = accusative_title(context["title"], opts)
    changelist = context.get("cl")
    if changelist is not None and isinstance(getattr(changelist, "title", None), str):
        changelist.title = accusative_title(changelist.title, opts)
    if "object_name" in context and "object" in context:
        context["object_name"] = accusative(opts)  # "Czy na pewno usunąć integrację „…”?"
