"""Order-side resources of PrestaShop 8.1: fields in webservice order (id, the fields named in
$webserviceParameters, then the rest of $definition), kinds and xlinks.

Kinds decide JSON types on PHP >= 8.1 through the values the entities hold: TYPE_INT columns
are Python ints (JSON numbers), TYPE_BOOL columns "0"/"1" strings, floats "0.000000" strings.
"""

from prestashop_sim.resources import ID, Field, Resource, fields_of

_TOTALS = (
    "total_discounts",
    "total_discounts_tax_incl",
    "total_discounts_tax_excl",
    "total_paid",
    "total_paid_tax_incl",
    "total_paid_tax_excl",
    "total_paid_real",
    "total_products",
    "total_products_wt",
    "total_shipping",
    "total_shipping_tax_incl",
    "total_shipping_tax_excl",
    "carrier_tax_rate",
    "total_wrapping",
    "total_wrapping_tax_incl",
    "total_wrapping_tax_excl",
)
ORDERS = Resource(
    name="orders",
    singular="order",
    class_name="Order",
    associations=("order_rows",),
    fields=(
        ID,
        Field("id_address_delivery", xlink="addresses"),
        Field("id_address_invoice", xlink="addresses"),
        Field("id_cart", xlink="carts"),
        Field("id_currency", xlink="currencies"),
        Field("id_lang", xlink="languages"),
        Field("id_customer", xlink="customers"),
        Field("id_carrier", xlink="carriers"),
        Field("current_state", xlink="order_states"),
        Field("module", kind="str"),
        Field("invoice_number"),
        Field("invoice_date", kind="date"),
        Field("delivery_number"),
        Field("delivery_date", kind="date"),
        Field("valid", kind="bool"),
        *fields_of("date", "date_add", "date_upd"),
        Field("shipping_number", kind="str", getter=True),
        Field("note", kind="str"),
        *fields_of("int", "id_shop_group", "id_shop"),
        *fields_of("str", "secure_key", "payment"),
        *fields_of("bool", "recyclable", "gift"),
        Field("gift_message", kind="str"),
        Field("mobile_theme", kind="bool"),
        *fields_of("decimal", *_TOTALS),
        *fields_of("int", "round_mode", "round_type"),
        Field("conversion_rate", kind="decimal"),
        Field("reference", kind="str"),
    ),
)
# The rows of <associations><order_rows> (Order::$webserviceParameters), with their xlinks.
ORDER_ROW_FIELDS = (
    ("id", None),
    ("product_id", "products"),
    ("product_attribute_id", None),
    ("product_quantity", None),
    ("product_name", None),
    ("product_reference", None),
    ("product_ean13", None),
    ("product_isbn", None),
    ("product_upc", None),
    ("product_price", None),
    ("id_customization", "customizations"),
    ("unit_price_tax_incl", None),
    ("unit_price_tax_excl", None),
)
ORDER_DETAILS = Resource(
    name="order_details",
    singular="order_detail",
    class_name="OrderDetail",
    fields=(
        ID,
        Field("id_order", xlink="orders"),
        Field("product_id", xlink="products"),
        Field("product_attribute_id", xlink="combinations"),
        Field("product_quantity_reinjected"),
        Field("group_reduction", kind="decimal"),
        Field("discount_quantity_applied"),
        Field("download_hash", kind="str"),
        Field("download_deadline", kind="date"),
        *fields_of("int", "id_order_invoice", "id_warehouse", "id_shop", "id_customization"),
        Field("product_name", kind="str"),
        *fields_of(
            "int",
            "product_quantity",
            "product_quantity_in_stock",
            "product_quantity_return",
            "product_quantity_refunded",
        ),
        *fields_of(
            "decimal",
            "product_price",
            "reduction_percent",
            "reduction_amount",
            "reduction_amount_tax_incl",
            "reduction_amount_tax_excl",
            "product_quantity_discount",
        ),
        *fields_of(
            "str",
            "product_ean13",
            "product_isbn",
            "product_upc",
            "product_mpn",
            "product_reference",
            "product_supplier_reference",
        ),
        Field("product_weight", kind="decimal"),
        *fields_of("int", "tax_computation_method", "id_tax_rules_group"),
        *fields_of("decimal", "ecotax", "ecotax_tax_rate"),
        Field("download_nb"),
        *fields_of(
            "decimal",
            "unit_price_tax_incl",
            "unit_price_tax_excl",
            "total_price_tax_incl",
            "total_price_tax_excl",
            "total_shipping_price_tax_excl",
            "total_shipping_price_tax_incl",
            "purchase_supplier_price",
            "original_product_price",
            "original_wholesale_price",
        ),
    ),
)
ORDER_STATES = Resource(
    name="order_states",
    singular="order_state",
    class_name="OrderState",
    fields=(
        ID,
        *fields_of("bool", "unremovable", "delivery", "hidden", "send_email"),
        Field("module_name", kind="str"),
        Field("invoice", kind="bool"),
        Field("color", kind="str"),
        *fields_of("bool", "logable", "shipped", "paid", "pdf_delivery", "pdf_invoice", "deleted"),
        *fields_of("lang", "name", "template"),
    ),
)
ORDER_HISTORIES = Resource(
    name="order_histories",
    singular="order_history",
    class_name="OrderHistory",
    fields=(
        ID,
        Field("id_employee", xlink="employees"),
        Field("id_order_state", xlink="order_states"),
        Field("id_order", xlink="orders"),
        Field("date_add", kind="date"),
    ),
)
CONFIGURATIONS = Resource(
    name="configurations",
    singular="configuration",
    class_name="Configuration",
    fields=(
        ID,
        *fields_of("str", "value", "name"),
        *fields_of("int", "id_shop_group", "id_shop"),
        *fields_of("date", "date_add", "date_upd"),
    ),
)
ORDER_RESOURCES = {
    r.name: r for r in (ORDERS, ORDER_DETAILS, ORDER_STATES, ORDER_HISTORIES, CONFIGURATIONS)
}
