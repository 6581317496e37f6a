"""The operators' guides in docs/: every command, flag, celery line and link they show is real.

A guide that tells a warehouse operator to type a command that does not exist (or a flag the
command refuses) is a bug, so each `manage.py <command>` is checked against Django's command
registry and each flag written next to it on the same line against that command's own parser.
"""

import argparse
import re
import shlex
from dataclasses import dataclass
from pathlib import Path

import pytest
from celery.bin.celery import celery as celery_cli
from celery.worker.control import Panel
from django.core.management import get_commands, load_command_class

DOCS = Path(__file__).resolve().parent.parent / "docs"
GUIDES = (
    "README.md",
    "PRESTASHOP_SYNC_GUIDE.md",
    "INTEGRATION_MANUAL_SYNC.md",
    "DOCKER_QUEUE_WORKERS.md",
    "QUEUE_COMMANDS.md",
    "INVENTORY_SYNC.md",
    "SERVER_OPERATIONS.md",
)
MANAGE_PY = re.compile(r"manage\.py\s+([a-z][a-z0-9_]*)")
CELERY = re.compile(r"(?:^|[\s/])celery\s+(.*)")
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
INLINE_CODE = re.compile(r"`([^`\n]+)`")
# Where a shell command ends on a line: a pipe, a chain, a redirect, a comment.
COMMAND_END = re.compile(r"\s(?:\||&&|;|>>?|2>|#)\s?|`")
CELERY_VALUE_OPTIONS = {"-A", "--app", "-b", "--broker", "--result-backend", "--loader"}
CELERY_VALUE_OPTIONS |= {"--config", "--workdir"}
PLACEHOLDERS = {"…", "..."}


@dataclass(frozen=True)
class Usage:
    """One command as written in a guide: file, line number and the text after the command."""

    where: str
    command: str
    rest: str

    def __str__(self):
        return f"{self.where}: {self.command} {self.rest}".strip()


def guide_texts() -> dict[str, str]:
    """Every Markdown file in docs/, by name."""
    return {path.name: path.read_text(encoding="utf-8") for path in sorted(DOCS.glob("*.md"))}


def code_lines(text: str) -> list[tuple[int, str]]:
    """(line number, code) for each line of a fenced block and each inline code span."""
    found, fenced = [], False
    for number, line in enumerate(text.splitlines(), start=1):
        if line.lstrip().startswith("```"):
            fenced = not fenced
            continue
        if fenced:
            found.append((number, line))
        else:
            found.extend((number, span) for span in INLINE_CODE.findall(line))
    return found


def command_segment(code: str) -> str:
    """The part of a shell line up to where the command ends (pipe, &&, comment, ...)."""
    return COMMAND_END.split(code, maxsplit=1)[0]


def words(segment: str) -> list[str]:
    try:
        return shlex.split(segment)
    except ValueError:  # an unbalanced quote in an example: fall back to plain words
        return segment.split()


def manage_py_usages() -> list[Usage]:
    """Every `manage.py <command>` in code, with what follows it on the same line."""
    usages = []
    for name, text in guide_texts().items():
        for number, code in code_lines(text):
            for match in MANAGE_PY.finditer(code):
                rest = command_segment(code[match.end() :])
                usages.append(Usage(f"{name}:{number}", match.group(1), rest.strip()))
    return usages


def manage_py_names_anywhere() -> list[Usage]:
    """Every `manage.py <command>` in the guides' text, prose included."""
    return [
        Usage(f"{name}:{number}", match.group(1), "")
        for name, text in guide_texts().items()
        for number, line in enumerate(text.splitlines(), start=1)
        for match in MANAGE_PY.finditer(line)
    ]


def celery_usages() -> list[Usage]:
    """Every `celery …` command line in code blocks and inline code."""
    usages = []
    for name, text in guide_texts().items():
        for number, code in code_lines(text):
            if code.lstrip().startswith("#") or code.lstrip().startswith(";"):
                continue
            match = CELERY.search(code)
            if not match:
                continue
            rest = command_segment(match.group(1))
            # Prose such as "`celery -A invsync …`" names no subcommand to check.
            if split_celery_words(words(rest))[1] not in PLACEHOLDERS:
                usages.append(Usage(f"{name}:{number}", "celery", rest))
    return usages


def option_strings(parser: argparse.ArgumentParser) -> set[str]:
    return {option for action in parser._actions for option in action.option_strings}


def subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    """name -> parser of each subcommand (e.g. sync_failed list/retry/flush), {} if none."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def flags_in(tokens: list[str]) -> list[str]:
    """The option names among the words: --name (before any =) and -x."""
    flags = []
    for token in tokens:
        if token.startswith("--") and len(token) > 2:
            flags.append(token.split("=", 1)[0])
        elif re.fullmatch(r"-[A-Za-z]", token):
            flags.append(token)
    return flags


def test_docs_folder_holds_the_index_and_the_guides():
    present = {path.name for path in DOCS.glob("*.md")}

    assert set(GUIDES) <= present, f"missing: {sorted(set(GUIDES) - present)}"


def test_the_index_links_to_every_guide_in_the_folder():
    index = (DOCS / "README.md").read_text(encoding="utf-8")
    targets = {target.split("#", 1)[0] for target in LINK.findall(index)}
    guides = {path.name for path in DOCS.glob("*.md")} - {"README.md"}

    assert guides <= targets, f"not in the index: {sorted(guides - targets)}"


def test_the_index_names_a_guide_for_each_reader():
    index = (DOCS / "README.md").read_text(encoding="utf-8")
    headings = {line.lstrip("#").strip() for line in index.splitlines() if line.startswith("###")}

    assert {"Pracownik magazynu", "Administrator sklepu", "Administrator serwera"} <= headings


def test_the_warehouse_guide_opens_with_the_shop_orders_warning():
    guide = (DOCS / "INVENTORY_SYNC.md").read_text(encoding="utf-8")
    sections = [line for line in guide.splitlines() if line.startswith("## ")]

    assert sections[0] == "## Najważniejsze: zamówienia ze sklepu"
    assert "każde zamówienie ze sklepu zaksięguj jako WZ" in guide


# Polish the guides and the translations must not use (whole words, any case), with what to
# write instead. "Drain" (harmless) and `celery purge` (destructive) get distinct words, so
# neither is "opróżnianie".
POLISH_MISTAKES = {
    r"workerzy": "workery (a worker is a process, not a person)",
    r"z wszystkich": "ze wszystkich",
    r"test połączenia dla": "„<nazwa>: test połączenia …” (the name stays in the nominative)",
    r"sklep\w* wielosklepow\w*": "instalacja wielosklepowa (multistore)",
    r"self-signed": "samopodpisany",
    r"periodic tasks": "Zadania okresowe",
    r"opróżni\w*": "wysyłka zmian (drain) or kasowanie kolejki (celery purge)",
    r"znalezienie": "nadwyżka",
    r"szkoda": "uszkodzenie or likwidacja",
}
CATALOGUES = sorted(DOCS.parent.glob("*/locale/pl/LC_MESSAGES/django.po"))


def translations(path: Path) -> str:
    """The msgstr texts of a .po file, one per line (msgid lines left out)."""
    found, in_msgstr = [], False
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("msgstr"):
            in_msgstr = True
            found.append(line.split(" ", 1)[1] if " " in line else "")
        elif line.startswith('"') and in_msgstr:
            found.append(line)
        else:
            in_msgstr = False
    return "\n".join(found)


def polish_texts() -> dict[str, str]:
    texts = {f"docs/{name}": text for name, text in guide_texts().items()}
    texts.update({str(path.relative_to(DOCS.parent)): translations(path) for path in CATALOGUES})
    return texts


def polish_mistakes(text: str) -> dict[str, str]:
    """{what was found: what to write instead} for each known mistake in the text."""
    found = {}
    for wrong, right in POLISH_MISTAKES.items():
        match = re.search(rf"(?<!\w){wrong}(?!\w)", text, flags=re.IGNORECASE)
        if match:
            found[match.group(0)] = right
    return found


@pytest.mark.parametrize("where", sorted(polish_texts()))
def test_the_polish_avoids_known_mistakes(where):
    assert polish_mistakes(polish_texts()[where]) == {}, where


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("Wszyscy workerzy czekają", {"workerzy"}),
        ("wszystkie workery czekają", set()),
        ("przetworzone z wszystkich", {"z wszystkich"}),
        ("gdy przeszkoda zniknie", set()),
        ("w sklepie wielosklepowym", {"sklepie wielosklepowym"}),
        ("w instalacji wielosklepowej", set()),
        ("okresowe opróżnianie", {"opróżnianie"}),
    ],
)
def test_the_polish_check_finds_whole_words(text, found):
    assert set(polish_mistakes(text)) == found


def test_the_catalogues_are_found():
    assert len(CATALOGUES) == 3


KIND_CODE = re.compile(r"\b(IN|OUT)\b(?! \((?:PW|RW)\))")
# Where the bare codes are the subject: the kind column of a table, "IN i OUT to kody …".
CODE_MENTIONS = re.compile(r"\*\*(?:IN|OUT)\*\*|IN i OUT")


def test_in_and_out_are_named_with_their_polish_codes():
    """IN is "IN (PW) przyjęcie wewnętrzne", OUT is "OUT (RW) rozchód wewnętrzny" in prose."""
    bare = [
        f"{name}:{number}"
        for name, text in guide_texts().items()
        for number, line in enumerate(text.splitlines(), start=1)
        if KIND_CODE.search(CODE_MENTIONS.sub("", INLINE_CODE.sub("", line)))
    ]

    assert bare == []


PENDING = re.compile(r"<!--\s*pending:(.*?)-->")


def test_pending_markers_name_the_feature_they_wait_for():
    markers = [m for text in guide_texts().values() for m in re.findall(r"<!--[^>]*pending", text)]
    named = [m for text in guide_texts().values() for m in PENDING.findall(text)]

    assert len(named) == len(markers)
    assert all(len(description.strip()) > 10 for description in named)


@pytest.mark.parametrize("usage", manage_py_names_anywhere(), ids=str)
def test_every_manage_py_command_named_in_the_docs_exists(usage):
    assert usage.command in get_commands(), f"{usage.where}: no command {usage.command}"


def manage_py_problems(usage: Usage) -> list[str]:
    """What is wrong with one `manage.py` line: unknown command, subcommand or flags."""
    commands = get_commands()
    if usage.command not in commands:
        return [f"no command {usage.command}"]
    parser = load_command_class(commands[usage.command], usage.command).create_parser(
        "manage.py", usage.command
    )
    tokens = words(usage.rest)
    accepted = option_strings(parser)
    choices = subcommands(parser)
    positional = [token for token in tokens if not token.startswith("-")]
    if choices and positional and positional[0] in choices:
        accepted |= option_strings(choices[positional[0]])
    elif choices and positional:
        return [f"{positional[0]!r} is not one of {sorted(choices)}"]
    return [f"unknown flag {flag}" for flag in flags_in(tokens) if flag not in accepted]


def split_celery_words(tokens: list[str]) -> tuple[list[str], str, list[str]]:
    """(global options, subcommand, the words after it) of `celery …` words."""
    position = 0
    while position < len(tokens) and tokens[position].startswith("-"):
        takes_value = tokens[position] in CELERY_VALUE_OPTIONS
        position += 2 if takes_value else 1
    if position >= len(tokens):
        return tokens, "", []
    return tokens[:position], tokens[position], tokens[position + 1 :]


def celery_problems(usage: Usage) -> list[str]:
    """What is wrong with one `celery …` line: unknown subcommand, method or flags."""
    global_options, name, rest = split_celery_words(words(usage.rest))
    if name not in celery_cli.commands:
        return [f"no subcommand {name!r}"]
    command = celery_cli.commands[name]
    accepted = {o for param in command.params for o in (*param.opts, *param.secondary_opts)}
    global_accepted = {o for param in celery_cli.params for o in param.opts}
    problems = [f"unknown flag {f}" for f in flags_in(rest) if f not in accepted]
    problems += [f"unknown flag {f}" for f in flags_in(global_options) if f not in global_accepted]
    if name in ("inspect", "control"):
        methods = {n for n, meta in Panel.meta.items() if meta.type == name}
        action = next((word for word in rest if not word.startswith("-")), "")
        if action not in methods:
            problems.append(f"celery {name} has no {action!r}")
    return problems


@pytest.mark.parametrize("usage", manage_py_usages(), ids=str)
def test_every_flag_next_to_a_command_is_accepted_by_its_parser(usage):
    assert manage_py_problems(usage) == [], str(usage)


@pytest.mark.parametrize("usage", celery_usages(), ids=str)
def test_every_celery_line_uses_real_subcommands_and_options(usage):
    assert celery_problems(usage) == [], str(usage)


def worker_lines_with_queues() -> list[Usage]:
    """Every `celery … worker -Q …` line: a worker that names the queues it consumes."""
    return [
        usage
        for usage in celery_usages()
        if split_celery_words(words(usage.rest))[1] == "worker" and "-Q" in words(usage.rest)
    ]


@pytest.mark.parametrize("usage", worker_lines_with_queues(), ids=str)
def test_every_worker_line_takes_live_work_first_from_real_queues(usage):
    from invsync.celery import app

    tokens = words(usage.rest)
    queues = tokens[tokens.index("-Q") + 1].split(",")
    # A worker without integrations_live would never send a document's change to the shop.
    assert queues[0] == "integrations_live", str(usage)
    assert set(queues) <= {queue.name for queue in app.conf.task_queues}, str(usage)


def test_the_docs_show_both_worker_layouts():
    layouts = {
        tuple(words(u.rest)[words(u.rest).index("-Q") + 1].split(","))
        for u in worker_lines_with_queues()
    }

    assert layouts == {("integrations_live",), ("integrations_live", "integrations")}


@pytest.mark.parametrize(
    ("command", "rest", "problems"),
    [
        ("check_ledger", "--verbosity 2", []),
        ("check_ledger", "--fix", ["unknown flag --fix"]),
        ("import_products", "produkty.csv --warehouse=MAG -x", ["unknown flag -x"]),
        ("no_such_command", "", ["no command no_such_command"]),
    ],
)
def test_the_manage_py_check_reports_unknown_commands_and_flags(command, rest, problems):
    assert manage_py_problems(Usage("example", command, rest)) == problems


@pytest.mark.parametrize(
    ("rest", "problems"),
    [
        ("-A invsync worker -Q integrations --time-limit=3600", []),
        ("-A invsync worker --timeout=3600", ["unknown flag --timeout"]),
        ("-A invsync inspect active", []),
        ("-A invsync inspect everything", ["celery inspect has no 'everything'"]),
        ("-A invsync queue:work", ["no subcommand 'queue:work'"]),
    ],
)
def test_the_celery_check_reports_unknown_subcommands_methods_and_flags(rest, problems):
    assert celery_problems(Usage("example", "celery", rest)) == problems


def heading_anchors(text: str) -> set[str]:
    """GitHub's anchors for the headings of a Markdown text (duplicates get -1, -2, ...)."""
    anchors, seen = set(), {}
    fenced = False
    for line in text.splitlines():
        if line.lstrip().startswith("```"):
            fenced = not fenced
        if fenced or not line.startswith("#"):
            continue
        slug = re.sub(r"[^\w\- ]", "", line.lstrip("#").strip().lower()).replace(" ", "-")
        count = seen.get(slug, 0)
        seen[slug] = count + 1
        anchors.add(slug if count == 0 else f"{slug}-{count}")
    return anchors


