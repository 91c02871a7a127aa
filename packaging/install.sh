#!/bin/sh
# Install Topology Studio for this user, from the unpacked tarball:
#   the app        ~/.local/opt/topology-studio/
#   the command    ~/.local/bin/topology-studio
#   menu entry, file type (*.topology.json) and icon in ~/.local/share
# Nothing here needs root. PREFIX (default ~/.local) moves all of it.
# Run ~/.local/opt/topology-studio/uninstall.sh to remove it again.
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
PREFIX=${PREFIX:-$HOME/.local}
APP_DIR=$PREFIX/opt/topology-studio
BIN_DIR=$PREFIX/bin
SHARE=$PREFIX/share
SOURCE=$HERE/topology-studio

if [ ! -x "$SOURCE/topology-studio" ]; then
    echo "install.sh: $SOURCE/topology-studio is missing; run install.sh from the unpacked tarball." >&2
    exit 1
fi
if ! "$SOURCE/topology-studio" --version >/dev/null 2>&1; then
    echo "install.sh: $SOURCE/topology-studio does not start on this machine (try it by hand to see why)." >&2
    exit 1
fi

echo "Installing $("$SOURCE/topology-studio" --version) into $APP_DIR"
mkdir -p "$PREFIX/opt" "$BIN_DIR" "$SHARE/applications" "$SHARE/mime/packages" \
    "$SHARE/icons/hicolor/scalable/apps"

# A fresh copy beside the old one, then swapped in: an older version never mixes with this one.
rm -rf "$APP_DIR.new"
cp -R "$SOURCE" "$APP_DIR.new"
cp "$HERE/uninstall.sh" "$APP_DIR.new/uninstall.sh"
chmod 755 "$APP_DIR.new/uninstall.sh"
rm -rf "$APP_DIR"
mv "$APP_DIR.new" "$APP_DIR"

ln -sf "$APP_DIR/topology-studio" "$BIN_DIR/topology-studio"

SHARED=$APP_DIR/_internal/share
# The menu entry runs the command by its full path: ~/.local/bin is not always on a
# desktop session's PATH.
sed -e "s|^Exec=topology-studio |Exec=$BIN_DIR/topology-studio |" \
    -e "s|^TryExec=topology-studio\$|TryExec=$BIN_DIR/topology-studio|" \
    "$SHARED/topology-studio.desktop" > "$SHARE/applications/topology-studio.desktop"
cp "$SHARED/topology-studio.xml" "$SHARE/mime/packages/topology-studio.xml"
cp "$SHARED/topology-studio.svg" "$SHARE/icons/hicolor/scalable/apps/topology-studio.svg"

# Refresh the desktop's caches when the tools are there (they usually are on a desktop).
if command -v update-mime-database >/dev/null 2>&1; then
    update-mime-database "$SHARE/mime" >/dev/null 2>&1 || true
fi
if command -v update-desktop-database >/dev/null 2>&1; then
    update-desktop-database "$SHARE/applications" >/dev/null 2>&1 || true
fi
if command -v gtk-update-icon-cache >/dev/null 2>&1 && [ -f "$SHARE/icons/hicolor/index.theme" ]; then
    gtk-update-icon-cache -q -t "$SHARE/icons/hicolor" >/dev/null 2>&1 || true
fi

echo "Installed. Open Topology Studio from the applications menu, or run: topology-studio"
case ":$PATH:" in
    *":$BIN_DIR:"*) ;;
    *) echo "Note: $BIN_DIR is not on your PATH; add it, or run $BIN_DIR/topology-studio." ;;
esac
echo "To uninstall: $APP_DIR/uninstall.sh"
