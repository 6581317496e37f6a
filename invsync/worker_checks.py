"""Refuse a worker layout that would multiply the shops' rate limits.

Without INVSYNC_REDIS_URL each worker process keeps its own rate limiter (shared only by the
threads of one process): eight processes could send eight times what a shop allows. So a
worker with more than one pool process (prefork, --concurrency > 1, or --autoscale), or one
that finds other workers already answering, stops at start with a message that says what to
set. INVSYNC_ALLOW_UNSHARED_LIMITER=1 accepts it on purpose (e.g. a demo on one machine).
"""

import logging

from celery.concurrency import get_implementation
from celery.exceptions import WorkerShutdown
from django.conf import settings

logger = logging.getLogger("invsync.worker")

ONE_PROCESS_POOLS = {"solo", "threads", "eventlet", "gevent"}  # one process: one limiter

MESSAGE = (
    "invsync: refusing to start: %(what)s without INVSYNC_REDIS_URL. Each worker process "
    "would keep its own rate limit per shop, so together they could send the shop %(times)s "
    "times its limit. Set INVSYNC_REDIS_URL to a Redis that every worker shares (e.g. "
    "redis://redis:6379/1), or run a single worker with --concurrency=1; "
    "INVSYNC_ALLOW_UNSHARED_LIMITER=1 accepts the multiplied rate."
)


def limiter_is_shared() -> bool:
    """True when the limiter is shared (Redis) or the operator accepted it is not."""
    return bool(settings.INVSYNC_REDIS_URL) or settings.INVSYNC_ALLOW_UNSHARED_LIMITER


def pool_processes(worker) -> int:
    """How many processes (each with its own limiter) this worker's pool may run."""
    pool = get_implementation(worker.pool_cls)
    if getattr(pool, "__module__", "").rsplit(".", 1)[-1] in ONE_PROCESS_POOLS:
        return 1
    autoscale = worker.options.get("autoscale")  # "max,min" from --autoscale
    if autoscale:
        parts = autoscale.split(",") if isinstance(autoscale, str) else autoscale
        return max(int(part) for part in parts if str(part).strip())
    return int(worker.concurrency or 1)


def refuse_many_processes(sender=None, **_):
    """worker_init receiver: exit (status 1, the message on stderr) before anything starts."""
    if limiter_is_shared():
        return
    processes = pool_processes(sender)
    if processes > 1:
        raise SystemExit(
            MESSAGE % {"what": f"{processes} worker processes (--concurrency)", "times": processes}
        )


def refuse_other_nodes(sender=None, **_):
    """worker_ready receiver: stop if other workers already answer (several single-process
    workers, as under supervisord, each with its own limiter)."""
    if limiter_is_shared():
        return
    me = sender.hostname
    replies = sender.app.control.ping(timeout=1.0)
    others = sorted({name for reply in replies for name in reply} - {me})
    if others:
        message = MESSAGE % {
            "what": f"{len(others) + 1} workers ({me}, {', '.join(others)})",
            "times": len(others) + 1,
        }
        logger.critical(message)
        raise WorkerShutdown(1)
