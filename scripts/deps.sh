#!/usr/bin/env bash
# deps.sh - installs the Debian packages lv needs, or says how.
# Usage: scripts/deps.sh build|test
# As root it runs apt-get; otherwise it prints the exact command and fails.
set -eu

build_pkgs="make gcc pkg-config re2c lemon libjansson-dev"
test_pkgs="$build_pkgs libcriterion-dev"

case "${1:-build}" in
build) want=$build_pkgs ;;
test) want=$test_pkgs ;;
*) echo "usage: $0 build|test" >&2; exit 2 ;;
esac

missing=""
for p in $want; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "lv needs these Debian packages:$missing" >&2
	echo "run: sudo apt-get install -y$missing" >&2
	exit 1
fi
echo "installing:$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends $missing >/dev/null
