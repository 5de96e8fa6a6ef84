#!/usr/bin/env bash
# mkdeb.sh - splits a staged `make install` (PREFIX=/usr, Debian's multiarch LIBDIR) into the Debian packages lvc, liblvMAJOR and liblv-dev, built with dpkg-deb.
#
# Usage: packaging/deb/mkdeb.sh STAGE WORK OUTDIR VERSION MULTIARCH
#   STAGE      the DESTDIR of `make install`; emptied as its files go into packages
#   WORK       a scratch folder: WORK/debian/PACKAGE/ is each package's tree,
#              the layout dpkg-shlibdeps expects
#   OUTDIR     where PACKAGE_VERSION_ARCH.deb go
#   VERSION    the version of lv (LV_VERSION)
#   MULTIARCH  the library folder's triplet (dpkg-architecture -qDEB_HOST_MULTIARCH)
# DEB_MAINTAINER names the Maintainer field; STRIP the strip program.
# The Depends of the binaries come from dpkg-shlibdeps.
set -eu

die() { echo "mkdeb.sh: $*" >&2; exit 1; }

[ $# -eq 5 ] || die "usage: mkdeb.sh STAGE WORK OUTDIR VERSION MULTIARCH"
stage=$1
work=$2
out=$3
version=$4
ma=$5
here=$(cd "$(dirname "$0")" && pwd)
maintainer=${DEB_MAINTAINER:-}
strip=${STRIP:-strip}

[ -n "$maintainer" ] || die "DEB_MAINTAINER is empty: the Maintainer field needs a name and an address"
[ -n "$ma" ] || die "no multiarch triplet (is dpkg-dev installed?)"
for tool in dpkg dpkg-deb dpkg-shlibdeps objdump "$strip"; do
	command -v "$tool" >/dev/null || die "$tool not found (Debian packages dpkg-dev and binutils)"
done
arch=$(dpkg --print-architecture)
libdir=usr/lib/$ma
lib=$stage/$libdir/liblv.so.$version
[ -f "$lib" ] || die "$lib: missing (run make install with DESTDIR=$stage first)"
soname=$(objdump -p "$lib" | awk '$1 == "SONAME" { print $2 }')
[ -n "$soname" ] || die "$lib: no SONAME"
somajor=${soname#liblv.so.}
libpkg=liblv$somajor

rm -rf "$work"
mkdir -p "$work/debian" "$out"
# dpkg-shlibdeps reads debian/control; it needs nothing from it here.
echo "Source: lv" >"$work/debian/control"

take() { # package path... : moves the staged paths into the package's tree
	local pkg=$1 p
	shift
	for p in "$@"; do
		[ -e "$stage/$p" ] || [ -L "$stage/$p" ] || die "$stage/$p: missing from the staged install"
		mkdir -p "$work/debian/$pkg/$(dirname "$p")"
		mv "$stage/$p" "$work/debian/$pkg/$p"
	done
}

take lvc usr/bin/lvc
take "$libpkg" "$libdir/liblv.so.$version" "$libdir/$soname"
take liblv-dev usr/include "$libdir/liblv.a" "$libdir/liblv.so" "$libdir/pkgconfig/lv.pc" \
	"$libdir/cmake/lv"
left=$(find "$stage" ! -type d)
[ -z "$left" ] || die "staged files that no package holds:
$left"
# DEBIAN/ marks a package's root, for dpkg-shlibdeps too.
mkdir -p "$work/debian/lvc/DEBIAN" "$work/debian/$libpkg/DEBIAN" "$work/debian/liblv-dev/DEBIAN"

# What a Debian package ships: no debug sections, libraries not executable.
"$strip" --strip-unneeded --remove-section=.comment --remove-section=.note \
	"$work/debian/lvc/usr/bin/lvc" "$work/debian/$libpkg/$libdir/liblv.so.$version"
"$strip" --strip-debug --enable-deterministic-archives --remove-section=.comment \
	"$work/debian/liblv-dev/$libdir/liblv.a"

esc() { printf '%s' "$1" | sed 's/[|&\\]/\\&/g'; } # for the right side of s|||

fill() { # template depends size : the control file on standard output
	sed -e '/^#/d' -e "s|@VERSION@|$version|g; s|@ARCH@|$arch|g; s|@SOMAJOR@|$somajor|g" \
	    -e "s|@MAINTAINER@|$(esc "$maintainer")|g; s|@DEPENDS@|$(esc "$2")|g" \
	    -e "s|@INSTALLED_SIZE@|$3|g" "$1"
}

shlibdeps() { # file : its Depends, from dpkg-shlibdeps
	(cd "$work" && dpkg-shlibdeps -O "-e${1#"$work"/}") | sed -n 's/^shlibs:Depends=//p'
}

installed_size() { # tree : KiB, counted as dpkg-gencontrol does
	find "$1" -path "$1/DEBIAN" -prune -o ! -path "$1" -printf '%y %s\n' |
		awk '$1 == "f" { n += int(($2 + 1023) / 1024); next } { n += 1 } END { print n }'
}

build() { # package template [depends] : PACKAGE_VERSION_ARCH.deb
	local pkg=$1 tree=$work/debian/$1
	install -d "$tree/usr/share/doc/$pkg"
	sed '/^#/d' "$here/copyright.in" >"$tree/usr/share/doc/$pkg/copyright"
	find "$tree" -type d -exec chmod 755 {} +
	find "$tree" -type f -exec chmod 644 {} +
	[ ! -f "$tree/usr/bin/lvc" ] || chmod 755 "$tree/usr/bin/lvc"
	if grep -q '@DEPENDS@' "$here/$2" && [ -z "${3:-}" ]; then
		die "$pkg: dpkg-shlibdeps found no Depends"
	fi
	fill "$here/$2" "${3:-}" "$(installed_size "$tree")" >"$tree/DEBIAN/control"
	(cd "$tree" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | sort -z | xargs -0 md5sum) \
		>"$tree/DEBIAN/md5sums"
	chmod 644 "$tree"/DEBIAN/*
	dpkg-deb --root-owner-group --build "$tree" "$out/${pkg}_${version}_$arch.deb"
}

# The runtime package says which package programs linked with liblv need
# (shlibs), and has ldconfig run when it is installed or removed.
echo "liblv $somajor $libpkg (>= $version)" >"$work/debian/$libpkg/DEBIAN/shlibs"
echo "activate-noawait ldconfig" >"$work/debian/$libpkg/DEBIAN/triggers"

build lvc lvc.control.in "$(shlibdeps "$work/debian/lvc/usr/bin/lvc")"
build "$libpkg" liblv.control.in "$(shlibdeps "$work/debian/$libpkg/$libdir/liblv.so.$version")"
build liblv-dev liblv-dev.control.in
