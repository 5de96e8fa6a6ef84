#!/usr/bin/env bash
# deb.sh - lv as Debian packages: `make deb`, the packages' fields and files, then their contents unpacked into a temporary root (dpkg-deb -x: the system is not touched) and the consumer program built from there with make + pkg-config and with CMake, run and called.
# With LV_DEB_APT=1, run as root, the packages are also installed for
# real with apt-get, the consumer built against /usr, and the packages
# purged again. Prints "deb: N passed, N failed".
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

case $B in /*) bdir=$B ;; *) bdir=$root/$B ;; esac
version=$(sed -n 's/^#define LV_VERSION "\(.*\)"/\1/p' "$root/runtime/include/lv.h")
major=${version%%.*}
arch=$(dpkg --print-architecture)
ma=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
libpkg=liblv$major
packages=(lvc "$libpkg" liblv-dev)
deb() { echo "$bdir/deb/${1}_${version}_$arch.deb"; }

check "make deb" make -C "$root" --no-print-directory B="$B" deb
check "make deb made the three packages, and nothing else" bash -c "
	diff <(cd '$bdir/deb' && ls) <(printf '%s\n' lvc liblv-dev $libpkg | sed 's/\$/_${version}_$arch.deb/' | sort)"

# The files each package holds (directories aside).
expect_lvc="./usr/bin/lvc
./usr/share/doc/lvc/copyright"
expect_lib="./usr/lib/$ma/liblv.so.$version
./usr/lib/$ma/liblv.so.$major
./usr/share/doc/$libpkg/copyright"
expect_dev="./usr/include/lv.h
./usr/include/lv_abi.h
./usr/include/lv_jansson.h
./usr/lib/$ma/cmake/lv/lvConfig.cmake
./usr/lib/$ma/cmake/lv/lvConfigVersion.cmake
./usr/lib/$ma/cmake/lv/lvContract.cmake
./usr/lib/$ma/liblv.a
./usr/lib/$ma/liblv.so
./usr/lib/$ma/pkgconfig/lv.pc
./usr/share/doc/liblv-dev/copyright"

files_are() { # deb expected
	diff <(dpkg-deb --fsys-tarfile "$1" | tar -t | grep -v '/$' | sort) <(sort <<<"$2")
}
fields_are_right() { # deb package
	local f
	[ "$(dpkg-deb -f "$1" Package)" = "$2" ] && [ "$(dpkg-deb -f "$1" Version)" = "$version" ] &&
	[ "$(dpkg-deb -f "$1" Architecture)" = "$arch" ] || return 1
	for f in Maintainer Section Priority Installed-Size Depends Description; do
		[ -n "$(dpkg-deb -f "$1" "$f")" ] || { echo "$2: no $f"; return 1; }
	done
	dpkg-deb -f "$1" Maintainer | grep -qE '^[^<]+ <[^>]+@[^>]+>$'
}
# Every entry under ./usr, owned by root.
in_usr_as_root() { # deb
	dpkg-deb --contents "$1" | awk '$2 != "root/root" { print "owner: " $0; bad = 1 }
		$6 != "./" && $6 !~ /^\.\/usr\// { print "outside /usr: " $0; bad = 1 } END { exit bad }'
}
# Depends names the package of each library the file needs (objdump -p),
# with a minimum version.
depends_cover_needed() { # deb file
	local deps lib pkg
	deps=$(dpkg-deb -f "$1" Depends)
	for lib in $(objdump -p "$2" | awk '$1 == "NEEDED" { print $2 }'); do
		pkg=$(dpkg -S "*/$ma/$lib" | sed -n '1s/:.*//p')
		[ -n "$pkg" ] || { echo "no package holds $lib"; return 1; }
		grep -qE "(^|, )$pkg \(>= [^)]+\)" <<<"$deps" || { echo "$lib ($pkg) not in: $deps"; return 1; }
	done
}
# The control archive's md5sums lists every file, and each one matches.
md5sums_match() { # deb
	local ctl fs
	ctl=$tmp/ctl-$(basename "$1")
	fs=$tmp/fs-$(basename "$1")
	dpkg-deb -e "$1" "$ctl" && dpkg-deb -x "$1" "$fs" || return 1
	diff <(sed 's/^[0-9a-f]*  //' "$ctl/md5sums" | sort) <(cd "$fs" && find . -type f -printf '%P\n' | sort) &&
	(cd "$fs" && md5sum -c --quiet "$ctl/md5sums")
}

for p in "${packages[@]}"; do
	check "$p: the package exists" test -f "$(deb "$p")"
	check "$p: Package, Version $version, Architecture $arch and the other fields" \
		fields_are_right "$(deb "$p")" "$p"
	check "$p: everything under /usr, owned by root" in_usr_as_root "$(deb "$p")"
	check "$p: md5sums" md5sums_match "$(deb "$p")"
