"""Webservice errors as PrestaShop reports them (HTTP status + list of (code, message))."""


class WsError(Exception):
    """An error response; status is that of the last setError call, as in PrestaShop."""

    def __init__(self, status: int, *errors: tuple[int, str]):
        super().__init__(errors[0][1] if errors else str(status))
        self.status = status
        self.errors = list(errors)


class ProxyRefusal(Exception):
    """A proxy or firewall in front of the shop refuses the request with its own page."""

    def __init__(self, status: int):
        super().__init__(f"refused with {status}")
        self.status = status


def closest(word: str, candidates: list[str]) -> str:
    """PrestaShop's getClosest: Levenshtein-nearest candidate, ties go to the later one."""
    best, shortest = "", -1
    for candidate in candidates:
        distance = levenshtein(word, candidate)
        if distance == 0:
            return candidate
        if distance <= shortest or shortest < 0:
            best, shortest = candidate, distance
    return best


def did_you_mean(status: int, label: str, word: str, candidates: list[str], code: int) -> WsError:
    """setErrorDidYouMean: the label, the closest value and the full list."""
    message = f'{label}. Did you mean: "{closest(word, candidates)}"?'
    if len(candidates) > 1:
        message += ' The full list is: "' + '", "'.join(candidates) + '"'
    return WsError(status, (code, message))


def levenshtein(a: str, b: str) -> int:
    """Edit distance with unit costs (PHP levenshtein)."""
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]
