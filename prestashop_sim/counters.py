"""Request counters by method, resource and status."""

import threading
from collections import Counter


class Counters:
    """Thread-safe request counts; keys of by_request look like "PUT stock_availables 200"."""

    def __init__(self):
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        """Zero everything."""
        with self._lock:
            self.total = 0
            self.by_method: Counter = Counter()
            self.by_resource: Counter = Counter()
            self.by_status: Counter = Counter()
            self.by_request: Counter = Counter()

    def record(self, method: str, resource: str, status: int) -> None:
        """Count one answered request."""
        with self._lock:
            self.total += 1
            self.by_method[method] += 1
            self.by_resource[resource] += 1
            self.by_status[str(status)] += 1
            self.by_request[f"{method} {resource} {status}"] += 1

    def as_dict(self) -> dict:
        """A JSON-friendly snapshot."""
        with self._lock:
            return {
                "total": self.total,
                "by_method": dict(self.by_method),
                "by_resource": dict(self.by_resource),
                "by_status": dict(self.by_status),
                "by_request": dict(self.by_request),
            }
