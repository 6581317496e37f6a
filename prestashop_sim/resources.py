"""Webservice resource definitions: field order, types, links, validators, methods."""

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Field:
    """One field of a resource as the webservice describes it."""

    name: str
    kind: str = "int"  # int | bool | str | decimal | date | lang
    xlink: str | None = None
    required: bool = False
    validate: str | None = None
    size: int | None = None
    getter: bool = False  # dynamic field: not filterable, rendered with notFilterable
    writable: bool = True
    only_legacy: bool = False  # present on 1.7 only (combination quantity/location)

    @property
    def numeric(self) -> bool:
        """True when MySQL compares this column as a number."""
        return self.kind in ("int", "bool")


def fields_of(kind: str, *names: str) -> tuple[Field, ...]:
    """Plain fields of one kind (no xlink, no validator), in the order named."""
    return tuple(Field(name, kind=kind) for name in names)


@dataclass(frozen=True)
class Resource:
    """A webservice resource the simulator serves."""

    name: str
    singular: str
    class_name: str
    fields: tuple[Field, ...]
    forbidden: frozenset[str] = field(default_factory=frozenset)
    associations: tuple[str, ...] = ()

    def fields_for(self, *, modern: bool) -> tuple[Field, ...]:
        """The fields this PrestaShop version exposes, in the resource's order."""
        return tuple(f for f in self.fields if not (f.only_legacy and modern))

    def field_map(self, *, modern: bool) -> dict[str, Field]:
        """Fields by name for this version."""
        return {f.name: f for f in self.fields_for(modern=modern)}


ID = Field("id")
STOCK_AVAILABLES = Resource(
    name="stock_availables",
    singular="stock_available",
    class_name="StockAvailable",
    forbidden=frozenset({"POST", "DELETE"}),
    fields=(
        ID,
        Field("id_product", xlink="products", required=True, validate="isUnsignedId"),
        Field("id_product_attribute", xlink="combinations", required=True, validate="isUnsignedId"),
        Field("id_shop", xlink="shops", validate="isUnsignedId"),
        Field("id_shop_group", xlink="shop_groups", validate="isUnsignedId"),
        Field("quantity", required=True, validate="isInt"),
        Field("depends_on_stock", kind="bool", required=True, validate="isBool"),
        Field("out_of_stock", required=True, validate="isInt"),
        Field("location", kind="str", validate="isString", size=255),
    ),
)
PRODUCTS = Resource(
    name="products",
    singular="product",
    class_name="Product",
    associations=("combinations", "stock_availables"),
    fields=(
        ID,
        Field("id_manufacturer", xlink="manufacturers"),
        Field("id_supplier", xlink="suppliers"),
        Field("id_category_default", xlink="categories"),
        Field("cache_default_attribute"),
        Field("id_default_combination", xlink="combinations", getter=True),
        Field("id_tax_rules_group", xlink="tax_rule_groups"),
        Field("quantity", getter=True, writable=False),
        *fields_of("str", "reference", "supplier_reference", "ean13", "isbn", "upc", "mpn"),
        Field("price", kind="decimal"),
        *fields_of("bool", "active", "available_for_order"),
        *fields_of("date", "date_add", "date_upd"),
        *fields_of("lang", "name", "link_rewrite"),
    ),
)
COMBINATIONS = Resource(
    name="combinations",
    singular="combination",
    class_name="Combination",
    associations=("product_option_values", "images"),
    fields=(  # 8.1.2 order (transcript 61); location and quantity only before 8.0
        ID,
        Field("id_product", xlink="products", required=True),
        Field("location", kind="str", only_legacy=True),
        *fields_of("str", "ean13", "isbn", "upc", "mpn"),
        Field("quantity", only_legacy=True),
        *fields_of("str", "reference", "supplier_reference"),
        *fields_of("decimal", "wholesale_price", "price", "ecotax", "weight", "unit_price_impact"),
        *fields_of("int", "minimal_quantity", "low_stock_threshold"),
        *fields_of("bool", "low_stock_alert", "default_on"),
        Field("available_date", kind="date"),
        *fields_of("lang", "available_now", "available_later"),
    ),
)
SHOPS = Resource(
    name="shops",
    singular="shop",
    class_name="Shop",
    fields=(
        ID,
        Field("id_shop_group", xlink="shop_groups"),
        Field("id_category", xlink="categories"),
        *fields_of("bool", "active", "deleted"),
        *fields_of("str", "name", "theme_name"),
    ),
)
SHOP_GROUPS = Resource(
    name="shop_groups",
    singular="shop_group",
    class_name="ShopGroup",
    fields=(
        ID,
        *fields_of("bool", "share_customer", "share_order", "share_stock", "active", "deleted"),
        Field("name", kind="str"),
    ),
)
SERVED = {r.name: r for r in (STOCK_AVAILABLES, PRODUCTS, COMBINATIONS, SHOPS, SHOP_GROUPS)}

