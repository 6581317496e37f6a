"""The test suite's settings: production settings plus the demo app, whose tests live here."""

from invsync.settings import *  # noqa: F403

INSTALLED_APPS = [*INSTALLED_APPS, "demo"]  # noqa: F405
