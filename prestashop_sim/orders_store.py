"""Orders, their lines, states, histories and configuration rows, plus the hidden stock columns.

Values are held as PrestaShop 8.1 on PHP >= 8.1 hands them to the webservice: TYPE_INT columns
as ints, TYPE_BOOL columns as "0"/"1", prices as "0.000000" strings, dates as shop-local
"YYYY-MM-DD HH:MM:SS" text.
"""

import random
import string
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

ZERO_DATE = "0000-00-00 00:00:00"
MONEY0 = "0.000000"


def money(value) -> str:
    """A price as a DECIMAL(20,6) column prints it."""
    return f"{Decimal(str(value)):.6f}"


def flag(value) -> str:
    """A TYPE_BOOL value as the webservice shows it."""
    return "1" if value in (True, 1, "1") else "0"


@dataclass(slots=True)
class OrderState:
    """One ps_order_state row with its translations ({language id: text})."""

    id: int
    name: dict[int, str]
    template: dict[int, str]
    module_name: str = ""
    color: str = "#34209E"
    logable: str = "0"
    shipped: str = "0"
    paid: str = "0"
    delivery: str = "0"
    invoice: str = "0"
    send_email: str = "1"
    pdf_invoice: str = "0"
    pdf_delivery: str = "0"
    unremovable: str = "1"
    hidden: str = "0"
    deleted: str = "0"

    def has(self, name: str) -> bool:
        """True if the flag column `name` is set."""
        return getattr(self, name) == "1"


@dataclass(slots=True)
class ConfigurationRow:
    """One ps_configuration row (global: id_shop and id_shop_group NULL)."""

    id: int
    name: str
    value: str
    date_add: str = "2026-11-30 01:28:37"
    date_upd: str = "2026-11-30 01:28:37"
    id_shop_group: int | None = None
    id_shop: int | None = None


@dataclass(slots=True)
class Order:
    """One ps_orders row; `has_document` stands for an ps_order_invoice row (invoice or slip)."""

    id: int
    reference: str
    current_state: int
    date_add: str
    date_upd: str
    id_cart: int
    secure_key: str
    id_address_delivery: int = 5
    id_address_invoice: int = 5
    id_currency: int = 1
    id_lang: int = 1
    id_customer: int = 2
    id_carrier: int = 2
    module: str = "ps_wirepayment"
    payment: str = "Wire payment"
    invoice_number: int = 0
    invoice_date: str = ZERO_DATE
    delivery_number: int = 0
    delivery_date: str = ZERO_DATE
    valid: str = "0"
    shipping_number: str = ""
    note: str = ""
    id_shop_group: int = 1
    id_shop: int = 1
    recyclable: str = "0"
    gift: str = "0"
    gift_message: str = ""
    mobile_theme: str = "0"
    total_discounts: str = MONEY0
    total_discounts_tax_incl: str = MONEY0
    total_discounts_tax_excl: str = MONEY0
    total_paid: str = MONEY0
    total_paid_tax_incl: str = MONEY0
    total_paid_tax_excl: str = MONEY0
    total_paid_real: str = MONEY0
    total_products: str = MONEY0
    total_products_wt: str = MONEY0
    total_shipping: str = MONEY0
    total_shipping_tax_incl: str = MONEY0
    total_shipping_tax_excl: str = MONEY0
    carrier_tax_rate: str = "0.000"
    total_wrapping: str = MONEY0
    total_wrapping_tax_incl: str = MONEY0
    total_wrapping_tax_excl: str = MONEY0
    round_mode: int = 2
    round_type: int = 2
    conversion_rate: str = "1.000000"
    has_document: bool = False


