#!/usr/bin/env bash
# Set-up and entry points for a fresh Debian/Ubuntu machine.
#   ./dev.sh app    install what is missing, then open the app on the sandbox broker
#   ./dev.sh test   install what is missing, then run the whole test suite
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
        "$VENV/bin/lint-imports"
        QT_QPA_PLATFORM=offscreen exec "$VENV/bin/python" -m pytest -q "$@"
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
        echo "usage: ./dev.sh app [FILE] | ./dev.sh test [PYTEST ARGS] | ./dev.sh package" >&2
        exit 2
        ;;
esac
