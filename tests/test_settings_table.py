"""One list of settings (invsync/envvars.py), and the three places that state it agree:
.env.example, README.md's settings table and the code that reads the environment."""

import ast
import importlib.util
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from invsync.envvars import COMPOSE, GUNICORN, HEALTHCHECK, INVSYNC, REGISTRY

ROOT = Path(__file__).resolve().parent.parent
ENTRY = re.compile(r"^(# )?([A-Z][A-Z0-9_]*)=(.*)$")
TABLE_ROW = re.compile(r"^\| `([A-Z][A-Z0-9_]*)` \| ([^|]+) \| (.+?) \| (.+) \|$")


@dataclass(frozen=True)
class Entry:
    """One setting in .env.example: its value, whether it is set, and the comment above it."""

    value: str
    active: bool
    comment: tuple[str, ...]

    @property
    def default(self) -> str:
        """The default the entry states: its "Default:" line, else the value it shows."""
        if self.comment and self.comment[-1].startswith("Default: "):
            return self.comment[-1].removeprefix("Default: ")
        return self.value or "empty"

    @property
    def description(self) -> list[str]:
        return [line for line in self.comment if not line.startswith(("Default: ", "---"))]


def env_example_entries() -> dict[str, Entry]:
    """NAME -> Entry for every NAME=value and # NAME=value line; a setting listed twice fails."""
    entries, comment = {}, []
    for line in (ROOT / ".env.example").read_text(encoding="utf-8").splitlines():
        match = ENTRY.match(line)
        if match:
            commented, name, value = match.groups()
            assert name not in entries, f".env.example lists {name} twice"
            entries[name] = Entry(value, not commented, tuple(comment))
            comment = []
        elif line.startswith("#"):
            comment.append(line.removeprefix("#").strip())
        else:
            comment = []
    return entries


def settings_table_module():
    spec = importlib.util.spec_from_file_location(
        "settings_table", ROOT / "scripts/settings_table.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def readme_rows() -> dict[str, tuple[str, str, str]]:
    """NAME -> (kind, default, meaning) of each row of README.md's settings table."""
    table = settings_table_module()
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = readme.partition(table.START)[2].partition(table.END)[0]
    rows = {}
    for line in block.splitlines():
        match = TABLE_ROW.match(line)
        if match:
            name, kind, default, meaning = match.groups()
            assert name not in rows, f"README.md's table lists {name} twice"
            rows[name] = (kind, default.strip("`"), meaning)
    return rows


def names_read_in(path: Path) -> set[str]:
    """Names passed as a string to read() or setting() in a Python file."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call) and getattr(node.func, "id", "") in {"read", "setting"}:
            first = node.args[0] if node.args else None
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                found.add(first.value)
    return found


def test_env_example_lists_every_setting_of_the_registry_and_nothing_else():
    listed = set(env_example_entries())
    assert sorted(set(REGISTRY) - listed) == [], "missing from .env.example"
    assert sorted(listed - set(REGISTRY)) == [], "in .env.example but not in invsync/envvars.py"


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_env_example_describes_each_setting_with_the_registrys_default_and_value(name):
    var, entry = REGISTRY[name], env_example_entries()[name]
    assert entry.description, f"{name} has no comment saying what it does"
    assert entry.default == var.default_text
    assert entry.value == var.shown_value


def test_every_setting_with_a_worked_out_default_has_a_value_to_show():
    assert [v.name for v in REGISTRY.values() if v.shown_value is None] == []


def test_readme_table_lists_every_setting_of_the_registry_with_its_default():
    rows = readme_rows()
    assert sorted(set(REGISTRY) - set(rows)) == [], "missing from README.md"
    assert sorted(set(rows) - set(REGISTRY)) == [], "in README.md but not in the registry"
    for name, (kind, default, _meaning) in rows.items():
        var = REGISTRY[name]
        assert (kind, default) == (var.kind, var.default_text), name


def test_readme_table_is_the_one_the_script_writes():
    table = settings_table_module()
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert table.with_table(readme) == readme, "run scripts/settings_table.py --write"


def test_the_code_reads_exactly_the_registered_settings_and_only_through_the_registry():
    by_reader = {
        INVSYNC: names_read_in(ROOT / "invsync/settings.py"),
        GUNICORN: names_read_in(ROOT / "deploy/gunicorn.conf.py"),
        HEALTHCHECK: names_read_in(ROOT / "deploy/healthcheck.py"),
    }
    for reader, read in by_reader.items():
        registered = {name for name, var in REGISTRY.items() if var.read_by == reader}
        assert registered <= read, f"{reader} does not read {sorted(registered - read)}"
    read_anywhere = set().union(*by_reader.values())
    assert read_anywhere == {name for name, var in REGISTRY.items() if var.read_by != COMPOSE}
    settings_source = (ROOT / "invsync/settings.py").read_text(encoding="utf-8")
    assert not re.search(r"os\.environ|getenv|\benv(_bool|_int|_float|_list)?\(", settings_source)


def test_every_docker_compose_only_setting_is_used_by_the_compose_file():
    compose = (ROOT / "docker-compose.yml").read_text(encoding="utf-8")
    for name, var in REGISTRY.items():
        if var.read_by == COMPOSE:
            assert "${" + name in compose, name
