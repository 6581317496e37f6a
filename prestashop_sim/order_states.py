"""Order states and their PS_OS_* configuration keys: the recorded 8.1.2 shop's, or a spec.

A spec is a list of dicts, in the order GET /api/order_states lists them:
{"id": 21, "name": "Sent", "shipped": true, "delivery": true, "paid": true, "logable": true,
 "invoice": true, "config": "PS_OS_SHIPPING", "config_id": 120, "module_name": "",
 "color": "#01B887", "template": "shipped", "send_email": true, "pdf_invoice": false}
Missing flags are 0; names and templates are the same in every language of `languages`.
"""

from prestashop_sim.orders_store import ConfigurationRow, OrderState, flag

FLAGS = (
    "logable",
    "shipped",
    "paid",
    "delivery",
    "invoice",
    "send_email",
    "pdf_invoice",
    "pdf_delivery",
    "unremovable",
    "hidden",
    "deleted",
)
# The recorded shop (transcript orders/70, 71): in its list order, with the flags that are set.
RECORDED = (
    (2, "Payment accepted", "payment", "#3498D8", "", "send_email invoice logable paid "
     "pdf_invoice"),
    (3, "Processing in progress", "preparation", "#3498D8", "", "send_email delivery invoice "
     "logable paid"),
    (4, "Shipped", "shipped", "#01B887", "", "send_email delivery invoice logable shipped paid"),
    (5, "Delivered", "", "#01B887", "", "delivery invoice logable shipped paid"),
    (6, "Canceled", "order_canceled", "#2C3E50", "", "send_email"),
    (7, "Refunded", "refund", "#01B887", "", "send_email invoice"),
    (8, "Payment error", "payment_error", "#E74C3C", "", "send_email"),
    (9, "On backorder (paid)", "outofstock", "#3498D8", "", "send_email invoice paid"),
    (11, "Remote payment accepted", "payment", "#3498D8", "", "send_email invoice logable paid"),
    (12, "On backorder (not paid)", "outofstock", "#34209E", "", "send_email"),
    (13, "Awaiting Cash On Delivery validation", "cashondelivery", "#34209E",
     "ps_cashondelivery", ""),
    (1, "Awaiting check payment", "cheque", "#34209E", "ps_checkpayment", "send_email"),
    (10, "Awaiting bank wire payment", "bankwire", "#34209E", "ps_wirepayment", "send_email"),
)  # fmt: skip
RECORDED_CONFIG = {
    "PS_OS_PAYMENT": (118, 2),
    "PS_OS_SHIPPING": (120, 4),
    "PS_OS_DELIVERED": (121, 5),
    "PS_OS_CANCELED": (122, 6),
    "PS_OS_REFUND": (123, 7),
    "PS_OS_ERROR": (124, 8),
}
# What the side endpoint's named actions set, by configuration key.
ACTIONS = {
    "pay": "PS_OS_PAYMENT",
    "ship": "PS_OS_SHIPPING",
    "deliver": "PS_OS_DELIVERED",
    "cancel": "PS_OS_CANCELED",
    "refund": "PS_OS_REFUND",
    "error": "PS_OS_ERROR",
}
LANGUAGES = (1, 2)


def recorded_spec() -> list[dict]:
    """The recorded shop's states as a spec."""
    configs = {state: (name, cid) for name, (cid, state) in RECORDED_CONFIG.items()}
    spec = []
    for sid, name, template, color, module, flags in RECORDED:
        entry = {"id": sid, "name": name, "template": template, "color": color}
        entry |= {"module_name": module, "unremovable": True}
        entry |= dict.fromkeys(flags.split(), True)
        if sid in configs:
            entry["config"], entry["config_id"] = configs[sid]
        spec.append(entry)
    return spec


def build(spec: list[dict] | None, *, timezone: str, languages=LANGUAGES) -> tuple[list, list]:
    """(states, configuration rows) from a spec (None: the recorded shop's)."""
    spec = recorded_spec() if spec is None else spec
    states, configs = [], []
    next_config = max((int(e.get("config_id", 0)) for e in spec), default=0) or 117
    for entry in spec:
        states.append(_state(entry, languages))
        if entry.get("config"):
            if "config_id" in entry:
                config_id = int(entry["config_id"])
            else:
                next_config += 1
                config_id = next_config
            configs.append(ConfigurationRow(config_id, entry["config"], str(entry["id"])))
    if len({s.id for s in states}) != len(states):
        raise ValueError("order state ids must be unique")
    top = max((c.id for c in configs), default=117)
    configs.append(ConfigurationRow(top + 1, "PS_TIMEZONE", timezone))
    return states, sorted(configs, key=lambda c: c.id)


def _state(entry: dict, languages) -> OrderState:
    unknown = set(entry) - {*FLAGS, "id", "name", "template", "color", "module_name"}
    unknown -= {"config", "config_id"}
    if unknown:
        raise ValueError(f"unknown order state keys: {sorted(unknown)}")
    name, template = str(entry["name"]), str(entry.get("template", ""))
    return OrderState(
        id=int(entry["id"]),
        name=dict.fromkeys(languages, name),
        template=dict.fromkeys(languages, template),
        module_name=str(entry.get("module_name", "")),
        color=str(entry.get("color", "#34209E")),
        **{f: flag(bool(entry.get(f, f == "unremovable"))) for f in FLAGS},
    )
