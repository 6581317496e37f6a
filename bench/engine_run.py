"""invsync's full sync, run the way Celery workers run it, on threads in this process.

start_full_sync() creates the run and its chunks exactly as the admin button does; then K
threads each take chunks and call integrations.engine.runs.sync_chunk(), the function that
sync_chunk_task calls, retrying after the delay integrations.tasks.next_retry() gives (the
task's own retry rule). The threads share the integration's in-process rate limiter, as
the workers of one host share the Redis one.
"""

import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass


@dataclass
class EngineResult:
    run_id: int
    status: str
    products: int
    changed: int
    failed: int
    chunks: int
    seconds: float
    retries: int


def run_full_sync(integration, *, workers: int) -> EngineResult:
    """Start a full sync and run all its chunks on `workers` threads; wait for the end."""
    from integrations.engine import runs
    from integrations.models import SyncRun

    started = time.monotonic()
    run = runs.start_full_sync(integration, trigger=SyncRun.Trigger.COMMAND)
    chunk_ids = list(run.chunks.order_by("index").values_list("pk", flat=True))
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="chunk") as pool:
        retries = sum(pool.map(run_chunk, chunk_ids))
    seconds = time.monotonic() - started
    run.refresh_from_db()
    return EngineResult(
        run_id=run.pk,
        status=run.status,
        products=run.processed,
        changed=run.changed,
        failed=run.failed,
        chunks=run.chunks_total,
        seconds=seconds,
        retries=retries,
    )


def run_chunk(chunk_id: int) -> int:
    """What one sync_chunk_task delivery does, with its retries; returns the retry count."""
    from django.db import connections

    from integrations import tasks
    from integrations.engine import runs

    retries, spent = 0, None
    try:
        while True:
            result = runs.sync_chunk(chunk_id)
            if result.error is None:
                return retries
            delay, spent = tasks.next_retry(result.error, None if result.settled else spent)
            if delay is None:
                runs.fail_chunk(chunk_id, result.error)
                return retries
            retries += 1
            time.sleep(delay)
    finally:
        connections.close_all()  # this thread's connections only
