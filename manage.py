#!/usr/bin/env python
"""Django's command-line utility for invsync.

A missing or bad setting (SECRET_KEY, DATABASE_URL, ...) ends the command with one line on
stderr saying what to set, and exit status 1, instead of a long traceback.
"""

import os
import sys


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "invsync.settings")
    try:
        from django.conf import settings
        from django.core.exceptions import ImproperlyConfigured
        from django.core.management import execute_from_command_line
    except ImportError as exc:
        sys.exit(
            f"manage.py: Django cannot be imported ({exc}): run it with the project's Python, "
            ".venv/bin/python manage.py (scripts/bootstrap.sh creates .venv)."
        )
    try:
        settings.INSTALLED_APPS  # noqa: B018 - reading a setting loads them all, here
    except ImproperlyConfigured as exc:
        sys.exit(f"manage.py: {exc} See README.md, section Settings.")
    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