def relative_links() -> list[Usage]:
    return [
        Usage(name, target, "")
        for name, text in guide_texts().items()
        for target in LINK.findall(text)
        if not re.match(r"[a-z][a-z0-9+.-]*:", target)
    ]


@pytest.mark.parametrize("link", relative_links(), ids=str)
def test_relative_links_between_guides_resolve(link):
    path, _, anchor = link.command.partition("#")
    target = (DOCS / link.where).parent / path if path else DOCS / link.where

    assert target.exists(), f"{link.where}: {link.command} points to a missing file"
    if anchor and target.suffix == ".md":
        anchors = heading_anchors(target.read_text(encoding="utf-8"))
        assert anchor in anchors, f"{link.where}: no heading #{anchor} in {target.name}"


def test_the_speed_tables_in_the_sync_guide_match_the_saved_benchmark_output():
    from bench import guide_table

    guide = (DOCS / "PRESTASHOP_SYNC_GUIDE.md").read_text(encoding="utf-8")
    outputs = [
        guide_table.parse(guide_table.result_path(p).read_text(encoding="utf-8"))
        for p in guide_table.PRESETS
    ]

    assert guide_table.current_block(guide) == guide_table.block(outputs), (
        "run .venv/bin/python bench/guide_table.py after saving a benchmark output"
    )
    for output in outputs:  # every way of each preset is in the table, measured or not
        assert [row.way for row in output.ways] == list(guide_table.WAYS)
        assert output.ways[-1].sample is None  # multi-row writes: measured in full
