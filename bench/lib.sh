# shellcheck shell=bash
# lib.sh - helpers shared by the benchmark scenarios; sourced, not run.
# A scenario sources it after `set -euo pipefail` and gets:
#   bench_root             the repository root (the working directory too)
#   bench_need CMD PKG     CMD must exist; PKG is the Debian package with it
#   bench_need_done        installs what is missing (as root) or says how
#   bench_time_us VAR CMD  runs CMD (output discarded), stores its wall time
#                          in microseconds in VAR; fails if CMD fails
#   bench_rss_kb CMD       prints CMD's peak resident set in KiB, or "-"
#   bench_median N...      prints the median of integers
#   bench_machine          prints the machine: CPUs, CPU model, memory
#   bench_load             prints the 1-minute load average (other work on
#                          the machine makes timings noisy)

export LC_ALL=C   # a '.' in $EPOCHREALTIME and in printf's %f
bench_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$bench_root" || exit 1

bench_missing_pkgs=""
bench_need() { # cmd pkg
	command -v "$1" >/dev/null 2>&1 || bench_missing_pkgs="$bench_missing_pkgs $2"
}

bench_need_done() {
	[ -z "$bench_missing_pkgs" ] && return 0
	if [ "$(id -u)" -ne 0 ]; then
		echo "this benchmark needs these Debian packages:$bench_missing_pkgs" >&2
		echo "run: sudo apt-get install -y$bench_missing_pkgs" >&2
		exit 1
	fi
	echo "installing:$bench_missing_pkgs"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $bench_missing_pkgs >/dev/null
	bench_missing_pkgs=""
}

bench_time_us() { # var cmd...
	local __var=$1 t0 t1 rc=0
	shift
	t0=$EPOCHREALTIME
	"$@" >/dev/null 2>&1 || rc=$?
	t1=$EPOCHREALTIME
	if [ "$rc" -ne 0 ]; then
		echo "bench: '$*' failed with status $rc" >&2
		exit 1
	fi
	# sec.usec with exactly six digits after the point.
	printf -v "$__var" '%d' $(( 10#${t1/./} - 10#${t0/./} ))
}

bench_rss_kb() { # cmd...
	if [ ! -x /usr/bin/time ]; then
		echo "-"
		return
	fi
	local f
	f=$(mktemp)
	if /usr/bin/time -f %M -o "$f" "$@" >/dev/null 2>&1; then
		tail -n 1 "$f"
	else
		echo "-"
	fi
	rm -f "$f"
}

bench_median() { # ints...
	printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 }
		END { if (NR % 2) print v[(NR + 1) / 2]; else print int((v[NR / 2] + v[NR / 2 + 1]) / 2) }'
}

bench_machine() {
	local model mem
	model=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null)
	mem=$(awk '/^MemTotal:/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo 2>/dev/null)
	echo "cpus: $(nproc 2>/dev/null || echo '?')"
	echo "cpu: ${model:-unknown}"
	echo "memory: ${mem:-unknown}"
	echo "kernel: $(uname -sr)"
}

bench_load() {
	cut -d' ' -f1 /proc/loadavg 2>/dev/null || echo '?'
}
