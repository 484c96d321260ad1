"""The custom lint (scripts/lint_rules.py) finds each breach it is for, and the tree has none."""

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
spec = importlib.util.spec_from_file_location("lint_rules", ROOT / "scripts" / "lint_rules.py")
lint = importlib.util.module_from_spec(spec)
spec.loader.exec_module(lint)


@pytest.mark.parametrize(
    ("path", "source", "expected"),
    [
        ("lms/media/demo.py", "import subprocess\n", "imports subprocess"),
        ("lms/core/x.py", "from subprocess import run\n", "imports subprocess"),
        ("media_pipeline/binaries.py", "import os\nos.system('ls')\n", "os.system()"),
        (
            "lms/web/views.py",
            "def v(r):\n    Course.objects.create(x=1)\n",
            "write through a service",
        ),
        ("lms/media/api.py", "def v(r):\n    upload.save()\n", "write through a service"),
        ("lms/studio/views/pages.py", "def v(r):\n    c.delete()\n", "write through a service"),
        ("lms/community/notifications.py", "tasks.deliver.delay(1)\n", "send tasks with"),
        ("lms/media/jobs.py", "task.apply_async(args=(1,))\n", "send tasks with"),
    ],
)
def test_each_rule_finds_its_breach(path, source, expected):
    found = [message for _line, message in lint.breaches(path, source)]
    assert any(expected in message for message in found), found


@pytest.mark.parametrize(
    ("path", "source"),
    [
        ("media_pipeline/runner.py", "import subprocess\n"),
        ("lms/core/enqueue.py", "task.apply_async(args=())\n"),
        ("lms/studio/services.py", "chapter.delete()\n"),
        ("lms/web/views.py", "c.delete()  # lint: allow write (a test of the opt-out)\n"),
    ],
)
def test_the_homes_of_each_rule_and_an_opt_out_pass(path, source):
    assert list(lint.breaches(path, source)) == []


def test_the_tree_keeps_the_rules(capsys):
    assert lint.main() == 0, capsys.readouterr().out
