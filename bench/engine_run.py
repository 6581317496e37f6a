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
    products: int  # links the chunks that ran cover
    changed: int
    failed: int
    chunks: int  # chunks that ran
    chunks_total: int
    seconds: float
    retries: int
    batch_size: int | None  # rows per multi-row write in force at the end


def run_full_sync(integration, *, workers: int, sample_chunks: int = 0) -> EngineResult:
    """Start a full sync and run its chunks on `workers` threads; wait for the end.

    sample_chunks > 0 runs only that many chunks, spread evenly over the run, and then
    removes the unfinished run (a sample to extrapolate from).
    """
    from integrations.engine import runs
    from integrations.models import SyncRun

    started = time.monotonic()
    run = runs.start_full_sync(integration, trigger=SyncRun.Trigger.COMMAND)
    chunk_ids = list(run.chunks.order_by("index").values_list("pk", flat=True))
    if 0 < sample_chunks < len(chunk_ids):
        chunk_ids = [chunk_ids[i * len(chunk_ids) // sample_chunks] for i in range(sample_chunks)]
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="chunk") as pool:
        retries = sum(pool.map(run_chunk, chunk_ids))
    seconds = time.monotonic() - started
    run.refresh_from_db()
    result = EngineResult(
        run_id=run.pk,
        status=run.status,
        products=run.processed,
        changed=run.changed,
        failed=run.failed,
        chunks=len(chunk_ids),
        chunks_total=run.chunks_total,
        seconds=seconds,
        retries=retries,
        batch_size=run.batch_size,
    )
    if run.is_active:
        run.delete()  # a sample: the other chunks never run
    return result


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
