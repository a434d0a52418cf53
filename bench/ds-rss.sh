#!/usr/bin/env bash
# bench/ds-rss.sh — how much memory a running ds takes, as built and linked
# here, and what linking the static archives Debian ships would change.
#
#   bash bench/ds-rss.sh [--containers N] [--settle S]
#
# Environment: BUILD (cmake build dir holding ds; default ./build). Needs
# root (the test bed runs dockerd).
#
# It brings up a private test bed (scripts/testbed up --addr-base auto,
# taken down at exit), starts N idle containers (default 5), and runs, one
# after the other, each for S seconds (default 8) with --interval 2s,
# writing to the bed's InfluxDB:
#
#   as built         BUILD/ds (by default shared libcurl, jansson and
#                    libmicrohttpd; a DAS_DS_STATIC=ON build is linked as
#                    below)
#   static archives  the same objects linked, not as PIE (the libraries'
#                    function-pointer tables then need no relocating at
#                    start), against every static archive Debian ships for
#                    ds's libraries (libcurl.a and its dependencies',
#                    jansson, libmicrohttpd, gnutls, OpenSSL, ...); krb5's
#                    GSSAPI, sasl2, p11-kit and unistring have no .a in
#                    Debian and stay shared. Only when those archives are
#                    installed (libcurl4-openssl-dev plus libnghttp2-dev
#                    librtmp-dev libssh2-1-dev libpsl-dev libzstd-dev
#                    libldap-dev libkrb5-dev); else skipped, saying which
#                    are missing.
#
# For each: VmRSS and its parts (/proc/PID/status), Private (Private_Clean
# + Private_Dirty) and Pss from /proc/PID/smaps_rollup, the shared objects
# mapped, and the peak RSS of `ds --help` (loading and the libraries'
# constructors, no connection made) from wait4's rusage. The largest
# resident mappings of each are listed too.
set -euo pipefail

SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD:-build}
N=5
SETTLE=8
while (($#)); do
  case "$1" in
    --containers) N=${2:?}; shift 2 ;;
    --settle) SETTLE=${2:?}; shift 2 ;;
    -h|--help) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "ds-rss: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
[[ "$N" =~ ^[0-9]+$ && "$SETTLE" =~ ^[1-9][0-9]*$ ]] ||
  { echo "ds-rss: --containers needs a number >= 0, --settle a number >= 1" >&2; exit 2; }
DS=$(cd "$BUILD" && pwd)/ds
[[ -x "$DS" ]] || { echo "ds-rss: no ds in $BUILD (build first, or set BUILD)" >&2; exit 2; }

ROOT=$(mktemp -d /tmp/das-rss.XXXXXX)
chmod 755 "$ROOT" # the bed's postgres runs as its own user
cleanup() {
  "$SRC/scripts/testbed" down --dir "$ROOT/bed" >/dev/null 2>&1 || true
  rm -rf "$ROOT"
}
trap cleanup EXIT

# the mixed static link, from the objects of BUILD
static_link() {
  local lib=/usr/lib/x86_64-linux-gnu missing="" a
  for a in curl nghttp2 rtmp ssh2 psl ssl crypto ldap lber zstd brotlidec brotlicommon z \
    microhttpd gnutls hogweed nettle gmp tasn1 idn2 jansson; do
    [[ -f "$lib/lib$a.a" ]] || missing+=" lib$a.a"
  done
  if [[ -n "$missing" ]]; then
    echo "static: skipped, no$missing" >&2
    return 1
  fi
  (cd "$BUILD" && cc -O2 CMakeFiles/ds.dir/src/ds/*.c.o -o "$ROOT/ds-static" libdascommon.a \
    -no-pie -Wl,--gc-sections -Wl,-Bstatic -lcurl -lnghttp2 -lrtmp -lssh2 -lpsl -lssl -lcrypto \
    -lldap -llber -lzstd -lbrotlidec -lbrotlicommon -lz -lmicrohttpd -lgnutls -lhogweed \
    -lnettle -lgmp -ltasn1 -lidn2 -ljansson -Wl,-Bdynamic -lgssapi_krb5 \
    "$lib/libsasl2.so.2" "$lib/libp11-kit.so.0" "$lib/libunistring.so.2" -lpthread -lm -ldl) \
    2> >(grep -v 'statically linked applications requires' | grep -v 'in function' >&2)
}

measure() {
  local name=$1 bin=$2 pid help log
  log=$ROOT/${name// /-}.log
  help=$( { /usr/bin/time -f '%M' "$bin" --help >/dev/null; } 2>&1 | tail -1)
  "$bin" --interval 2s --log-level warn >"$log" 2>&1 &
  pid=$!
  sleep "$SETTLE"
  kill -0 "$pid" 2>/dev/null || { echo "ds-rss: $name exited: $(tail -3 "$log")" >&2; return 1; }
  awk -v name="$name" -v help="$help" -v libs="$(ldd "$bin" | grep -c '=>')" '
    FILENAME ~ /status$/ && /^(VmRSS|RssAnon|RssFile):/ { v[$1] = $2 }
    FILENAME ~ /rollup$/ && /^(Pss|Private_Clean|Private_Dirty):/ { v[$1] = $2 }
    END {
      printf "| %s | %.1f MiB | %.1f MiB | %.1f MiB | %.1f MiB | %.1f MiB | %d | %.1f MiB |\n", name,
        v["VmRSS:"] / 1024, v["RssAnon:"] / 1024, v["RssFile:"] / 1024,
        (v["Private_Clean:"] + v["Private_Dirty:"]) / 1024, v["Pss:"] / 1024, libs, help / 1024
    }' "/proc/$pid/status" "/proc/$pid/smaps_rollup" >>"$ROOT/table"
  awk '/^[0-9a-f]+-[0-9a-f]+ / { n = $6 == "" ? "[anon]" : $6 } /^Rss:/ { r[n] += $2 }
    END { for (k in r) if (r[k] >= 100) printf "%6d KiB %s\n", r[k], k }' "/proc/$pid/smaps" |
    sort -rn | head -8 | sed "s|^|$name: |" >>"$ROOT/maps"
  kill "$pid"
  wait "$pid" 2>/dev/null || true
}

"$SRC/scripts/testbed" up --dir "$ROOT/bed" --addr-base auto >/dev/null
eval "$("$SRC/scripts/testbed" env --dir "$ROOT/bed")"
for ((i = 0; i < N; i++)); do
  docker run -d das-busybox:latest sleep 100000 >/dev/null
done

: >"$ROOT/table"
: >"$ROOT/maps"
measure "as built" "$DS"
if static_link; then
  measure "static archives" "$ROOT/ds-static"
fi
echo "ds memory, $N containers, after ${SETTLE}s of 2 s rounds ($(date -u +%FT%TZ), $(git -C "$SRC" rev-parse --short HEAD 2>/dev/null || echo unknown))"
echo
echo "| link | VmRSS | RssAnon | RssFile | Private | Pss | shared objects | \`ds --help\` peak RSS |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|"
cat "$ROOT/table"
echo
echo "Largest resident mappings:"
echo
echo '```'
cat "$ROOT/maps"
echo '```'