_READ_ONLY = frozenset({"PUT", "POST", "PATCH", "DELETE"})
# Every core resource of PrestaShop 8 with its description, in getResources() order (ksort).
DESCRIPTIONS = {
    "addresses": "The Customer, Brand and Customer addresses",
    "attachments": "The product Attachments",
    "carriers": "The Carriers",
    "cart_rules": "Cart rules management",
    "carts": "Customer's carts",
    "categories": "The product categories",
    "combinations": "The product combinations",
    "configurations": "Shop configuration",
    "contacts": "Shop contacts",
    "content_management_system": "Content management system",
    "countries": "The countries",
    "currencies": "The currencies",
    "customer_messages": "Customer services messages",
    "customer_threads": "Customer services threads",
    "customers": "The e-shop's customers",
    "customizations": "Customization values",
    "deliveries": "Product delivery",
    "employees": "The Employees",
    "groups": "The customer's groups",
    "guests": "The guests",
    "image_types": "The image types",
    "images": "The images",
    "languages": "Shop languages",
    "manufacturers": "The product brands",
    "messages": "The Messages",
    "order_carriers": "The Order carriers",
    "order_cart_rules": "The Order cart rules",
    "order_details": "Details of an order",
    "order_histories": "The Order histories",
    "order_invoices": "The Order invoices",
    "order_payments": "The Order payments",
    "order_slip": "The Order slips",
    "order_states": "The Order statuses",
    "orders": "The Customers orders",
    "price_ranges": "Price ranges",
    "product_customization_fields": "Customization Field",
    "product_feature_values": "The product feature values",
    "product_features": "The product features",
    "product_option_values": "The product options value",
    "product_options": "The product options",
    "product_suppliers": "Product Suppliers",
    "products": "The products",
    "search": "Search",
    "shop_groups": "Shop groups from multi-shop feature",
    "shop_urls": "Shop URLs from multi-shop feature",
    "shops": "Shops from multi-shop feature",
    "specific_price_rules": "Specific price management",
    "specific_prices": "Specific price management",
    "states": "The available states of countries",
    "stock_availables": "Available quantities",
    "stock_movement_reasons": "Stock movement reason",
    "stock_movements": "Stock movements",
    "stocks": "Stocks",
    "stores": "The stores",
    "suppliers": "The product suppliers",
    "supply_order_details": "Supply Order Details",
    "supply_order_histories": "Supply Order Histories",
    "supply_order_receipt_histories": "Supply Order Receipt Histories",
    "supply_order_states": "Supply Order Statuses",
    "supply_orders": "Supply Orders",
    "tags": "The Products tags",
    "tax_rule_groups": "Tax rule groups",
    "tax_rules": "Tax rules entity",
    "taxes": "The tax rate",
    "translated_configurations": "Shop configuration",
    "warehouse_product_locations": "Location of products in warehouses",
    "warehouses": "Warehouses",
    "weight_ranges": "Weight ranges",
    "zones": "The Countries zones",
}
SPECIFIC_MANAGEMENT = frozenset({"attachments", "images", "search"})
FORBIDDEN = {
    "search": _READ_ONLY,
    "stock_movements": _READ_ONLY,
    "stocks": _READ_ONLY,
    "warehouse_product_locations": _READ_ONLY,
    "supply_orders": _READ_ONLY,
    "supply_order_details": _READ_ONLY,
    "supply_order_states": _READ_ONLY,
    "supply_order_histories": _READ_ONLY,
    "supply_order_receipt_histories": _READ_ONLY,
    "warehouses": frozenset({"DELETE"}),
    "stock_availables": frozenset({"POST", "DELETE"}),
}