@dataclass(slots=True)
class OrderDetail:
    """One ps_order_detail row (an order line)."""

    id: int
    id_order: int
    product_id: int
    product_attribute_id: int
    product_quantity: int
    product_name: str
    product_reference: str
    product_price: str
    id_shop: int = 1
    id_warehouse: int = 0
    id_order_invoice: int = 0
    id_customization: int = 0
    product_quantity_in_stock: int = 0
    product_quantity_return: int = 0
    product_quantity_refunded: int = 0
    product_quantity_reinjected: int = 0
    group_reduction: str = "0.00"
    discount_quantity_applied: int = 0
    download_hash: str = ""
    download_deadline: str = ZERO_DATE
    reduction_percent: str = "0.00"
    reduction_amount: str = MONEY0
    reduction_amount_tax_incl: str = MONEY0
    reduction_amount_tax_excl: str = MONEY0
    product_quantity_discount: str = MONEY0
    product_ean13: str = ""
    product_isbn: str = ""
    product_upc: str = ""
    product_mpn: str = ""
    product_supplier_reference: str = ""
    product_weight: str = MONEY0
    tax_computation_method: int = 0
    id_tax_rules_group: int = 0
    ecotax: str = MONEY0
    ecotax_tax_rate: str = "0.000"
    download_nb: int = 0
    purchase_supplier_price: str = MONEY0
    original_wholesale_price: str = MONEY0
    total_shipping_price_tax_excl: str = MONEY0
    total_shipping_price_tax_incl: str = MONEY0

    @property
    def unit_price_tax_incl(self) -> str:
        """No taxes in the simulated shop: the unit price with and without tax is the price."""
        return self.product_price

    @property
    def unit_price_tax_excl(self) -> str:
        """See unit_price_tax_incl."""
        return self.product_price

    @property
    def original_product_price(self) -> str:
        """The catalogue price when the line was created."""
        return self.product_price

    @property
    def total_price_tax_incl(self) -> str:
        """Quantity times unit price."""
        return money(Decimal(self.product_price) * self.product_quantity)

    @property
    def total_price_tax_excl(self) -> str:
        """See total_price_tax_incl."""
        return self.total_price_tax_incl


@dataclass(slots=True)
class OrderHistory:
    """One ps_order_history row."""

    id: int
    id_order: int
    id_order_state: int
    id_employee: int
    date_add: str


@dataclass
class OrderBook:
    """Every order-side table of the shop; callers hold the store's lock."""

    states: dict[int, OrderState]  # in the order MySQL lists them
    configurations: dict[int, ConfigurationRow]
    timezone: str = "Europe/Paris"
    initial_state: int | None = None
    seed: int = 1
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    orders: dict[int, Order] = field(default_factory=dict)
    details: dict[int, OrderDetail] = field(default_factory=dict)
    histories: dict[int, OrderHistory] = field(default_factory=dict)
    # ps_stock_available columns the webservice never shows, by stock row id (absent: 0).
    physical: dict[int, int] = field(default_factory=dict)
    reserved: dict[int, int] = field(default_factory=dict)

    def __post_init__(self):
        self.zone = ZoneInfo(self.timezone)
        self.rng = random.Random(self.seed)
        self._last_ids: dict[str, int] = {}

    def table(self, resource: str) -> dict:
        """Entities of an order-side resource by id, in MySQL's natural order."""
        return {
            "orders": self.orders,
            "order_details": self.details,
            "order_states": self.states,
            "order_histories": self.histories,
            "configurations": self.configurations,
        }[resource]

    def now(self) -> str:
        """The shop's local time, as PHP's date('Y-m-d H:i:s') writes date_add/date_upd."""
        return self.clock().astimezone(self.zone).strftime("%Y-%m-%d %H:%M:%S")

    def config_id(self, name: str) -> int | None:
        """Configuration::get(name) as an int (None when the key is absent)."""
        for row in self.configurations.values():
            if row.name == name:
                return int(row.value)
        return None

    def state(self, state_id: int) -> OrderState:
        """An order state; ValueError names the known ids."""
        try:
            return self.states[int(state_id)]
        except KeyError:
            raise ValueError(f"no order state {state_id} (known: {sorted(self.states)})") from None

    def order(self, order_id: int) -> Order:
        """An order; ValueError when it does not exist."""
        try:
            return self.orders[int(order_id)]
        except KeyError:
            raise ValueError(f"no order {order_id}") from None

    def details_of(self, order_id: int) -> list[OrderDetail]:
        """The lines of an order by id."""
        return [d for d in self.details.values() if d.id_order == order_id]

    def default_state(self) -> int:
        """The state a customer's order gets: the bank-wire wait, else the first unpaid one."""
        if self.initial_state is not None:
            return self.initial_state
        for state in self.states.values():
            if state.module_name == "ps_wirepayment":
                return state.id
        unpaid = [s.id for s in self.states.values() if not (s.has("paid") or s.has("logable"))]
        return min(unpaid or self.states)

    def new_reference(self) -> str:
        """Order::generateReference: nine upper-case letters."""
        return "".join(self.rng.choice(string.ascii_uppercase) for _ in range(9))

    def next_number(self, column: str) -> int:
        """MAX(column) + 1 over all orders (invoice_number, delivery_number)."""
        return max((getattr(o, column) for o in self.orders.values()), default=0) + 1

    def allocate(self, resource: str) -> int:
        """AUTO_INCREMENT of a table: ids of deleted rows are never handed out again."""
        value = max(max(self.table(resource), default=0), self._last_ids.get(resource, 0)) + 1
        self._last_ids[resource] = value
        return value
