"""The design's rules that ruff and import-linter cannot check (run by scripts/test.sh).

1. A child process is started only in media_pipeline/runner.py (limits, timeouts, a scrubbed
   environment, the process group killed on cancel).
2. Views and API modules write nothing to the database themselves: every write is a service.
3. A Celery task is sent only by lms/core/enqueue.py (after commit), never with .delay() or
   .apply_async() elsewhere.
(No Django in media_pipeline/ and the layers are import-linter's contracts, pyproject.toml.)

A line may opt out with `# lint: allow <rule> (why)`; the reason is for the reader.
Prints each breach as path:line: message, and exits 1 if there is any.
"""

import ast
import sys
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROCESS_HOME = "media_pipeline/runner.py"
ENQUEUE_HOME = "lms/core/enqueue.py"
PROCESS_MODULES = {"subprocess", "multiprocessing", "pty"}
PROCESS_CALLS = {
    ("os", name)
    for name in (
        "system",
        "popen",
        "fork",
        "forkpty",
        "execv",
        "execve",
        "execvp",
        "execvpe",
        "execl",
        "execle",
        "execlp",
        "execlpe",
        "spawnv",
        "spawnve",
        "spawnl",
        "spawnle",
        "posix_spawn",
        "posix_spawnp",
    )
} | {("asyncio", "create_subprocess_exec"), ("asyncio", "create_subprocess_shell")}
ORM_WRITES = {
    "save",
    "create",
    "bulk_create",
    "bulk_update",
    "get_or_create",
    "update_or_create",
    "update",
    "delete",
}
TASK_SENDS = {"delay", "apply_async", "send_task"}


def _is_view_module(path: str) -> bool:
    name = Path(path).name
    return path.startswith("lms/") and (name in {"views.py", "api.py"} or "/views/" in path)


def _allowed(lines: list[str], lineno: int, rule: str) -> bool:
    return f"# lint: allow {rule}" in lines[lineno - 1]


def _receiver(node: ast.expr) -> str:
    """A readable name for what a method is called on (for the ORM rule's exemptions)."""
    return ast.unparse(node)


def breaches(path: str, source: str) -> Iterator[tuple[int, str]]:
    tree = ast.parse(source, filename=path)
    lines = source.splitlines()
    view_module = _is_view_module(path)
    for node in ast.walk(tree):
        if path != PROCESS_HOME:
            if isinstance(node, ast.Import | ast.ImportFrom):
                names = (
                    [a.name for a in node.names]
                    if isinstance(node, ast.Import)
                    else [node.module or ""]
                )
                for name in names:
                    if name.split(".")[0] in PROCESS_MODULES and not _allowed(
                        lines, node.lineno, "process"
                    ):
                        yield node.lineno, f"imports {name}: start processes in {PROCESS_HOME}"
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and isinstance(node.func.value, ast.Name)
                and (node.func.value.id, node.func.attr) in PROCESS_CALLS
                and not _allowed(lines, node.lineno, "process")
            ):
                yield node.lineno, f"{node.func.value.id}.{node.func.attr}(): use {PROCESS_HOME}"
        if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
            continue
        attr = node.func.attr
        if (
            attr in TASK_SENDS
            and path.startswith("lms/")
            and path != ENQUEUE_HOME
            and not _allowed(lines, node.lineno, "enqueue")
        ):
            yield node.lineno, f".{attr}(): send tasks with {ENQUEUE_HOME} (after commit)"
        if view_module and attr in ORM_WRITES and not _allowed(lines, node.lineno, "write"):
            yield (
                node.lineno,
                f"{_receiver(node.func.value)}.{attr}() in a view or API module: "
                "write through a service",
            )


def main() -> int:
    found = 0
    for top in ("lms", "media_pipeline"):
        for file in sorted((ROOT / top).rglob("*.py")):
            path = file.relative_to(ROOT).as_posix()
            if "/migrations/" in path:
                continue
            for lineno, message in breaches(path, file.read_text(encoding="utf-8")):
                print(f"{path}:{lineno}: {message}")
                found += 1
    if found:
        print(f"{found} breach(es) of the design's rules (scripts/lint_rules.py)")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
