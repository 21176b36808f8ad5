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

# BROTLI_OPTS: the best brotli has; -w 24 (a 16 MB window) is 12% smaller
# than -q 9 on the wasm for a few seconds of build. The stamp file says which
# options made web/app.wasm.br, so changing them recompresses.
BROTLI_OPTS="-q 11 -w 24"
build_wasm() {
  say "building the web app (wasm)"
  mkdir -p web
  local tmp=web/.app.wasm.tmp stamp="web/.app.wasm.br-${BROTLI_OPTS// /}"
  GOOS=js GOARCH=wasm go build -trimpath -ldflags="-s -w" -o "$tmp" ./wasm || fail "wasm build failed"
  if [ -f web/app.wasm ] && cmp -s "$tmp" web/app.wasm && [ -f web/app.wasm.br ] && [ -f web/app.wasm.gz ] && [ -f "$stamp" ]; then
    rm -f "$tmp"
    return
  fi
  mv "$tmp" web/app.wasm
  apt_install brotli brotli
  say "compressing app.wasm (brotli $BROTLI_OPTS, gzip)"
  rm -f web/.app.wasm.br-*
  # Written aside and renamed: a running server may be serving the old ones.
  # shellcheck disable=SC2086 # BROTLI_OPTS is several words
  brotli -f $BROTLI_OPTS -o web/.app.wasm.br.tmp web/app.wasm || fail "brotli failed"
  gzip -9 -c web/app.wasm > web/.app.wasm.gz.tmp || fail "gzip failed"
  mv web/.app.wasm.br.tmp web/app.wasm.br
  mv web/.app.wasm.gz.tmp web/app.wasm.gz
  touch "$stamp"
}

# build_emoji_font puts an emoji web font into web/fonts (built, not
# committed: ~0.5 MB). It comes from the npm package @fontsource/noto-emoji
# (Google's Noto Emoji, SIL OFL 1.1), split by Unicode range into 11 WOFF2
# files: a browser fetches one only for emoji on screen that no installed
# font draws, so machines with an emoji font (most) never download any. It is
# the monochrome Noto: the color one is 4 MB and its glyphs came out blank in
# headless Chromium here, while a fallback must draw everywhere. Without npm
# or a network it warns and goes on: app.css still lists the systems' own
# emoji fonts and monochrome ones.
EMOJI_FONT_VERSION=5.3.2
EMOJI_CSS_REV=4 # bump when the generated emoji.css changes
build_emoji_font() {
  local out=web/fonts pkg="$ROOT/.cache/emoji/node_modules/@fontsource/noto-emoji"
  grep -qs "noto-emoji $EMOJI_FONT_VERSION, css $EMOJI_CSS_REV" "$out/emoji.css" && return 0
  if ! command -v npm >/dev/null 2>&1 && ! (apt_install npm npm); then
    printf 'build.sh: warning: no emoji web font (npm missing); emoji use the system fonts only\n' >&2
    return 0
  fi
  if ! grep -qs "\"version\": \"$EMOJI_FONT_VERSION\"" "$pkg/package.json"; then
    say "fetching the emoji font (npm @fontsource/noto-emoji@$EMOJI_FONT_VERSION)"
    if ! npm install --prefix "$ROOT/.cache/emoji" --no-audit --no-fund --loglevel=error \
      "@fontsource/noto-emoji@$EMOJI_FONT_VERSION" >/dev/null; then
      printf 'build.sh: warning: no emoji web font (npm install failed); emoji use the system fonts only\n' >&2
      return 0
    fi
  fi
  mkdir -p "$out"
  cp "$pkg"/files/noto-emoji-[0-9]*-400-normal.woff2 "$out/"
  cp "$pkg/LICENSE" "$out/LICENSE-noto-emoji.txt"
  # The package's CSS, renamed to "Natter Emoji" (a face named like an
  # installed font would hide it). app.css puts this family first (Chrome
  # redraws text laid out before a font loaded only for the first family of
  # a list). Its faces leave out Basic Latin and Latin-1 (digits, #, *, (c),
  # (R): keycap bases), the trade mark, info and arrow signs: text first,
  # emoji only with U+FE0F, they stay in the text font.
  # The systems' own color emoji fonts come first through one more face,
  # defined last (the last face is tried first) over the union of the
  # ranges, whose local() names fall through to the downloads when none is
  # installed. One face, not a local() list in each of the 11: Chrome looks
  # every local() name up when it first lays text out in the family, each a
  # synchronous call to the browser's font service, and 88 of them were
  # 60-100 ms of a cold start's layout (docs/BENCHMARKS.md).
  local faces
  faces=$(sed -e "s/font-family: 'Noto Emoji'/font-family: 'Natter Emoji'/" \
        -e "s#src: url(./files/\([^)]*\.woff2\)) format('woff2'), url([^)]*) format('woff');#src: url(\1) format('woff2');#" \
        "$pkg/400.css" | sed -E "/unicode-range/s/U\+([0-9a-f]{1,2}(-[0-9a-f]{1,2})?|2122|2139|2194-219[59]|21a9-21aa),//g")
  { echo "/* noto-emoji $EMOJI_FONT_VERSION, css $EMOJI_CSS_REV, from npm @fontsource; SIL OFL 1.1 (LICENSE-noto-emoji.txt). Generated by build.sh. */"
    printf '%s\n' "$faces"
    printf "\n/* the systems' own color emoji fonts, over every range above */\n@font-face {\n  font-family: 'Natter Emoji';\n  font-style: normal;\n  font-weight: 400;\n  src: local('Apple Color Emoji'), local('Segoe UI Emoji'), local('Noto Color Emoji'), local('NotoColorEmoji'), local('Twemoji Mozilla'), local('EmojiOne Color'), local('Android Emoji'), local('Noto Emoji');\n  unicode-range: %s;\n}\n" \
      "$(printf '%s\n' "$faces" | sed -n 's/^ *unicode-range: *\(.*\);$/\1/p' | paste -sd, - | sed 's/,/, /g')"
  } > "$out/emoji.css"
}

