"""Why the ledger refused an operation. Every refusal writes nothing."""

from dataclasses import dataclass

from django.utils.translation import gettext as _

from invsync.csvfiles import FileRejected
from warehouse.bounds import MAX_QUANTITY, limit_text


class LedgerError(Exception):
    """Base of every refusal raised by warehouse.services."""


class DocumentStateError(LedgerError):
    """The document's status does not allow the operation (e.g. approving it twice)."""


class InvalidDocument(LedgerError):
    """The document's lines are not acceptable; ``problems`` lists every one of them."""

    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        super().__init__(" ".join(self.problems))


@dataclass(frozen=True)
class ShortLine:
    """One product that would go below zero: what there is and what the document needs."""

    product_id: int
    sku: str
    available: int
    required: int

    @property
    def missing(self) -> int:
        return self.required - self.available


class InsufficientStock(LedgerError):
    """The operation would drive stock negative; ``lines`` holds every short product."""

    def __init__(self, lines: list[ShortLine], *, warehouse_code: str = ""):
        self.lines = list(lines)
        self.warehouse_code = warehouse_code
        details = "; ".join(
            _("%(sku)s: available %(available)d, needed %(required)d, short by %(missing)d")
            % {
                "sku": line.sku,
                "available": line.available,
                "required": line.required,
                "missing": line.missing,
            }
            for line in self.lines
        )
        super().__init__(
            _("Not enough stock in warehouse %(warehouse)s: %(details)s.")
            % {"warehouse": warehouse_code, "details": details}
        )


@dataclass(frozen=True)
class ExcessLine:
    """One product that would go above the limit: what there is and what the document adds."""

    product_id: int
    sku: str
    available: int
    adding: int

    @property
    def result(self) -> int:
        return self.available + self.adding

    @property
    def excess(self) -> int:
        return self.result - MAX_QUANTITY


class StockLimitExceeded(LedgerError):
    """The operation would push stock above PrestaShop's limit; ``lines`` holds every product."""

    def __init__(self, lines: list[ExcessLine], *, warehouse_code: str = ""):
        self.lines = list(lines)
        self.warehouse_code = warehouse_code
        details = "; ".join(
            _("%(sku)s: in stock %(available)d, adding %(adding)d, over the limit by %(excess)d")
            % {
                "sku": line.sku,
                "available": line.available,
                "adding": line.adding,
                "excess": line.excess,
            }
            for line in self.lines
        )
        super().__init__(
            _("Stock in warehouse %(warehouse)s would exceed the limit of %(limit)s: %(details)s.")
            % {"warehouse": warehouse_code, "limit": limit_text(), "details": details}
        )


class ImportRejected(FileRejected, LedgerError):
    """A product import file has errors; ``errors`` lists every one, with its row number."""


class ReservationStateError(LedgerError):
    """The reservation's status does not allow the operation (e.g. issuing it twice)."""