done
check "lvc: its files" files_are "$(deb lvc)" "$expect_lvc"
check "$libpkg: its files" files_are "$(deb "$libpkg")" "$expect_lib"
check "liblv-dev: its files" files_are "$(deb liblv-dev)" "$expect_dev"
check "$libpkg: the soname link, liblv.so.$major -> liblv.so.$version" bash -c "
	dpkg-deb --contents '$(deb "$libpkg")' | grep -q ' ./usr/lib/$ma/liblv.so.$major -> liblv.so.$version\$'"
check "liblv-dev: the link for -llv, liblv.so -> liblv.so.$major" bash -c "
	dpkg-deb --contents '$(deb liblv-dev)' | grep -q ' ./usr/lib/$ma/liblv.so -> liblv.so.$major\$'"
check "$libpkg: shlibs names it, and ldconfig runs on install" bash -c "
	dpkg-deb -I '$(deb "$libpkg")' shlibs | grep -qx 'liblv $major $libpkg (>= $version)' &&
	dpkg-deb -I '$(deb "$libpkg")' triggers | grep -qx 'activate-noawait ldconfig'"
check "liblv-dev: Depends on $libpkg and lvc of its version, libwebsockets-dev, libuv1-dev, libev-dev, libhiredis-dev, libjansson-dev, libsqlite3-dev, libpq-dev" bash -c "
	d=\$(dpkg-deb -f '$(deb liblv-dev)' Depends) && echo \"\$d\" &&
	for w in '$libpkg (= $version)' 'lvc (= $version)' libwebsockets-dev libuv1-dev libev-dev libhiredis-dev libjansson-dev libsqlite3-dev libpq-dev; do
		grep -qF \"\$w\" <<<\"\$d\" || exit 1
	done"

# The packages unpacked into a temporary root.
sysroot=$tmp/root
for p in "${packages[@]}"; do check "$p: unpacks" dpkg-deb -x "$(deb "$p")" "$sysroot"; done
lib=$sysroot/usr/lib/$ma
check "lvc: Depends covers what it links" depends_cover_needed "$(deb lvc)" "$sysroot/usr/bin/lvc"
check "$libpkg: Depends covers what it links" \
	depends_cover_needed "$(deb "$libpkg")" "$lib/liblv.so.$version"
check "liblv.so.$version has the soname liblv.so.$major" bash -c "
	objdump -p '$lib/liblv.so.$version' | grep -qE '^ *SONAME +liblv\.so\.$major\$'"
check "the packaged lvc runs: lvc $version" bash -c "[ \"\$('$sysroot/usr/bin/lvc' --version)\" = 'lvc $version' ]"

# With make and pkg-config: lv.pc names /usr, which the sysroot moves.
export PKG_CONFIG_SYSROOT_DIR=$sysroot PKG_CONFIG_PATH=$lib/pkgconfig
check "pkg-config finds the root's lv.pc and lvc" bash -c "
	[ \"\$(pkg-config --variable=lvc lv)\" = '$sysroot/usr/bin/lvc' ] &&
	pkg-config --cflags lv | grep -qF -- '-I$sysroot/usr/include'"
consumer_make pc "$lib" "unpacked packages"
unset PKG_CONFIG_SYSROOT_DIR PKG_CONFIG_PATH
# With CMake: find_package(lv) in the multiarch folder of the root.
consumer_cmake cm "unpacked packages" -DCMAKE_PREFIX_PATH="$sysroot/usr"
check "CMake found the root's package" \
	grep -qx "lv_DIR:PATH=$lib/cmake/lv" "$tmp/cm/build/CMakeCache.txt"

# Installed for real, on request only: LV_DEB_APT=1, as root.
installed() { dpkg-query -W -f='${Status}\n' "$@" 2>/dev/null | grep -q 'install ok installed'; }
if [ "${LV_DEB_APT:-0}" = 1 ]; then
	if [ "$(id -u)" -ne 0 ]; then
		echo "deb: LV_DEB_APT=1 needs root; the packages were not installed"
	elif installed "${packages[@]}"; then
		check "LV_DEB_APT=1: lv's packages are not installed already (the test would remove them)" false
	else
		export DEBIAN_FRONTEND=noninteractive
		on_exit "apt-get purge -y -qq ${packages[*]} >/dev/null 2>&1"
		check "apt-get installs the packages" \
			apt-get install -y -qq --no-install-recommends "$(deb lvc)" "$(deb "$libpkg")" "$(deb liblv-dev)"
		check "installed: /usr/bin/lvc, and lv.pc names it" bash -c "
			[ \"\$(pkg-config --variable=lvc lv)\" = /usr/bin/lvc ] && [ \"\$(/usr/bin/lvc --version)\" = 'lvc $version' ]"
		consumer_make apt-pc "" "installed packages"
		consumer_cmake apt-cm "installed packages"
		check "CMake found the installed package" \
			grep -qx "lv_DIR:PATH=/usr/lib/$ma/cmake/lv" "$tmp/apt-cm/build/CMakeCache.txt"
		check "apt-get purges the packages" bash -c "
			apt-get purge -y -qq ${packages[*]} && [ ! -e /usr/bin/lvc ] && [ ! -e /usr/lib/$ma/liblv.so.$major ]"
	fi
fi

finish deb
