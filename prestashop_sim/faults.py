"""Fault injection: what broken shops, hosts and proxies do, chosen by rules at runtime."""

import random
import threading
from dataclasses import asdict, dataclass, field

KINDS = (
    "http_error",  # `status` (500/502/503/504) with a proxy/PHP HTML page
    "rate_limited",  # a proxy's 429 page with Retry-After: `seconds` (variant "no_retry_after":
    # without the header); PrestaShop itself never sends 429
    "hang",  # sleep `seconds` before the shop works, so a write lands after the client gave
    # up (variant "after": the shop works first, then the answer hangs)
    "drop",  # close the connection without any answer
    "maintenance",  # 503 with a host's HTML maintenance page
    "truncated",  # the body cut in half (Content-Length of the cut body)
    "malformed",  # the XML gets a stray unclosed tag
    "wrong_content_type",  # normal body, Content-Type text/html
    "php_leak",  # PHP notice output before the XML, Content-Type application/javascript
    "php_warning",  # 500 with a [PHP Warning #2] error entry instead of the answer
    "entity_bomb",  # 200 text/xml whose body declares exploding (or external) entities
    "ignore_filter",  # lists return every row, whatever filter[...] says
    "not_applied",  # writes answer 200 but the store keeps the old quantity; the echo shows
    # the sent value (variant "silent", the default) or the old one (variant "reverted")
)


@dataclass
class FaultRule:
    """When and how a fault fires; count=None means unlimited."""

    kind: str
    probability: float = 1.0
    count: int | None = None
    methods: frozenset[str] | None = None
    resources: frozenset[str] | None = None
    status: int = 503
    seconds: float = 5.0
    # entity_bomb: billion_laughs (default) | external; not_applied: silent (default) | reverted;
    # rate_limited: retry_after (default) | no_retry_after; hang: before (default) | after
    variant: str = "billion_laughs"
    fired: int = 0

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r}; known: {', '.join(KINDS)}")
        if self.methods is not None:
            self.methods = frozenset(m.upper() for m in self.methods)
        if self.resources is not None:
            self.resources = frozenset(self.resources)

    def matches(self, method: str, resource: str) -> bool:
        """True if the rule targets this request and has firings left."""
        if self.count is not None and self.fired >= self.count:
            return False
        if self.methods is not None and method.upper() not in self.methods:
            return False
        return self.resources is None or resource in self.resources

    def as_dict(self) -> dict:
        """JSON-friendly form."""
        data = asdict(self)
        for key in ("methods", "resources"):
            data[key] = sorted(data[key]) if data[key] is not None else None
        return data


@dataclass
class Faults:
    """The active fault rules and a seeded RNG deciding probabilistic ones."""

    seed_value: int = 0
    rules: list[FaultRule] = field(default_factory=list)

    def __post_init__(self):
        self._lock = threading.Lock()
        self._rng = random.Random(self.seed_value)

    def add(self, kind: str, **options) -> FaultRule:
        """Add a rule, e.g. add("http_error", status=502, probability=0.1, methods={"PUT"})."""
        rule = FaultRule(kind, **options)
        with self._lock:
            self.rules.append(rule)
        return rule

    def clear(self) -> None:
        """Remove every rule."""
        with self._lock:
            self.rules.clear()

    def seed(self, value: int) -> None:
        """Restart the RNG with a seed."""
        with self._lock:
            self.seed_value = value
            self._rng = random.Random(value)

    def configure(self, spec: dict) -> None:
        """Side-endpoint form: {"seed": n, "clear": true, "add": [{...}], "rules": [{...}]}."""
        if "seed" in spec:
            self.seed(int(spec["seed"]))
        if spec.get("clear") or "rules" in spec:
            self.clear()
        for item in spec.get("rules", []) + spec.get("add", []):
            self.add(**item)

    def draw(self, method: str, resource: str) -> dict[str, FaultRule]:
        """The rules that fire for one request, by kind (consumes counted firings)."""
        fired: dict[str, FaultRule] = {}
        with self._lock:
            for rule in self.rules:
                if rule.kind in fired or not rule.matches(method, resource):
                    continue
                if rule.probability >= 1 or self._rng.random() < rule.probability:
                    rule.fired += 1
                    fired[rule.kind] = rule
        return fired

    def as_list(self) -> list[dict]:
        """Every rule with its firing count."""
        with self._lock:
            return [rule.as_dict() for rule in self.rules]


def issue_10_mix(*, hang_seconds: float) -> list[dict]:
    """Issue 10's fault mix as rules: 10% 503, 5% 429 (half without Retry-After), 5% writes
    that hang `hang_seconds`, 3% truncated and 2% malformed bodies."""
    return [
        {"kind": "http_error", "status": 503, "probability": 0.10},
        {"kind": "rate_limited", "seconds": 1, "probability": 0.025},
        {"kind": "rate_limited", "variant": "no_retry_after", "probability": 0.025},
        {"kind": "hang", "seconds": hang_seconds, "probability": 0.05, "methods": ["PUT", "PATCH"]},
        {"kind": "truncated", "probability": 0.03},
        {"kind": "malformed", "probability": 0.02},
    ]
