"""Leases: a running pass proves it is alive, so a dead one is noticed in minutes, not hours.

While a chunk or a drain works, a small background thread renews its lease every
INVSYNC_LEASE_RENEW_SECONDS: the claimed_at of its link claims and, for a chunk, the chunk's
lease_expires_at. It also adds the requests sent so far to the chunk and its run, so a worker
killed mid-chunk still leaves its requests counted. A lease not renewed for INVSYNC_LEASE_TIMEOUT
belongs to a worker that is gone (SIGKILL, the OOM killer, a redeploy): any pass may take its
claims, and the housekeeping sends its chunk again (periodic.housekeeping).

The thread writes only through its own database connection, closed when it stops; a failed
renewal is logged and tried again at the next beat, never raised into the task.
"""

import logging
import threading
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connections
from django.db.models import F
from django.utils import timezone

from integrations.engine import outbox
from integrations.models import SyncChunk, SyncRun

logger = logging.getLogger("integrations.sync")


def renew_interval() -> float:
    """Seconds between two renewals (INVSYNC_LEASE_RENEW_SECONDS)."""
    return settings.INVSYNC_LEASE_RENEW_SECONDS


def expiry(*, now: datetime | None = None, extra: float = 0.0) -> datetime:
    """When a lease renewed now (and given `extra` seconds more) runs out."""
    return (now or timezone.now()) + outbox.lease_timeout() + timedelta(seconds=extra)


class Meter:
    """Requests sent and rows written by one attempt, handed out once each (thread-safe).

    Counted while the attempt runs, so a worker killed mid-chunk leaves them counted up to its
    last renewal; ``settle`` then trues the writes up to the ones the attempt verified.
    """

    def __init__(self):
        self._lock = threading.Lock()
        self._clients = []
        self._writes = 0
        self._counted = (0, 0)  # (requests, writes) already handed out

    def track(self, client) -> None:
        """Count this client's requests (its requests_sent so far included)."""
        with self._lock:
            self._clients.append(client)

    def wrote(self) -> None:
        """One more row written (the shop accepted it)."""
        with self._lock:
            self._writes += 1

    def take(self) -> tuple[int, int]:
        """(requests, writes) since the last take()."""
        with self._lock:
            totals = (sum(client.requests_sent for client in self._clients), self._writes)
            fresh = (totals[0] - self._counted[0], totals[1] - self._counted[1])
            self._counted = totals
            return fresh

    def settle(self, changed: int) -> tuple[int, int]:
        """(requests, changed) still to add once the attempt knows it changed ``changed`` rows."""
        with self._lock:
            requests = sum(client.requests_sent for client in self._clients)
            fresh = (requests - self._counted[0], changed - self._counted[1])
            self._counted = (requests, changed)
            return fresh


def add_chunk_counts(chunk_id: int, run_id: int, *, requests: int = 0, changed: int = 0) -> None:
    """Add what an attempt did to its chunk and its run (F() updates, so retries add up).

    ``changed`` may be negative: writes counted live that the re-read found not applied.
    """
    if not requests and not changed:
        return
    counts = {"requests": F("requests") + requests, "changed": F("changed") + changed}
    SyncChunk.objects.filter(pk=chunk_id).update(**counts)
    SyncRun.objects.filter(pk=run_id).update(**counts)


class Lease:
    """Context manager: renew a token's claims (and its chunk's lease) from a thread.

    ``meter`` collects the attempt's requests and writes; they reach the chunk and the run at
    every beat, and the rest when the attempt ends (``settle``).
    """

    def __init__(self, token: str, *, chunk_id: int | None = None, run_id: int | None = None):
        self.token, self.chunk_id, self.run_id = token, chunk_id, run_id
        self.meter = Meter()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"lease-{token}", daemon=True)

    def __enter__(self) -> "Lease":
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._stop.set()
        self._thread.join()

    def flush(self) -> None:
        """Add the requests and writes counted since the last flush to the chunk and the run."""
        if self.chunk_id is not None:
            requests, writes = self.meter.take()
            add_chunk_counts(self.chunk_id, self.run_id, requests=requests, changed=writes)

    def settle(self, changed: int) -> None:
        """The attempt is over and changed ``changed`` rows: add what is not counted yet."""
        if self.chunk_id is not None:
            requests, rest = self.meter.settle(changed)
            add_chunk_counts(self.chunk_id, self.run_id, requests=requests, changed=rest)

    def beat(self) -> None:
        """One renewal: the claims, the chunk's lease, the requests sent since the last beat."""
        now = timezone.now()
        outbox.renew(self.token, now=now)
        if self.chunk_id is not None:
            SyncChunk.objects.filter(
                pk=self.chunk_id, task_id=self.token, status=SyncChunk.Status.RUNNING
            ).update(lease_expires_at=expiry(now=now))
            self.flush()

    def _run(self) -> None:
        try:
            while not self._stop.wait(renew_interval()):
                try:
                    self.beat()
                except Exception:
                    logger.warning("Lease renewal failed: token=%s", self.token, exc_info=True)
        finally:
            connections.close_all()  # this thread's connections only
