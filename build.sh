#!/usr/bin/env bash
# The one entry point: ./build.sh build | run | test | bench
# It installs what it needs (PostgreSQL, Chromium, brotli, node) with apt-get
# when missing, so a fresh machine with Go and Debian is enough.
set -euo pipefail
cd "$(dirname "$0")"
ROOT=$(pwd)

say()  { printf '\033[1m==> %s\033[0m\n' "$*"; }
fail() { printf '\033[31mbuild.sh: %s\033[0m\n' "$*" >&2; exit 1; }

command -v go >/dev/null || fail "Go is not installed (https://go.dev/dl/); Natter needs Go 1.26."

STATICCHECK_VERSION=v0.8.2 # staticcheck 2026.2.2
APT_UPDATED=0
apt_install() { # apt_install <command-to-check> <package>...
  local check=$1; shift
  if [ -x "$check" ] || command -v "$check" >/dev/null 2>&1; then return 0; fi
  command -v apt-get >/dev/null || fail "$check is missing and this is not a Debian system: install $* yourself."
  local sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  if [ $APT_UPDATED = 0 ]; then
    say "apt-get update"
    $sudo apt-get update -qq || fail "apt-get update failed"
    APT_UPDATED=1
  fi
  say "installing $*"
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$@" >/dev/null || fail "apt-get install $* failed"
}

pg_binaries() {
  ls -d /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null 2>&1
}

need_postgres() {
  pg_binaries || apt_install /usr/lib/postgresql/15/bin/initdb postgresql
  pg_binaries || fail "PostgreSQL binaries (initdb, pg_ctl) not found after installing postgresql"
}

build_wasm() {
  say "building the web app (wasm)"
  mkdir -p web
  local tmp=web/.app.wasm.tmp
  GOOS=js GOARCH=wasm go build -trimpath -ldflags="-s -w" -o "$tmp" ./wasm || fail "wasm build failed"
  if [ -f web/app.wasm ] && cmp -s "$tmp" web/app.wasm && [ -f web/app.wasm.br ] && [ -f web/app.wasm.gz ]; then
    rm -f "$tmp"
    return
  fi
  mv "$tmp" web/app.wasm
  apt_install brotli brotli
  say "compressing app.wasm (brotli, gzip)"
  brotli -f -q 9 -o web/app.wasm.br web/app.wasm || fail "brotli failed"
  gzip -9 -c web/app.wasm > web/app.wasm.gz || fail "gzip failed"
}

build_server() {
  say "building the server (bin/natter)"
  mkdir -p bin
  go build -trimpath -o bin/natter ./server/cmd/natter || fail "server build failed"
}

cmd_build() { build_wasm; build_server; }

cmd_run() {
  need_postgres
  cmd_build
  say "starting Natter"
  exec ./bin/natter serve
}

# need_axe installs axe-core, pinned, from the npm registry for the browser
# tests' accessibility checks (server/e2e/axe_test.go), once per checkout.
AXE_VERSION=4.14.1
need_axe() {
  local dir="$ROOT/.cache/axe"
  if ! grep -qs "\"version\": \"$AXE_VERSION\"" "$dir/node_modules/axe-core/package.json"; then
    say "installing axe-core $AXE_VERSION (npm)"
    npm install --prefix "$dir" --no-audit --no-fund --loglevel=error "axe-core@$AXE_VERSION" >/dev/null || fail "npm install axe-core@$AXE_VERSION failed"
  fi
  export NATTER_AXE="$dir/node_modules/axe-core/axe.min.js"
}

cmd_test() {
  need_postgres
  apt_install chromium chromium
  apt_install node nodejs
  apt_install npm npm
  need_axe
  cmd_build

  say "gofmt"
  local unformatted
  unformatted=$(gofmt -l shared server wasm migrations)
  [ -z "$unformatted" ] || fail "gofmt would change: $unformatted (run gofmt -w)"

  say "go vet (native and wasm)"
  go vet ./... || fail "go vet failed"
  GOOS=js GOARCH=wasm go vet ./wasm/... ./shared/... || fail "go vet (wasm) failed"

  say "staticcheck"
  if ! [ -x bin/staticcheck ] || ! bin/staticcheck -version | grep -q "(${STATICCHECK_VERSION#v})"; then
    GOBIN="$ROOT/bin" go install "honnef.co/go/tools/cmd/staticcheck@$STATICCHECK_VERSION" || fail "could not install staticcheck"
  fi
  bin/staticcheck ./... || fail "staticcheck found problems"
  GOOS=js GOARCH=wasm bin/staticcheck ./wasm/... ./shared/... || fail "staticcheck (wasm) found problems"

  say "go test (server, store, hub, engine, browser end-to-end)"
  mkdir -p artifacts
  NATTER_WEB="$ROOT/web" NATTER_ARTIFACTS="$ROOT/artifacts" go test -count=1 -timeout 25m ./... || fail "go test failed"

  say "wasm-side tests (node)"
  PATH="$(go env GOROOT)/lib/wasm:$PATH" GOOS=js GOARCH=wasm go test -count=1 ./shared/... ./wasm/client/... || fail "wasm tests failed"
  say "all tests passed"
}

cmd_bench() {
  need_postgres
  cmd_build
  say "benchmarks (store, hub)"
  go test -run '^$' -bench . -benchtime 2s ./server/store/ ./server/hub/
  if [ -d server/cmd/natterbench ]; then
    say "load generator (fan-out, ingest, memory)"
    go run ./server/cmd/natterbench "$@"
  fi
}

case "${1:-}" in
  build) cmd_build ;;
  run) cmd_run ;;
  test) cmd_test ;;
  bench) shift; cmd_bench "$@" ;;
  *) echo "usage: ./build.sh build | run | test | bench" >&2; exit 2 ;;
esac
