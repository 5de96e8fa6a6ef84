#!/usr/bin/env bash
# deps.sh - installs what lv needs: Debian packages, then the npm packages
# pinned in package-lock.json.
# Usage: scripts/deps.sh build|test|bench
# As root it runs apt-get; otherwise it prints the exact command and fails.
set -eu
cd "$(dirname "$0")/.."

build_pkgs="make gcc pkg-config re2c lemon libjansson-dev libwebsockets-dev libuv1-dev libwebsockets-evlib-uv libev-dev libwebsockets-evlib-ev libhiredis-dev libsqlite3-dev libpq-dev"
test_pkgs="$build_pkgs libcriterion-dev clang valgrind openssl chromium cmake curl dpkg-dev redis-server postgresql sqlite3"
bench_pkgs="$build_pkgs protobuf-compiler time wrk"

case "${1:-build}" in
build) want=$build_pkgs ;;
test) want=$test_pkgs ;;
bench) want=$bench_pkgs ;;
*) echo "usage: $0 build|test|bench" >&2; exit 2 ;;
esac
command -v node >/dev/null 2>&1 || want="$want nodejs npm"

missing=""
for p in $want; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done
if [ -n "$missing" ]; then
	if [ "$(id -u)" -ne 0 ]; then
		echo "lv needs these Debian packages:$missing" >&2
		echo "run: sudo apt-get install -y$missing" >&2
		exit 1
	fi
	echo "installing:$missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi

# The browser runtime is bundled with esbuild, the React example with Vite
# (react, react-dom, @vitejs/plugin-react); the tests use ws, typescript and
# playwright-core; runtime/js is linked in as the workspace @lv/runtime. All
# pinned in package-lock.json.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
	echo "installing the npm packages of package-lock.json"
	npm ci --no-audit --no-fund --loglevel=error
fi
