"""Settings of one simulated shop: PrestaShop version and its version-dependent quirks."""

from dataclasses import dataclass

MULTI_ROW_STYLES = ("accept", "refuse", "first_only")


def parse_version(version: str) -> tuple[int, ...]:
    """Turn "1.7.8.11" into (1, 7, 8, 11); non-numeric parts count as 0."""
    return tuple(int(part) if part.isdigit() else 0 for part in version.split("."))


@dataclass
class SimConfig:
    """What kind of shop the simulator pretends to be (fields may change at runtime)."""

    ps_version: str = "8.1.7"
    # PS 8.0/8.1 on PHP >= 8.1 return integer columns as JSON numbers (issue #36836).
    json_ints: bool = False
    webservice_enabled: bool = True
    shop_name: str = "invsync test shop"
    # The shop's domain (PS_SHOP_DOMAIN, "host:port"); a request for another Host gets a 302
    # to it and nothing runs (orders/124-134). None accepts every Host.
    shop_domain: str | None = None
    # False: no rewrite rule, /api/... is the shop's 404 page; only dispatcher.php answers (146).
    url_rewriting: bool = True
    # Several entities in one PUT/PATCH: "accept" (every PrestaShop, transcripts 25-30),
    # "refuse" (a module or proxy answers multi_row_status, nothing written) or "first_only"
    # (only the first entity is written and echoed).
    multi_row: str = "accept"
    multi_row_status: int = 400
    # Install folder named in leaked PHP warnings.
    install_dir: str = "/var/www/html/"

    def __post_init__(self):
        if self.multi_row not in MULTI_ROW_STYLES:
            raise ValueError(
                f"unknown multi_row style {self.multi_row!r}; known: {', '.join(MULTI_ROW_STYLES)}"
            )

    @property
    def modern(self) -> bool:
        """True for 8.0 and later (PATCH, falsy stripping in JSON, real 304)."""
        return parse_version(self.ps_version) >= (8, 0)

    @property
    def methods(self) -> tuple[str, ...]:
        """HTTP methods the dispatcher knows (1.7 has no PATCH)."""
        base = ("GET", "PUT", "POST", "DELETE", "HEAD")
        return (*base, "PATCH") if self.modern else base

    @property
    def quantity_max_size(self) -> int | None:
        """Max length of stock_available.quantity (added in 8.0)."""
        return 10 if self.modern else None

    def php_warning(self, message: str, file: str, line: int) -> tuple[int, str]:
        """A PHP warning as the webservice's error handler reports it (code 3)."""
        return 3, f"[PHP Warning #2] {message} ({self.install_dir}{file}, line {line})"
