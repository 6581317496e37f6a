"""Document numbers: ``KIND/YYYY/MM/NNNN``, counted per kind and month."""

from django.db import transaction
from django.utils import timezone

from warehouse.models import DocumentCounter


def next_document_number(kind: str, *, when=None) -> str:
    """Take the next number for a document of ``kind`` (in the current transaction).

    The counter row is locked, so concurrent callers queue up and each gets its own number;
    if the caller's transaction rolls back, the number is given back with it.
    """
    day = timezone.localdate(when) if when is not None else timezone.localdate()
    period = f"{day.year:04d}/{day.month:02d}"
    with transaction.atomic():
        # Create the month's row if it is the first document; a concurrent creator wins
        # silently and both then queue on the row lock below.
        DocumentCounter.objects.bulk_create(
            [DocumentCounter(kind=kind, period=period, last=0)], ignore_conflicts=True
        )
        counter = DocumentCounter.objects.select_for_update().get(kind=kind, period=period)
        counter.last += 1
        counter.save(update_fields=["last"])
    return f"{kind}/{period}/{counter.last:04d}"
