"""Multistore layout: shop groups, shops, and which stock scopes rows live in."""

from dataclasses import dataclass, field


@dataclass
class ShopGroup:
    """A shop group; share_stock=True keeps one stock row per group (id_shop=0)."""

    id: int
    name: str = "Default"
    share_stock: bool = False
    active: bool = True
    share_customer: bool = False
    share_order: bool = False
    deleted: bool = False


@dataclass
class Shop:
    """A shop of the multistore."""

    id: int
    id_shop_group: int = 1
    name: str = "Shop"
    active: bool = True
    id_category: int = 2
    deleted: bool = False
    theme_name: str = "classic"


@dataclass
class ShopLayout:
    """Groups and shops; the default shop is the one the request host would match."""

    groups: dict[int, ShopGroup] = field(default_factory=lambda: {1: ShopGroup(1)})
    shops: dict[int, Shop] = field(default_factory=lambda: {1: Shop(1, name="invsync test shop")})
    default_shop: int = 1

    @classmethod
    def from_spec(cls, spec: dict) -> "ShopLayout":
        """Build from {"groups": [{"id": 1, "share_stock": true, "shops": [1, 2]}], ...}."""
        groups, shops = {}, {}
        for group in spec.get("groups", []):
            gid = int(group["id"])
            groups[gid] = ShopGroup(
                gid,
                name=group.get("name", f"Group {gid}"),
                share_stock=bool(group.get("share_stock")),
            )
            for sid in group.get("shops", []):
                shops[int(sid)] = Shop(int(sid), id_shop_group=gid, name=f"Shop {sid}")
        if not shops:
            return cls()
        return cls(groups, shops, int(spec.get("default_shop", min(shops))))

    def group_of(self, shop_id: int) -> int:
        """Group id of a shop (0 for an unknown shop)."""
        shop = self.shops.get(shop_id)
        return shop.id_shop_group if shop else 0

    def active_shops(self, group_id: int | None = None) -> list[int]:
        """Active shop ids, optionally of one group."""
        return [
            s.id
            for s in self.shops.values()
            if s.active and (group_id is None or s.id_shop_group == group_id)
        ]

    def stock_scopes(self) -> list[tuple[int, int]]:
        """(id_shop, id_shop_group) of every place a product's stock rows live."""
        scopes = []
        for group in self.groups.values():
            if group.share_stock:
                scopes.append((0, group.id))
            else:
                scopes.extend((sid, 0) for sid in self.active_shops(group.id))
        return scopes

    def scope_of_shop(self, shop_id: int) -> tuple[int, int]:
        """The stock scope a shop reads and writes: its own rows, or its group's shared rows."""
        group = self.groups.get(self.group_of(shop_id))
        if group is not None and group.share_stock:
            return (0, group.id)
        return (shop_id, 0)

    def row_visible(self, id_shop: int, id_shop_group: int, shop_ids: frozenset[int]) -> bool:
        """True if a row is in the context: its shop is, or it is the shared row of their group."""
        if id_shop in shop_ids:
            return True
        return id_shop == 0 and any(self.group_of(s) == id_shop_group for s in shop_ids)
