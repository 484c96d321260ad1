"""The README's configuration table lists exactly the environment variables the platform reads,
and the README links nothing outside this machine."""

import ast
import re
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[3]
README = ROOT / "README.md"

# Where the platform reads its environment: the settings, and the entry points around them.
PYTHON_SOURCES = [
    *sorted((ROOT / "lms" / "settings").glob("*.py")),
    ROOT / "lms" / "gunicorn_conf.py",
    ROOT / "lms" / "celery.py",
    ROOT / "lms" / "wsgi.py",
]
SHELL_SOURCES = [ROOT / "scripts" / "start.sh"]

# Hosts a link may name: this machine, and the domains reserved for examples (RFC 2606).
LOCAL_HOSTS = {"localhost", "127.0.0.1", "[::1]", "::1"}
EXAMPLE_DOMAINS = ("example.com", "example.org", "example.net", "example")


def _is_os_environ(node: ast.expr) -> bool:
    return (
        isinstance(node, ast.Attribute)
        and node.attr == "environ"
        and isinstance(node.value, ast.Name)
        and node.value.id == "os"
    )


def _names_read_in_python(source: str) -> set[str]:
    """Names passed as literals to `env.<cast>(...)` (django-environ), `os.environ.get`,
    `os.environ.setdefault`, `os.getenv` and read by `os.environ[...]`."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        key: ast.expr | None = None
        if isinstance(node, ast.Call) and node.args and isinstance(node.func, ast.Attribute):
            owner, method = node.func.value, node.func.attr
            owner_name = owner.id if isinstance(owner, ast.Name) else None
            if (
                owner_name == "env"
                or (owner_name == "os" and method == "getenv")
                or (_is_os_environ(owner) and method in ("get", "setdefault"))
            ):
                key = node.args[0]
        elif (
            isinstance(node, ast.Subscript)
            and isinstance(node.ctx, ast.Load)
            and _is_os_environ(node.value)
        ):
            key = node.slice
        if isinstance(key, ast.Constant) and isinstance(key.value, str):
            names.add(key.value)
    return names


def _names_read_in_shell(source: str) -> set[str]:
    """`${NAME:-default}`: a variable the script takes from the environment when set."""
    return set(re.findall(r"\$\{([A-Z][A-Z0-9_]*):-", source))


def environment_variables_read() -> set[str]:
    names: set[str] = set()
    for path in PYTHON_SOURCES:
        names |= _names_read_in_python(path.read_text(encoding="utf-8"))
    for path in SHELL_SOURCES:
        names |= _names_read_in_shell(path.read_text(encoding="utf-8"))
    return names


def _configuration_section() -> str:
    text = README.read_text(encoding="utf-8")
    start = text.index("\n## Configuration")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else None]


def variables_in_readme_tables() -> list[str]:
    """The backquoted names in the first column of every table of the Configuration section."""
    names = []
    for line in _configuration_section().splitlines():
        cells = line.split("|")
        if not line.startswith("|") or len(cells) < 3 or set(cells[1].strip()) <= set("-: "):
            continue
        names += re.findall(r"`([A-Z][A-Z0-9_]*)`", cells[1])
    return names


def test_the_settings_reader_finds_the_ways_settings_read_the_environment():
    source = (
        "import os\n"
        "A = env.int('ONE', default=1)\n"
        "B = os.environ.get('TWO')\n"
        "C = os.environ['THREE']\n"
        "os.environ.setdefault('FOUR', 'x')\n"
        "D = os.getenv('FIVE')\n"
        "os.environ['NOT_READ'] = 'written only'\n"
    )
    assert _names_read_in_python(source) == {"ONE", "TWO", "THREE", "FOUR", "FIVE"}
    assert _names_read_in_shell("port=${PORT:-8000}\nexport X=${LMS_VAR_DIR:-$PWD/var}\n") == {
        "PORT",
        "LMS_VAR_DIR",
    }


def test_the_readme_configuration_tables_list_every_variable_the_platform_reads():
    read = environment_variables_read()
    listed = variables_in_readme_tables()

    assert len(read) > 60  # the reader still finds the settings' reads
    assert sorted(read - set(listed)) == [], "read but not in the README's tables"
    assert sorted(set(listed) - read) == [], "in the README's tables but read nowhere"
    assert sorted({n for n in listed if listed.count(n) > 1}) == [], "listed twice"


def test_the_readme_links_nothing_outside_this_machine():
    text = README.read_text(encoding="utf-8")
    outside = []
    for url in re.findall(r"https?://[^\s)`>|\]\"']+", text):
        host = (urlsplit(url).hostname or "").lower()
        if host in LOCAL_HOSTS or host.endswith(tuple(f".{d}" for d in EXAMPLE_DOMAINS)):
            continue
        if host in EXAMPLE_DOMAINS:
            continue
        outside.append(url)
    assert outside == []
