# Shared helpers for the setup/ scripts.  Source it; do not run it.
# shellcheck shell=bash
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${VENV:-$ROOT/.venv}"
PYTHON="${PYTHON:-python3}"
PG_HOST="${PG_HOST:-127.0.0.1}"
PG_PORT="${PG_PORT:-5432}"
PG_USER="${PG_USER:-postgres}"

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
die() { printf 'ERROR: %s\n' "$*" >&2; exit 1; }

# Create the virtualenv and install the modules (editable) with Tryton 8.0.
# Re-installs only when pyproject.toml or requirements.txt changed.
ensure_venv() {
    "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 9))' \
        || die "Python 3.9 or newer is needed (found $("$PYTHON" --version 2>&1))"
    if [ ! -x "$VENV/bin/python" ]; then
        say "Creating the virtualenv in $VENV"
        "$PYTHON" -m venv "$VENV" || die "cannot create a venv: on Debian run 'apt-get install python3-venv'"
    fi
    local stamp="$VENV/.marketplace-installed"
    local want
    want="$(cat "$ROOT/pyproject.toml" "$ROOT/requirements.txt" | sha256sum | cut -c1-16)"
    if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
        say "Installing Tryton 8.0 LTS and the marketplace modules"
        "$VENV/bin/python" -m pip install -q --upgrade pip >/dev/null 2>&1 || true
        (cd "$ROOT" && "$VENV/bin/python" -m pip install -q -r requirements.txt) \
            || die "pip install failed (see above)"
        echo "$want" > "$stamp"
    fi
    export PATH="$VENV/bin:$PATH"
}

pg_ready() {
    command -v pg_isready >/dev/null 2>&1 || return 1
    pg_isready -q -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" -t 5
}

# Make sure PostgreSQL answers on $PG_HOST:$PG_PORT; start the local cluster
# if it is down; fail with a clear message (never hang) if impossible.
ensure_postgres() {
    if pg_ready; then return 0; fi
    if command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ]; then
        local version
        version="$(ls /etc/postgresql | sort -V | tail -n 1)"
        say "PostgreSQL is down: starting cluster $version/main"
        timeout 60 pg_ctlcluster --skip-systemctl-redirect "$version" main start \
            >/dev/null 2>&1 || true
        for _ in 1 2 3 4 5 6 7 8 9 10; do
            pg_ready && return 0
            sleep 1
        done
    fi
    die "PostgreSQL is unreachable on $PG_HOST:$PG_PORT (user $PG_USER).
  Install it ('apt-get install postgresql') or start it with
  'pg_ctlcluster --skip-systemctl-redirect \$(ls /etc/postgresql) main start',
  or set PG_HOST/PG_PORT/PG_USER, then run this command again."
}

# True when a missing Debian package can be installed (root, apt-get)
can_apt() {
    [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1
}

# apt_install LOG [OPTION...] PACKAGE...: install Debian packages, their
# output in LOG; fails if apt-get fails or takes too long
apt_install() {
    local log=$1
    shift
    (export DEBIAN_FRONTEND=noninteractive
        timeout 600 apt-get update -q -o DPkg::Lock::Timeout=300 \
        && timeout 900 apt-get install -y -q -o DPkg::Lock::Timeout=300 "$@") \
        >"$log" 2>&1
}

# The browser end-to-end tests drive Debian's chromium (never a downloaded
# browser).  Install it when we are root on Debian; otherwise say loudly that
# those tests will be skipped.
ensure_browser() {
    if [ "${E2E:-1}" = 0 ]; then
        say "E2E=0: the browser end-to-end tests will be SKIPPED"
        return 0
    fi
    if command -v chromium >/dev/null 2>&1; then return 0; fi
    if can_apt; then
        say "Installing Debian's chromium for the browser end-to-end tests"
        if ! apt_install "${TMPDIR:-/tmp}/marketplace-apt.log" chromium; then
            say "WARNING: chromium could not be installed (see ${TMPDIR:-/tmp}/marketplace-apt.log): the browser end-to-end tests will be SKIPPED"
        fi
    else
        say "WARNING: chromium is not installed and we are not root on Debian: the browser end-to-end tests will be SKIPPED (apt-get install chromium)"
    fi
}

# setup/test-at runs the suite under a shifted clock with Debian's faketime
# (libfaketime); tests/test_test_at.py runs it.  Install it when we can.
ensure_faketime() {
    if command -v faketime >/dev/null 2>&1; then return 0; fi
    if can_apt; then
        say "Installing Debian's faketime for setup/test-at"
        if ! apt_install "${TMPDIR:-/tmp}/marketplace-apt-faketime.log" \
                faketime; then
            say "WARNING: faketime could not be installed: setup/test-at and its test cannot run"
        fi
    fi
}

# The self-billing document is converted to PDF by LibreOffice; without it
# the document is an ODT.  Install Debian's writer when we are root.
ensure_libreoffice() {
    if command -v soffice >/dev/null 2>&1 && command -v pdftotext >/dev/null 2>&1; then
        return 0
    fi
    if [ "${LIBREOFFICE:-1}" = 0 ]; then return 0; fi
    if can_apt; then
        say "Installing LibreOffice (writer, headless) and poppler-utils for PDF documents"
        if ! apt_install "${TMPDIR:-/tmp}/marketplace-apt-libreoffice.log" \
                --no-install-recommends libreoffice-writer-nogui poppler-utils; then
            say "WARNING: LibreOffice could not be installed: documents will be ODT, not PDF"
        fi
    else
        say "NOTE: LibreOffice is not installed: documents will be ODT, not PDF (apt-get install libreoffice-writer-nogui)"
    fi
}