build_server() {
  say "building the server (bin/natter)"
  mkdir -p bin
  go build -trimpath -o bin/natter ./server/cmd/natter || fail "server build failed"
}

cmd_build() { build_wasm; build_emoji_font; build_server; }

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

# bench_client runs the browser benchmark (server/cmd/clientbench): wasm
# size, cold, warm and offline starts, Lighthouse. CLIENTBENCH_OLD names an
# older build (a checkout after ./build.sh build) to measure beside this one
# in the same run; without it only this build is measured.
LIGHTHOUSE_VERSION=12.2.3 # 13 wants a newer Node than Debian's
bench_client() {
  apt_install chromium chromium
  apt_install node nodejs
  apt_install npm npm
  local lh="$ROOT/.cache/lighthouse" lhcli=()
  if ! grep -qs "\"version\": \"$LIGHTHOUSE_VERSION\"" "$lh/node_modules/lighthouse/package.json"; then
    say "installing Lighthouse $LIGHTHOUSE_VERSION (npm)"
    npm install --prefix "$lh" --no-audit --no-fund --loglevel=error -E "lighthouse@$LIGHTHOUSE_VERSION" >/dev/null ||
      printf 'build.sh: warning: npm install lighthouse failed; the client benchmark runs without it\n' >&2
  fi
  [ -x "$lh/node_modules/.bin/lighthouse" ] && lhcli=(-lighthouse "$lh/node_modules/.bin/lighthouse")
  say "client (headless Chromium${lhcli:+, Lighthouse})"
  local old=()
  [ -z "${CLIENTBENCH_OLD:-}" ] || old=(-old "$CLIENTBENCH_OLD")
  go run ./server/cmd/clientbench "${old[@]}" "${lhcli[@]}"
}

cmd_bench() {
  need_postgres
  cmd_build
  bench_client
  say "benchmarks (store, hub)"
  # store's BenchmarkSearch1M seeds 1,000,000 messages: search p50/p99 and index size.
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
