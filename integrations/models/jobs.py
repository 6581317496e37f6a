"""What a background job's record (a sync run, a discrepancy report) says about its status."""


class BackgroundJobMixin:
    """For a model with a ``status`` field and the statuses of a job still going in ``ACTIVE``."""

    ACTIVE: tuple = ()

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE
