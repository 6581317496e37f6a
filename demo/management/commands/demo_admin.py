"""manage.py demo_admin: the admin on the demo's data, its shop and worker (scripts/admin.sh)."""

import argparse

from django.core.management.base import BaseCommand, CommandError
from django.utils import translation

from demo.demo import DemoError, default_console, exit_on_termination
from demo.demo_admin import check, runserver, serve_admin
from demo.management.commands.demo import _Stream
from demo.processes import ChildFailed


class Command(BaseCommand):
    help = (
        "On the demo's database (after scripts/demo.sh): start the demo's shop simulator "
        "(same port and key, the stock it ended with) and a Celery worker on its file broker, "
        "then runserver in the foreground; both stop when it ends. Arguments after -- go to "
        "runserver."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--check",
            action="store_true",
            help="instead of runserver: wait for the worker, test the connection, stop",
        )
        parser.add_argument("runserver_args", nargs=argparse.REMAINDER)

    def handle(self, *args, **options):
        console = default_console(_Stream(self.stdout))
        runserver_args = [arg for arg in options["runserver_args"] if arg != "--"]
        foreground = check(console) if options["check"] else runserver(runserver_args)
        with translation.override("en"), exit_on_termination():
            try:
                code = serve_admin(console, foreground)
            except (DemoError, ChildFailed) as exc:
                raise CommandError(str(exc)) from exc
            except KeyboardInterrupt:
                code = 0
        if code:
            raise CommandError(f"Stopped with code {code}.", returncode=code)
