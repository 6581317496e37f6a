"""python -m prestashop_sim: run a simulated PrestaShop webservice."""

import argparse
import json
import signal
import sys

from prestashop_sim.auth import DEFAULT_KEY, DISABLED_KEY, READ_ONLY_KEY
from prestashop_sim.config import MULTI_ROW_STYLES
from prestashop_sim.load import RATE_MODES
from prestashop_sim.server import SimServer
from prestashop_sim.testing import build_simulator

# Options that are not build_simulator keyword arguments of the same name.
_NOT_SETTINGS = ("host", "port", "catalogue_file", "shop_layout", "webservice_disabled", "faults")


def parser() -> argparse.ArgumentParser:
    """Command-line options; every option of build_simulator and of the load model."""
    p = argparse.ArgumentParser(
        prog="python -m prestashop_sim",
        description="A PrestaShop webservice simulator (/api/ and /webservice/dispatcher.php) "
        "with a load model, fault injection and a JSON side endpoint under /_sim/.",
    )
    _add_shop_options(p)
    _add_write_options(p)
    _add_catalogue_options(p)
    _add_load_options(p)
    _add_rate_options(p)
    return p


def _add_shop_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8081, help="port; 0 picks a free one (default 8081)")
    p.add_argument("--key", default=DEFAULT_KEY, help="32-character key with full stock rights")
    p.add_argument(
        "--ps-version",
        default="8.1.7",
        help="PrestaShop version to emulate, e.g. 8.1.7 or 1.7.8.11 (no PATCH)",
    )
    p.add_argument(
        "--json-ints",
        action="store_true",
        help="JSON integer columns as numbers (PS 8.0/8.1 on PHP >= 8.1)",
    )
    p.add_argument(
        "--webservice-disabled",
        action="store_true",
        help="answer every request 503/22 (webservice switched off)",
    )
    p.add_argument("--shop-name", default="invsync test shop", help="shopName in GET /api/")
    p.add_argument(
        "--shop-domain",
        help="the shop's host:port; requests for another Host get a 302 to it (default: any)",
    )
    p.add_argument(
        "--no-url-rewriting",
        dest="url_rewriting",
        action="store_false",
        help="no /api/ rewrite: only /webservice/dispatcher.php?url=... answers",
    )
    p.add_argument("--install-dir", default="/var/www/html/", help="path in PHP warnings")


def _add_write_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--multi-row",
        choices=MULTI_ROW_STYLES,
        default="accept",
        help="several entities in one PUT/PATCH: accept (PrestaShop), refuse (answer "
        "--multi-row-status, write nothing) or first_only (write and echo the first)",
    )
    p.add_argument(
        "--multi-row-status",
        type=int,
        default=400,
        help="status of a refused multi-row write: 400 is the webservice's code 90, "
        "anything else a proxy's HTML page (default 400)",
    )


def _add_catalogue_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--products", type=int, default=0, help="number of generated products")
    p.add_argument(
        "--combination-share",
        type=float,
        default=0.2,
        help="share of generated products with 2-4 combinations (default 0.2)",
    )
    p.add_argument("--seed", type=int, default=1, help="seed of catalogue, jitter and faults")
    p.add_argument(
        "--catalogue-file",
        help="JSON list of items: reference, ean13, quantity, "
        "combinations: [{reference, ean13, quantity}], optional id/stock_id/name",
    )
    p.add_argument(
        "--section9",
        action="store_true",
        help="load the reference's wire-example shop (products 7 and 8)",
    )
    p.add_argument(
        "--transcript-shop",
        action="store_true",
        help="load the 8.1.2 demo shop of the reference transcripts (19 products, 58 rows)",
    )
    p.add_argument(
        "--shop-layout",
        help='multistore JSON, e.g. {"groups": [{"id": 1, '
        '"share_stock": true, "shops": [1, 2]}], "default_shop": 1}',
    )


def _add_load_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--read-latency", type=float, default=0.0, help="seconds per GET/HEAD")
    p.add_argument("--write-latency", type=float, default=0.0, help="seconds per PUT/PATCH")
    p.add_argument(
        "--write-row-latency",
        type=float,
        default=0.0,
        help="extra seconds per stock row a PUT/PATCH writes (a 200-row batch costs 200 of them)",
    )
    p.add_argument("--jitter", type=float, default=0.0, help="extra random 0..N seconds")
    p.add_argument(
        "--capacity",
        type=int,
        default=None,
        help="requests served at once; more wait for a slot (default unlimited)",
    )
    p.add_argument(
        "--faults",
        help='fault rules as JSON, e.g. [{"kind": "rate_limited", "probability": 0.05}]',
    )


def _add_rate_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--rate-limit",
        type=int,
        default=None,
        help="requests admitted per window, then proxy 429 (default unlimited)",
    )
    p.add_argument("--rate-window", type=float, default=60.0, help="window seconds (default 60)")
    p.add_argument(
        "--rate-mode",
        choices=RATE_MODES,
        default="sliding",
        help="sliding log, fixed window, or leaky bucket at rate-limit per window with "
        "--rate-burst, as nginx limit_req (default sliding)",
    )
    p.add_argument(
        "--rate-burst", type=int, default=0, help="leaky bucket: requests over the rate queued"
    )
    p.add_argument(
        "--rate-nodelay",
        action="store_true",
        help="leaky bucket: serve the burst at once instead of spacing it (nginx nodelay)",
    )
    p.add_argument(
        "--no-retry-after",
        dest="retry_after",
        action="store_false",
        help="send 429 without a Retry-After header",
    )


def main(argv: list[str] | None = None) -> int:
    """Build the shop, print its URL and keys, serve until interrupted."""
    cli = parser()
    args = cli.parse_args(argv)
    if len(args.key) != 32:
        cli.error("--key must be exactly 32 characters, as PrestaShop keys are")
    items = None
    if args.catalogue_file:
        with open(args.catalogue_file, encoding="utf-8") as file:
            items = json.load(file)
    settings = {k: v for k, v in vars(args).items() if k not in _NOT_SETTINGS}
    sim = build_simulator(
        items=items,
        webservice_enabled=not args.webservice_disabled,
        layout=json.loads(args.shop_layout) if args.shop_layout else None,
        faults=json.loads(args.faults) if args.faults else None,
        **settings,
    )
    server = SimServer((args.host, args.port), sim)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print(f"URL {server.url} (webservice at {server.url}api/, PrestaShop {args.ps_version})")
    print(f"KEY {args.key}")
    print(f"READ_ONLY_KEY {READ_ONLY_KEY} DISABLED_KEY {DISABLED_KEY}")
    print(
        f"CATALOGUE {len(sim.store.products)} products, {len(sim.store.rows)} stock rows",
        flush=True,
    )
    try:
        server.serve_forever(poll_interval=0.2)
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
