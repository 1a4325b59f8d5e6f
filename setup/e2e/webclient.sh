# Web client and browser helpers for setup/demo and setup/e2e/run.
# Source it after setup/lib.sh; do not run it.
# shellcheck shell=bash

SAO_VERSION="${SAO_VERSION:-~8.0.0}"
SAO_DIR="${SAO_DIR:-$ROOT/var/sao}"
PLAYWRIGHT_VERSION="${PLAYWRIGHT_VERSION:-1.65.1}"
E2E_NODE_DIR="${E2E_NODE_DIR:-$ROOT/var/e2e}"
CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"

# Install a Debian package when running as root, else say how to.
apt_install() {
    local package="$1" why="$2"
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        say "Installing $package (apt-get) for $why"
        { apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
            apt-get install -y -qq "$package" >/dev/null; } \
            || die "apt-get install $package failed"
    else
        die "$package is needed for $why: run 'sudo apt-get install $package' and try again"
    fi
}

ensure_npm() {
    command -v npm >/dev/null 2>&1 || apt_install npm "the tryton-sao web client"
}

# tryton-sao 8.0.x from npm with its runtime dependencies, in $SAO_DIR/package
# (the folder that holds index.html: trytond serves it as [web] root).
ensure_sao() {
    if [ -f "$SAO_DIR/package/index.html" ] \
            && [ -d "$SAO_DIR/package/node_modules/jquery" ]; then
        return 0
    fi
    ensure_npm
    say "Installing the tryton-sao web client ($SAO_VERSION) into $SAO_DIR"
    rm -rf "$SAO_DIR"
    mkdir -p "$SAO_DIR"
    local tarball
    tarball="$(cd "$SAO_DIR" && timeout 300 npm pack --silent "tryton-sao@$SAO_VERSION" | tail -n 1)" \
        || die "npm pack tryton-sao@$SAO_VERSION failed"
    tar -xzf "$SAO_DIR/$tarball" -C "$SAO_DIR" || die "cannot unpack $tarball"
    (cd "$SAO_DIR/package" && timeout 600 npm install --silent --omit=dev \
        --legacy-peer-deps --no-audit --no-fund >/dev/null) \
        || die "npm install of the tryton-sao dependencies failed"
    [ -f "$SAO_DIR/package/index.html" ] || die "no index.html in $SAO_DIR/package"
}

# Debian's chromium (no browser download) and playwright-core from npm.
ensure_browser() {
    [ -x "$CHROMIUM" ] || apt_install chromium "the browser tests"
    command -v node >/dev/null 2>&1 || apt_install nodejs "the browser tests"
    ensure_npm
    if [ ! -f "$E2E_NODE_DIR/node_modules/playwright-core/package.json" ]; then
        say "Installing playwright-core $PLAYWRIGHT_VERSION into $E2E_NODE_DIR"
        mkdir -p "$E2E_NODE_DIR"
        (cd "$E2E_NODE_DIR" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 timeout 300 \
            npm install --silent --no-audit --no-fund --prefix . \
            "playwright-core@$PLAYWRIGHT_VERSION" >/dev/null) \
            || die "npm install playwright-core failed"
    fi
}
