#!/bin/sh
# healthcheck [PATH]: the health check of the ds and das images, installed
# as /usr/local/bin/healthcheck (busybox: sh, wget, timeout, awk, cat, ls).
#
# GETs PATH (default /healthz) from this container's own program on the
# address its --listen setting names (DS_LISTEN in the ds image, DAS_LISTEN
# in the das image: ADDR:PORT, ADDR empty or 0.0.0.0 meaning 127.0.0.1),
# prints the body and exits 0 on HTTP 200, 1 otherwise. /healthz answers 503
# with the reason while the program is starting or unhealthy, and Docker
# keeps the last lines of output in `docker inspect` (.State.Health.Log).
#
# Port 0 ("any free port") is looked up among the listening sockets of the
# container's own ds or das process. That is for swarms whose nodes share one
# network namespace (the test bed: every engine on one host, tasks on the
# `host` network), where a fixed port would collide between nodes.
set -u

path=${1:-/healthz}
if [ -x /usr/local/bin/das ]; then
  prog=das
  listen=${DAS_LISTEN:-}
  var=DAS_LISTEN
else
  prog=ds
  listen=${DS_LISTEN:-}
  var=DS_LISTEN
fi
if [ -z "$listen" ]; then
  echo "healthcheck: $var is empty: $prog serves /healthz only with --listen ADDR:PORT" >&2
  exit 1
fi

host=${listen%:*}
port=${listen##*:}
case "$host" in
  '' | 0.0.0.0 | '*') host=127.0.0.1 ;;
esac
case "$port" in
  '' | *[!0-9]*)
    echo "healthcheck: $var=$listen: expected ADDR:PORT" >&2
    exit 1
    ;;
esac

if [ "$port" -eq 0 ]; then
  # The sockets our program's processes hold (found by name in this
  # container's pid namespace), then which of them listens on TCP.
  inodes=
  for d in /proc/[0-9]*; do
    [ "$(cat "$d/comm" 2>/dev/null)" = "$prog" ] || continue
    inodes="$inodes $(ls -l "$d/fd" 2>/dev/null |
      awk '{ if (match($0, /socket:\[[0-9]+\]/)) print substr($0, RSTART + 8, RLENGTH - 9) }')"
  done
  found=$(cat /proc/net/tcp /proc/net/tcp6 2>/dev/null | awk -v inodes="$inodes" '
    function hex(s,    i, v) {
      v = 0
      for (i = 1; i <= length(s); i++)
        v = v * 16 + index("0123456789ABCDEF", toupper(substr(s, i, 1))) - 1
      return v
    }
    BEGIN { n = split(inodes, a, " "); for (i = 1; i <= n; i++) want[a[i]] = 1 }
    $4 == "0A" && ($10 in want) { p = $2; sub(/.*:/, "", p); print hex(p); exit }')
  if [ -z "$found" ]; then
    echo "healthcheck: $var=$listen and no listening socket of $prog found (not started yet?)" >&2
    exit 1
  fi
  port=$found
fi

# Our own loopback or container address: never through a proxy. (Debian's
# static busybox 1.35 wget crashes with -Y or -T: hence unset and timeout.)
unset http_proxy HTTP_PROXY
exec timeout 5 wget -q -O- "http://$host:$port$path"
