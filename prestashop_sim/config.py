"""Settings of one simulated shop: PrestaShop version and its version-dependent quirks."""

from dataclasses import dataclass


def parse_version(version: str) -> tuple[int, ...]:
    """Turn "1.7.8.11" into (1, 7, 8, 11); non-numeric parts count as 0."""
    return tuple(int(part) if part.isdigit() else 0 for part in version.split("."))


@dataclass
class SimConfig:
    """What kind of shop the simulator pretends to be."""

    ps_version: str = "8.1.7"
    # PS 8.0/8.1 on PHP >= 8.1 return integer columns as JSON numbers (issue #36836).
    json_ints: bool = False
    webservice_enabled: bool = True
    shop_name: str = "invsync test shop"
    # Errors 32/38 on PHP 8 come as 500 with the PHP warnings PrestaShop leaks (orders/73, 76).
    php_warnings: bool = False

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
