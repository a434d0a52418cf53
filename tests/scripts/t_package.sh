#!/usr/bin/env bash
# make install and the Debian package (make package, CPack): cmake --install
# into a DESTDIR puts ds, das, their man pages and the example stack files where they
# belong; cpack builds das_*.deb holding those and nothing else, whose
# Depends covers every shared library the programs link; dpkg -i installs
# it on this machine, /usr/bin/das and /usr/bin/ds print the build's
# version, and dpkg -r removes it again (then --purge: no trace left).
#
# The real install needs root, a free dpkg lock (waited for, up to 5
# minutes) and no das of another origin in /usr/bin; without them the
# package is only unpacked (dpkg -x) and the test reports itself skipped.
# Run by ctest as unit.package (DAS_BUILD: the build folder).
set -uo pipefail
SRC=${DAS_SRC:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
BUILD=${DAS_BUILD:-$SRC/build}
T=$(mktemp -d)
fails=0 checks=0
installed_by_us=0

status_of() {
  dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null || true
}
cleanup() {
  # a failure half-way must not leave the package on the machine
  if ((installed_by_us)) && [[ -n "$(status_of das)" && "$(status_of das)" != not-installed ]]; then
    dpkg --purge das >/dev/null 2>&1 ||
      echo "t_package: could not remove the das package: run dpkg --purge das" >&2
  fi
  rm -rf "$T"
}
trap cleanup EXIT

ok() {
  checks=$((checks + 1))
  echo "ok: $1"
}
bad() {
  checks=$((checks + 1))
  fails=$((fails + 1))
  echo "FAIL: $1"
}
# expect NAME GOT WANT
expect() {
  if [[ "$2" == "$3" ]]; then ok "$1"; else bad "$1: got '$2', want '$3'"; fi
}

for f in ds das CPackConfig.cmake; do
  [[ -e $BUILD/$f ]] || { echo "FAIL: $BUILD/$f missing: build first"; exit 1; }
done
want_das=$("$BUILD/das" --version)
want_ds=$("$BUILD/ds" --version)
[[ $want_das == "das "* && $want_ds == "ds "* ]] ||
  { echo "FAIL: the built programs' --version: '$want_das' / '$want_ds'"; exit 1; }

# make install: cmake --install with a prefix, into a DESTDIR
DESTDIR=$T/root cmake --install "$BUILD" --prefix /opt/das >"$T/install.log" 2>&1 ||
  bad "cmake --install: $(cat "$T/install.log")"
for f in bin/ds bin/das share/man/man1/das.1 share/man/man8/ds.8 \
  share/doc/das/examples/das.yml \
  share/doc/das/examples/docker-stack.yml \
  share/doc/das/examples/docker-stack.labels.yml; do
  if [[ -e $T/root/opt/das/$f ]]; then ok "make install: $f"; else bad "make install: no $f"; fi
done
expect "make install: the installed das runs" "$("$T/root/opt/das/bin/das" --version 2>&1)" "$want_das"

# make package
(cd "$BUILD" && cpack -G DEB --config CPackConfig.cmake -B "$T/pkg") >"$T/cpack.log" 2>&1 ||
  { echo "FAIL: cpack: $(cat "$T/cpack.log")"; exit 1; }
debs=("$T"/pkg/das_*.deb)
[[ ${#debs[@]} == 1 && -f ${debs[0]} ]] || { echo "FAIL: cpack made no das_*.deb: $(ls "$T/pkg")"; exit 1; }
deb=${debs[0]}
expect "package: name" "$(dpkg-deb -f "$deb" Package)" das
version=$want_das
version=${version#das }
version=${version%% *}
expect "package: version is the project's" "$(dpkg-deb -f "$deb" Version)" "$version"

files=$(dpkg-deb -c "$deb" | awk '$1 !~ /^d/ { print $NF }' | sort)
want_files=$(printf '%s\n' ./usr/bin/das ./usr/bin/ds \
  ./usr/share/man/man1/das.1 ./usr/share/man/man8/ds.8 \
  ./usr/share/doc/das/examples/README.md \
  ./usr/share/doc/das/examples/das.yml \
  ./usr/share/doc/das/examples/docker-stack.labels.yml \
  ./usr/share/doc/das/examples/docker-stack.yml | sort)
expect "package: holds the programs, their man pages and the examples, nothing else" "$files" "$want_files"

# Depends covers the Debian package of each library the programs link
dpkg -x "$deb" "$T/x"
depends=" $(dpkg-deb -f "$deb" Depends | sed 's/([^)]*)//g; s/,/ /g') "
for prog in ds das; do
  bin=$T/x/usr/bin/$prog
  while read -r lib; do
    path=$(ldd "$bin" | awk -v l="$lib" '$1 == l { print $3 }')
    owner=
    for p in "$path" "$(readlink -f "$path")" "/usr$path"; do
      owner=$(dpkg -S "$p" 2>/dev/null | head -1 | cut -d: -f1) && [[ -n $owner ]] && break
    done
    if [[ -z $owner ]]; then
      bad "package: $prog links $lib ($path), which no Debian package owns"
    elif [[ $depends == *" $owner "* ]]; then
      ok "package: $prog links $lib: $owner is in Depends"
    else
      bad "package: $prog links $lib from $owner, not in Depends:$depends"
    fi
  done < <(readelf -d "$bin" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
done
expect "package: das runs from the unpacked package" "$("$T/x/usr/bin/das" --version 2>&1)" "$want_das"

# the real install, when this may touch the machine
why_not=
if ((EUID != 0)); then
  why_not="not root"
elif [[ -n "$(status_of das)" && "$(status_of das)" != not-installed ]]; then
  why_not="a das package is installed already ($(status_of das))"
elif [[ -e /usr/bin/das || -e /usr/bin/ds ]]; then
  why_not="/usr/bin/das or /usr/bin/ds is there already"
fi
if [[ -z $why_not ]]; then
  # another dpkg or apt may hold the lock: wait for it, up to 5 minutes
  for ((i = 0; i < 60; i++)); do
    out=$(dpkg -i "$deb" 2>&1)
    rc=$?
    [[ $rc != 0 && $out == *lock* ]] || break
    sleep 5
  done
  installed_by_us=1
  if ((rc == 0)); then ok "dpkg -i: installed"; else bad "dpkg -i failed: $out"; fi
  expect "dpkg -i: the package is installed" "$(status_of das)" installed
  expect "dpkg -i: /usr/bin/das --version" "$(/usr/bin/das --version 2>&1)" "$want_das"
  expect "dpkg -i: /usr/bin/ds --version" "$(/usr/bin/ds --version 2>&1)" "$want_ds"
  expect "dpkg -i: das version" "$(/usr/bin/das version 2>&1)" "$want_das"
  out=$(dpkg -r das 2>&1) || bad "dpkg -r: $out"
  if [[ -e /usr/bin/das || -e /usr/bin/ds || -e /usr/share/doc/das ]]; then
    bad "dpkg -r: files left: $(ls -d /usr/bin/das /usr/bin/ds /usr/share/doc/das 2>&1)"
  else
    ok "dpkg -r: the files are gone"
  fi
  out=$(dpkg --purge das 2>&1) || bad "dpkg --purge: $out"
  st=$(status_of das)
  if [[ -z $st || $st == not-installed ]]; then
    ok "dpkg --purge: no das in dpkg's database"
    installed_by_us=0
  else
    bad "dpkg --purge: das still $st"
  fi
fi

echo "$((checks - fails)) passed, $fails failed"
((fails == 0)) || exit 1
if [[ -n $why_not ]]; then
  echo "[  SKIPPED ] the install on this machine: $why_not (unpacked only)"
fi
exit 0
