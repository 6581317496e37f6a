"""What the broker and the workers are doing, for the operator's commands.

Every probe is short and bounded: a command must answer quickly when the broker or the
workers are gone, and say so instead of hanging.
"""

from dataclasses import dataclass, field

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from invsync.celery import BULK_QUEUE, LIVE_QUEUE, app

BROKER_TIMEOUT = 3.0
INSPECT_TIMEOUT = 1.0


class BrokerUnreachable(Exception):
    """The broker did not accept a connection."""


def broker_name() -> str:
    """The broker's URL without its password."""
    with app.connection_for_write() as connection:
        return connection.as_uri()


def transport_name() -> str:
    """ "redis", "amqp", "filesystem", ... (kombu's driver type)."""
    with app.connection_for_write() as connection:
        return connection.transport.driver_type


def check_broker(*, timeout: float = BROKER_TIMEOUT) -> None:
    """Connect to the broker once; BrokerUnreachable with the reason if it does not answer."""
    try:
        with app.connection_for_write() as connection:
            connection.ensure_connection(max_retries=1, timeout=timeout)
    except Exception as exc:  # kombu raises OperationalError or the transport's own errors
        raise BrokerUnreachable(
            _("The broker %(broker)s is unreachable: %(error)s")
            % {"broker": broker_name(), "error": exc}
        ) from exc


QUEUE_ROLES = {
    LIVE_QUEUE: gettext_lazy("live: stock changes on their way to the shops"),
    BULK_QUEUE: gettext_lazy("bulk: full-sync chunks and reads of the shops"),
}


def queue_role(name: str) -> str:
    """What the queue carries, in the operator's words ("" for a queue of another app)."""
    return str(QUEUE_ROLES.get(name, ""))


def queue_names() -> list[str]:
    """The queues the project's workers consume (settings: task_queues)."""
    return [queue.name for queue in app.conf.task_queues or []] or [app.conf.task_default_queue]


def waiting_messages(queues: list[str] | None = None) -> dict[str, int | None]:
    """Messages waiting per queue (None: the broker could not tell).

    A passive declare asks the broker without creating anything; kombu answers it for Redis
    (the length of the queue's lists), the file broker (its files) and RabbitMQ alike.
    """
    counts: dict[str, int | None] = {}
    with app.connection_for_write() as connection:
        connection.ensure_connection(max_retries=1, timeout=BROKER_TIMEOUT)
        channel = connection.default_channel
        for name in queues or queue_names():
            try:
                counts[name] = channel.queue_declare(name, passive=True).message_count
            except Exception:  # an absent queue (404 on RabbitMQ) closes nothing we reuse
                counts[name] = None
    return counts


@dataclass
class WorkerReport:
    answered: bool
    workers: dict[str, list[str]] = field(default_factory=dict)  # name -> running task names
    queues: dict[str, list[str]] = field(default_factory=dict)  # name -> queues it consumes
    note: str = ""

    def unserved(self) -> list[str]:
        """The project's queues no answering worker consumes (their tasks wait forever)."""
        served = {queue for names in self.queues.values() for queue in names}
        return [name for name in queue_names() if name not in served]


def workers(*, timeout: float = INSPECT_TIMEOUT) -> WorkerReport:
    """The workers that answer a ping within the timeout, and the tasks each is running."""
    inspector = app.control.inspect(timeout=timeout)
    try:
        pings = inspector.ping() or {}
        active = (inspector.active() or {}) if pings else {}
        consumed = (inspector.active_queues() or {}) if pings else {}
    except Exception as exc:
        return WorkerReport(
            answered=False, note=_("Remote control failed: %(error)s") % {"error": exc}
        )
    report = WorkerReport(answered=bool(pings))
    for name in sorted(pings):
        report.workers[name] = [task.get("name", "?") for task in active.get(name, [])]
        report.queues[name] = [queue.get("name", "?") for queue in consumed.get(name, [])]
    if not pings and transport_name() == "filesystem":
        report.note = _(
            "The file broker reaches only workers on this machine that use the same broker "
            "folder (INVSYNC_VAR_DIR); workers elsewhere cannot answer."
        )
    return report
