"""./moodlens picks its Python: $PYTHON when set, else the newest of python3.13, 3.12, 3.11 that runs; a clear
message when there is none; CI installs Python 3.11 only when there is none. Driven with stand-in interpreters
(and apt-get) on a PATH that holds nothing else."""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "moodlens"
TOOLS = ("bash", "dirname", "sed", "sha256sum", "cut", "cat", "mkdir", "cp", "id")  # what the scripts call
SHIM = """#!/bin/sh
# A stand-in python{version}: answers the version probe; `-m venv DIR` makes DIR/bin/python like itself;
# anything else is logged.
if [ "$1" = "-c" ]; then echo "{version}"; exit 0; fi
if [ "$1" = "-m" ] && [ "$2" = "venv" ]; then mkdir -p "$3/bin" && cp "$0" "$3/bin/python"; exit 0; fi
echo "$*" >> "$SHIM_LOG"
"""
BROKEN = "#!/bin/sh\necho \"pyenv: $(basename \"$0\"): command not found\" >&2\nexit 127\n"  # like a pyenv shim


def _path(tmp_path: Path, working: dict[str, str], broken: tuple[str, ...] = ()) -> str:
    """A PATH with the needed tools and stand-ins: {"python3.12": "3.12"} runs and says 3.12; broken ones fail."""
    tools, shims = tmp_path / "tools", tmp_path / "shims"
    tools.mkdir(exist_ok=True)
    shims.mkdir(exist_ok=True)
    for tool in TOOLS:
        (tools / tool).symlink_to(shutil.which(tool))
    for name, version in working.items():
        (shims / name).write_text(SHIM.format(version=version))
    for name in broken:
        (shims / name).write_text(BROKEN)
    for shim in shims.iterdir():
        shim.chmod(0o755)
    return f"{shims}:{tools}"


def _run(tmp_path: Path, path: str, *args: str, script: Path = SCRIPT, **env: str) -> subprocess.CompletedProcess:
    environ = {"PATH": path, "SHIM_LOG": str(tmp_path / "log"), **env}
    return subprocess.run(["/bin/bash", str(script), *args], env=environ, capture_output=True, text=True,
                          timeout=60)


@pytest.mark.parametrize("working,broken,expected", [
    ({"python3.11": "3.11", "python3.12": "3.12"}, ("python3.13",), "python3.12"),  # a broken shim is skipped
    ({"python3.11": "3.11"}, ("python3.12", "python3.13"), "python3.11"),
    ({"python3.13": "3.13", "python3.11": "3.11"}, (), "python3.13"),
    ({"python3.12": "3.12"}, (), "python3.12"),  # no 3.11 at all
    ({"python3.13": "3.10"}, (), None),  # a name that lies about its version is not used
])
def test_the_newest_supported_python_that_runs_is_picked(tmp_path, working, broken, expected):
    done = _run(tmp_path, _path(tmp_path, working, broken), "which-python")
    if expected:
        assert done.returncode == 0 and done.stdout.strip() == expected, done.stderr
        assert f"using {expected} (Python {expected[6:]})" in done.stderr
    else:
        assert done.returncode == 1 and not done.stdout


def test_without_a_supported_python_it_says_which_versions_it_needs(tmp_path):
    path = _path(tmp_path, {"python3.10": "3.10"}, ("python3.13", "python3.12", "python3.11"))
    for args in (("which-python",), ("app",), ("test",)):
        done = _run(tmp_path, path, *args, VENV=str(tmp_path / "venv"))
        assert done.returncode == 1, args
        assert "no supported Python found: install Python 3.13, 3.12 or 3.11" in done.stderr
        assert "Traceback" not in done.stderr and not (tmp_path / "venv").exists()


def test_python_set_by_the_user_wins_and_an_unsupported_one_is_warned_about(tmp_path):
    path = _path(tmp_path, {"python3.12": "3.12", "old": "3.10"})
    mine = str(tmp_path / "shims" / "python3.12")
    assert _run(tmp_path, path, "which-python", PYTHON=mine).stdout.strip() == mine
    done = _run(tmp_path, path, "which-python", PYTHON="old")
    assert done.returncode == 0 and done.stdout.strip() == "old" and "warning: PYTHON=old is Python 3.10" in done.stderr
    done = _run(tmp_path, path, "which-python", PYTHON=str(tmp_path / "missing"))
    assert done.returncode == 1 and "does not run" in done.stderr and "3.13, 3.12 or 3.11" in done.stderr


def test_app_makes_the_venv_with_the_picked_python_and_runs_streamlit_from_it(tmp_path):
    path = _path(tmp_path, {"python3.12": "3.12"}, ("python3.13", "python3.11"))
    venv = tmp_path / "venv"
    done = _run(tmp_path, path, "app", "--server.port", "8600", VENV=str(venv))
    assert done.returncode == 0, done.stderr
    assert f"creating {venv} with python3.12" in done.stderr
    log = (tmp_path / "log").read_text().splitlines()
    assert log[-1] == "-m streamlit run streamlit_app.py --server.port 8600"
    assert "-m pip install --quiet -r requirements.txt" in log
    assert (venv / ".requirements.sha256").exists()


def test_without_a_command_it_prints_its_usage(tmp_path):
    done = _run(tmp_path, _path(tmp_path, {}))
    assert done.returncode == 2
    assert "./moodlens app" in done.stdout and "./moodlens test" in done.stdout and "which-python" in done.stdout


APT = "#!/bin/sh\necho \"apt-get $*\" >> \"$SHIM_LOG\"\n"


@pytest.mark.parametrize("working,installs", [
    ({"python3.12": "3.12"}, False),  # another supported version: nothing to install
    ({}, True),
])
def test_ci_installs_python_311_only_when_no_supported_python_is_there(tmp_path, working, installs):
    path = _path(tmp_path, working, ("python3.13",) if working else ("python3.13", "python3.12", "python3.11"))
    (tmp_path / "shims" / "apt-get").write_text(APT)
    (tmp_path / "shims" / "apt-get").chmod(0o755)
    done = _run(tmp_path, path, script=ROOT / ".ci" / "run", VENV=str(tmp_path / "venv"))
    log = (tmp_path / "log").read_text() if (tmp_path / "log").exists() else ""
    assert ("install -y -qq python3.11 python3.11-venv" in log) == installs, log
    if not installs:  # then it runs the suite with the venv made from python3.12
        assert done.returncode == 0 and "creating" in done.stderr and "with python3.12" in done.stderr
        assert log.splitlines()[-1] == "-m pytest"
