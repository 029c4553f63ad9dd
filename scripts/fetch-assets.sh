#!/usr/bin/env bash
# Fetch the NHS.UK frontend CSS, JS and images into static/vendor/nhsuk-frontend/.
#
# The files are never committed (static/vendor/ is git-ignored); this script
# rebuilds them from the version pinned in package.json / package-lock.json.
# It is idempotent: when the copied version already matches the pin it exits
# straight away, so CI and `make`-style callers can run it every time.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

DEST="static/vendor/nhsuk-frontend"
STAMP="$DEST/VERSION"

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  echo "fetch-assets: Node.js and npm are needed (Node 20.9 or newer)." >&2
  exit 1
fi

# The Socket.IO browser client (live threads, static/js/realtime.js), pinned in package.json
# like nhsuk-frontend and copied to static/vendor/socket.io/ with its own version stamp.
fetch_socketio() {
  local want got dest="static/vendor/socket.io"
  want="$(node -p "require('./package.json').dependencies['socket.io-client']")"
  if [[ -f "$dest/VERSION" && "$(cat "$dest/VERSION")" == "$want" \
        && -f "$dest/socket.io.min.js" ]]; then
    return 0
  fi
  got="$(node -p "require('./node_modules/socket.io-client/package.json').version" 2>/dev/null || true)"
  if [[ "$got" != "$want" ]]; then
    if [[ -f package-lock.json ]]; then
      npm ci --no-audit --no-fund --ignore-scripts
    else
      npm install --no-audit --no-fund --ignore-scripts --omit-lockfile-registry-resolved
    fi
    got="$(node -p "require('./node_modules/socket.io-client/package.json').version" 2>/dev/null || true)"
  fi
  if [[ "$got" != "$want" ]]; then
    echo "fetch-assets: expected socket.io-client $want but node_modules has '${got:-nothing}'." >&2
    exit 1
  fi
  mkdir -p "$dest"
  cp node_modules/socket.io-client/dist/socket.io.min.js \
     node_modules/socket.io-client/dist/socket.io.min.js.map "$dest/"
  echo "$want" > "$dest/VERSION"
  echo "fetch-assets: copied socket.io-client $want into $dest"
}
fetch_socketio

# The pinned version comes from package.json so there is one source of truth.
WANT="$(node -p "require('./package.json').dependencies['nhsuk-frontend']")"

if [[ -f "$STAMP" && "$(cat "$STAMP")" == "$WANT" \
      && -f "$DEST/nhsuk-frontend.min.css" && -f "$DEST/nhsuk-frontend.min.js" \
      && -d "$DEST/assets/images" ]]; then
  echo "fetch-assets: nhsuk-frontend $WANT already in $DEST"
  exit 0
fi

installed_version() {
  node -p "require('./node_modules/nhsuk-frontend/package.json').version" 2>/dev/null || true
}

if [[ "$(installed_version)" != "$WANT" ]]; then
  # --ignore-scripts: we only need the prebuilt dist/ files, so never run
  # install hooks from the registry.
  if [[ -f package-lock.json ]]; then
    npm ci --no-audit --no-fund --ignore-scripts
  else
    npm install --no-audit --no-fund --ignore-scripts --omit-lockfile-registry-resolved
  fi
fi

GOT="$(installed_version)"
if [[ "$GOT" != "$WANT" ]]; then
  echo "fetch-assets: expected nhsuk-frontend $WANT but node_modules has '${GOT:-nothing}'." >&2
  exit 1
fi

SRC="node_modules/nhsuk-frontend/dist/nhsuk"
# Build into a temporary folder and swap it in at the end, so a failed run
# never leaves a half-copied vendor folder that the stamp check would trust.
mkdir -p static/vendor
TMP="$(mktemp -d "static/vendor/.nhsuk-frontend.XXXXXX")"
trap 'rm -rf "$TMP"' EXIT
# mktemp makes the folder private (0700); the web server may run as another user.
chmod 755 "$TMP"

# The CSS refers to its icons as url(/assets/images/...), an absolute path
# that would 404 under /static/vendor/. Make those URLs relative to the CSS
# file so they resolve to static/vendor/nhsuk-frontend/assets/images/.
sed 's#url(/assets/#url(assets/#g' "$SRC/nhsuk-frontend.min.css" > "$TMP/nhsuk-frontend.min.css"
cp "$SRC/nhsuk-frontend.min.js" "$SRC/nhsuk-frontend.min.js.map" "$SRC/nhsuk-frontend.min.css.map" "$TMP/"
cp -R "$SRC/assets" "$TMP/assets"

if grep -q 'url(/' "$TMP/nhsuk-frontend.min.css"; then
  echo "fetch-assets: the CSS still has root-relative url(/...) references; check the rewrite." >&2
  exit 1
fi

echo "$WANT" > "$TMP/VERSION"
rm -rf "$DEST"
mv "$TMP" "$DEST"
trap - EXIT
echo "fetch-assets: copied nhsuk-frontend $WANT into $DEST"
