#!/usr/bin/env bash
# Set-up and entry points for a fresh Debian/Ubuntu machine.
#   ./dev.sh app    install what is missing, then open the app on the sandbox broker
#   ./dev.sh test   install what is missing, run the checks (./dev.sh lint), then the whole
#                   test suite; extra arguments go to pytest
#   ./dev.sh lint   install what is missing, then only the checks: the import contracts,
#                   ruff check, ruff format --check and mypy (each stops the command)
#   ./dev.sh package  install what is missing (PyInstaller), then build dist/topology-studio/
#                     and dist/topology-studio-<version>-linux-x86_64.tar.gz (packaging/)
set -euo pipefail
cd "$(dirname "$0")"

PY=${PYTHON:-python3}
VENV=${VENV:-.venv}

QT_DEBS="libglib2.0-0 libegl1 libgl1 libfontconfig1 libxkbcommon0 libdbus-1-3 libx11-6"
SCREEN_DEBS="xvfb xauth libxkbcommon-x11-0 libxcb-cursor0 libxcb-icccm4 libxcb-image0 \
libxcb-keysyms1 libxcb-randr0 libxcb-render-util0 libxcb-shape0 libxcb-xkb1"

install_debs() {
    local missing=()
    for pkg in "$@"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" \
            || missing+=("$pkg")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    local sudo=""
    [ "$(id -u)" -ne 0 ] && sudo="sudo"
    if ! command -v apt-get >/dev/null; then
        echo "Please install these system packages: ${missing[*]}" >&2
        return 0
    fi
    echo "Installing system packages: ${missing[*]}" >&2
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

install_python() {
    if [ ! -x "$VENV/bin/python" ]; then
        "$PY" -m venv "$VENV"
    fi
    local stamp="$VENV/.installed"
    if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
        "$VENV/bin/python" -m pip install -q --upgrade pip
        "$VENV/bin/python" -m pip install -q -e ".[test]"
        touch "$stamp"
    fi
}

# Runs a check; when it fails, says which and how to see or fix it, and stops (exit 1).
check() {
    local what=$1
    shift
    if ! "$@"; then
        echo "./dev.sh: $what" >&2
        exit 1
    fi
}

lint() {
    check "an import contract is broken (see above; the contracts are in pyproject.toml)" \
        "$VENV/bin/lint-imports"
    check "ruff check found problems (see above; '$VENV/bin/ruff check --fix' fixes some)" \
        "$VENV/bin/ruff" check topology_studio engine gui bench
    check "files are not formatted: run '$VENV/bin/ruff format topology_studio engine gui tests bench scripts packaging'" \
        "$VENV/bin/ruff" format --check topology_studio engine gui tests bench scripts packaging
    check "mypy found type errors (see above; its settings are in pyproject.toml)" \
        "$VENV/bin/mypy"
}

case "${1:-}" in
    app)
        shift
        install_debs $QT_DEBS $SCREEN_DEBS
        install_python
        if [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ]; then
            echo "No display found: opening the app on a virtual screen (xvfb-run)." >&2
            exec xvfb-run -a "$VENV/bin/topology-studio" "$@"
        fi
        exec "$VENV/bin/topology-studio" "$@"
        ;;
    test)
        shift
        # tests/packaging builds the packaged app (binutils) and presses Run in its window on a
        # virtual screen (the screen libraries, xdotool)
        install_debs $QT_DEBS $SCREEN_DEBS binutils xdotool
        install_python
        lint
        # Most tests wait on a broker or a subprocess rather than compute: 4 processes (each
        # file's tests in one of them) run the suite in a third of the time; TEST_WORKERS=0 runs
        # it in this one. A process that dies ends the run, naming its test (pytest-xdist 3.8
        # can otherwise wait for ever).
        QT_QPA_PLATFORM=offscreen exec "$VENV/bin/python" -m pytest -q \
            -n "${TEST_WORKERS:-4}" --dist loadfile --max-worker-restart 0 "$@"
        ;;
    lint)
        install_python
        lint
        ;;
    package)
        shift
        # binutils: PyInstaller reads libraries' links with objdump; the screen libraries go in
        # the folder, so the app opens a window where they are not installed.
        install_debs $QT_DEBS $SCREEN_DEBS binutils
        install_python
        exec "$VENV/bin/python" packaging/build.py "$@"  # installs PyInstaller when missing
        ;;
    *)
        echo "usage: ./dev.sh app [FILE] | ./dev.sh test [PYTEST ARGS] | ./dev.sh lint | ./dev.sh package" >&2
        exit 2
        ;;
esac
