"""The learned ceiling's way to durable storage: two callbacks the integration wires to its
model, so the limiter itself never imports Django models."""

import logging
from collections.abc import Callable
from dataclasses import dataclass

logger = logging.getLogger("integrations.ratelimit")


@dataclass(frozen=True)
class Learned:
    """A learned ceiling (requests per window) and when it was set or last raised."""

    value: int | None  # None: nothing learned, the configured limit applies
    since: float  # seconds since the epoch


@dataclass(frozen=True)
class CeilingHook:
    """load() -> the stored ceiling or None; save(learned) stores a new one."""

    load: Callable[[], Learned | None]
    save: Callable[[Learned], None]

    def load_quietly(self) -> Learned | None:
        """The stored ceiling; None (nothing learned) when the storage cannot be read."""
        try:
            return self.load()
        except Exception:  # the storage's own errors: any of them must not stop the sync
            logger.warning("Rate limiter: the stored rate ceiling cannot be read", exc_info=True)
            return None

    def save_quietly(self, learned: Learned) -> None:
        """Store the ceiling; a failure is logged and the next change stores it again."""
        try:
            self.save(learned)
        except Exception:  # the limiter's own state holds the value meanwhile
            logger.warning("Rate limiter: the learned rate ceiling was not stored", exc_info=True)


NO_HOOK = CeilingHook(load=lambda: None, save=lambda learned: None)
