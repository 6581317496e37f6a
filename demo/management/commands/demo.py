"""manage.py demo: the whole sync on one machine (scripts/demo.sh runs it; demo.demo)."""

from django.core.management.base import BaseCommand, CommandError
from django.utils import translation

from demo.demo import DemoError, DemoOptions, default_console, exit_on_termination, run_demo
from demo.demo_steps import StepFailed
from demo.processes import ChildFailed
from integrations.engine.runs import SyncRefused
from integrations.linking import LinkingError
from integrations.prestashop import PrestaShopError


class _Stream:
    """self.stdout for rich: it writes text as given, with no line ending added."""

    def __init__(self, wrapper):
        self.wrapper = wrapper

    def write(self, text: str) -> int:
        self.wrapper.write(text, ending="")
        return len(text)

    def flush(self) -> None:
        self.wrapper.flush()

    def isatty(self) -> bool:
        return self.wrapper.isatty()


class Command(BaseCommand):
    help = (
        "Run the demo on a fresh SQLite database under the demo's var folder: demo catalogue, "
        "a simulated PrestaShop with drifted stock, a Celery worker, linking, a full sync "
        "with a progress bar and a goods issue the shop follows. Leaves nothing running."
    )

    def add_arguments(self, parser):
        defaults = DemoOptions()
        parser.add_argument("--products", type=int, default=defaults.products)
        parser.add_argument("--seed", type=int, default=defaults.seed)
        parser.add_argument(
            "--drift", type=float, default=defaults.drift, help="share of shop rows that differ"
        )
        parser.add_argument(
            "--workers", type=int, default=defaults.workers, help="worker pool processes"
        )
        parser.add_argument("--pool", choices=("prefork", "threads", "solo"), default=defaults.pool)
        parser.add_argument(
            "--timeout", type=float, default=defaults.timeout, help="seconds per waiting step"
        )

    def handle(self, *args, **options):
        if options["products"] < 10 or not 0 <= options["drift"] <= 1:
            raise CommandError("--products must be at least 10 and --drift between 0 and 1.")
        demo = DemoOptions(**{name: options[name] for name in DemoOptions.__dataclass_fields__})
        console = default_console(_Stream(self.stdout))
        with translation.override("en"), exit_on_termination():
            try:
                run_demo(demo, console)
            except (
                DemoError,
                ChildFailed,
                StepFailed,
                LinkingError,
                PrestaShopError,
                SyncRefused,
            ) as exc:
                raise CommandError(str(exc)) from exc
            except KeyboardInterrupt:
                raise CommandError(
                    "Interrupted; the demo's worker and shop simulator are stopped.",
                    returncode=130,
                ) from None
