#!/bin/sh
# Remove what install.sh installed for this user (same PREFIX, default ~/.local). Settings
# (~/.config/TopologyStudio) and your topology files are left alone.
set -eu

PREFIX=${PREFIX:-$HOME/.local}
APP_DIR=$PREFIX/opt/topology-studio
BIN_DIR=$PREFIX/bin
SHARE=$PREFIX/share

# Only our own link: a topology-studio installed another way (pip, pipx) stays.
if [ -L "$BIN_DIR/topology-studio" ] && \
   [ "$(readlink "$BIN_DIR/topology-studio")" = "$APP_DIR/topology-studio" ]; then
    rm -f "$BIN_DIR/topology-studio"
fi
rm -f "$SHARE/applications/topology-studio.desktop" \
      "$SHARE/mime/packages/topology-studio.xml" \
      "$SHARE/icons/hicolor/scalable/apps/topology-studio.svg"
rm -rf "$APP_DIR" "$APP_DIR.new"

if command -v update-mime-database >/dev/null 2>&1 && [ -d "$SHARE/mime/packages" ]; then
    update-mime-database "$SHARE/mime" >/dev/null 2>&1 || true
fi
if command -v update-desktop-database >/dev/null 2>&1 && [ -d "$SHARE/applications" ]; then
    update-desktop-database "$SHARE/applications" >/dev/null 2>&1 || true
fi
echo "Topology Studio removed from $PREFIX."
