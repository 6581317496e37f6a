"""manage.py demo: a fresh demo database, demo data, a few documents, the resulting stock.

Temporary: the README's first command (scripts/demo.sh) runs this; the shop sync will join
it later. It deletes and recreates the database only when it is the demo SQLite file
(``.../demo/invsync.sqlite3``); any other database must be empty of products.
"""

import secrets
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.utils import translation

from warehouse import services
from warehouse.demo_data import load_demo_catalogue
from warehouse.exceptions import LedgerError
from warehouse.models import Document, Product, StockLevel, StockMovement, Warehouse
from warehouse.selectors import ledger_mismatches


def demo_database_path() -> Path | None:
    """The SQLite file if the database is the demo one (safe to delete), else None."""
    db = connection.settings_dict
    name = str(db.get("NAME") or "")
    if not db["ENGINE"].endswith("sqlite3") or name in ("", ":memory:") or name.startswith("file:"):
        return None
    path = Path(name).resolve()
    if path.name == "invsync.sqlite3" and path.parent.name == "demo":
        return path
    return None


class Command(BaseCommand):
    help = "Set up a fresh demo database, load demo data, approve a few documents, show stock."

    def add_arguments(self, parser):
        parser.add_argument("--products", type=int, default=200, help="demo catalogue size")
        parser.add_argument("--seed", type=int, default=2026, help="demo catalogue seed")

    def handle(self, *args, **options):
        with translation.override("en"):
            self._fresh_database()
            password = self._create_admin()
            admin = get_user_model().objects.get(username="admin")
            catalogue = load_demo_catalogue(options["products"], seed=options["seed"], user=admin)
            self.stdout.write(
                f"Demo data: {len(catalogue.products)} products in "
                f"{len(catalogue.warehouses)} warehouses, opening stock booked by "
                + ", ".join(receipt.number for receipt in catalogue.receipts)
            )
            touched = self._run_documents(catalogue.products, admin)
            self._print_stock(touched)
            self._print_summary()
            self._print_admin_help(password)

    def _fresh_database(self):
        path = demo_database_path()
        if path is not None:
            connection.close()
            for suffix in ("", "-wal", "-shm", "-journal"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
            path.parent.mkdir(parents=True, exist_ok=True)
            self.stdout.write(f"Fresh demo database: {path}")
        call_command("migrate", verbosity=0, interactive=False)
        if path is None and Product.objects.exists():
            raise CommandError(
                "This database already has products and is not the demo database "
                "(var/demo/invsync.sqlite3); run the demo with scripts/demo.sh."
            )

    def _create_admin(self) -> str:
        password = secrets.token_urlsafe(12)
        user_model = get_user_model()
        user, _created = user_model.objects.get_or_create(
            username="admin", defaults={"is_staff": True, "is_superuser": True}
        )
        user.set_password(password)
        user.save()
        return password

    def _run_documents(self, products, admin) -> list[Product]:
        main, spare = Warehouse.objects.get(code="MAG"), Warehouse.objects.get(code="ZAP")
        a, b, c, d = products[:4]
        steps = [
            ("PZ", main, [(a, 10), (b, 5), (c, 20)], "approve"),
            ("WZ", main, [(a, 3), (c, 7)], "approve"),
            ("WZ", main, [(b, 10_000), (d, 10_000)], "approve"),
            ("INW", spare, [(a, 4), (b, 0)], "approve"),
            ("OUT", main, [(c, 2)], "approve and cancel"),
        ]
        self.stdout.write("\nDocuments:")
        for kind, warehouse, lines, action in steps:
            document = services.create_document(kind, warehouse, lines, user=admin)
            try:
                services.approve(document, user=admin)
                self.stdout.write(f"  approved  {document.number} ({warehouse.code})")
                if "cancel" in action:
                    services.cancel(document, user=admin)
                    self.stdout.write(f"  cancelled {document.number} (reverse booked)")
            except LedgerError as exc:
                self.stdout.write(f"  REFUSED   {document.number}: {exc}")
        return [a, b, c, d]

    def _print_stock(self, products):
        codes = list(Warehouse.objects.values_list("code", flat=True))
        levels = {
            (sku, code): quantity
            for sku, code, quantity in StockLevel.objects.filter(product__in=products).values_list(
                "product__sku", "warehouse__code", "quantity"
            )
        }
        self.stdout.write("\nStock of the products above:")
        self.stdout.write(f"  {'SKU':<12} {'name':<40} " + " ".join(f"{c:>6}" for c in codes))
        for product in products:
            cells = " ".join(f"{levels.get((product.sku, code), 0):>6}" for code in codes)
            self.stdout.write(f"  {product.sku:<12} {product.name[:40]:<40} {cells}")

    def _print_summary(self):
        self.stdout.write("\nSummary:")
        for warehouse in Warehouse.objects.all():
            total = sum(warehouse.stock_levels.values_list("quantity", flat=True))
            self.stdout.write(f"  {warehouse.code} {warehouse.name}: {total} units")
        by_status = {
            status: Document.objects.filter(status=status).count()
            for status in Document.Status.values
        }
        self.stdout.write(
            f"  documents: {by_status}, movements: {StockMovement.objects.count()}, "
            f"products: {Product.objects.count()}"
        )
        mismatches = ledger_mismatches()
        self.stdout.write(
            "  ledger check: OK, every balance equals the sum of its movements"
            if not mismatches
            else f"  ledger check: {len(mismatches)} MISMATCHES"
        )

    def _print_admin_help(self, password):
        db = connection.settings_dict["NAME"]
        self.stdout.write(
            "\nOpen the admin (Polish):\n"
            f"  DEBUG=1 DATABASE_URL=sqlite:///{db} .venv/bin/python manage.py runserver\n"
            "  then http://127.0.0.1:8000/admin/  user: admin  password: "
            f"{password}"
        )
