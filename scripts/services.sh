#!/usr/bin/env bash
# Starts (or stops) throwaway Redis, Postgres and Ceph S3 gateway servers on 127.0.0.1 for the
# tests of the scale-out backends, and writes the environment that points cairn's tests at them.
#   scripts/services.sh start DIR   -> DIR/env.sh (source it), servers running, data under DIR
#   scripts/services.sh stop DIR
# Needs Debian's redis-server, postgresql, ceph-mon, ceph-osd, radosgw and uuid-runtime.
set -euo pipefail
trap 'echo "services.sh: failed at line $LINENO: $BASH_COMMAND" >&2' ERR
cmd=${1:?start or stop}
dir=${2:?a folder for the data of the servers}
REDIS_PORT=${REDIS_PORT:-63799}
PG_PORT=${PG_PORT:-54329}
MON_PORT=${MON_PORT:-46789}
RGW_PORT=${RGW_PORT:-47480}

stop() {
  local pids=()
  for f in "$dir"/ceph/run/rgw.pid "$dir"/ceph/run/osd.pid "$dir"/ceph/run/mon.pid; do
    [ -f "$f" ] && pids+=("$(cat "$f")")
  done
  [ ${#pids[@]} -gt 0 ] && kill "${pids[@]}" 2>/dev/null || true
  for _ in $(seq 1 50); do   # ceph daemons can take a while to go: wait, then insist
    kill -0 "${pids[@]}" 2>/dev/null || break
    sleep 0.1
  done
  [ ${#pids[@]} -gt 0 ] && kill -9 "${pids[@]}" 2>/dev/null || true
  [ -f "$dir/redis.pid" ] && kill "$(cat "$dir/redis.pid")" 2>/dev/null || true
  if [ -d "$dir/pg/data" ]; then
    runuser -u postgres -- /usr/lib/postgresql/15/bin/pg_ctl -D "$dir/pg/data" -m immediate stop >/dev/null 2>&1 || true
  fi
}

start_redis() {
  redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --save '' --appendonly no --daemonize yes \
    --pidfile "$dir/redis.pid" --logfile "$dir/redis.log" --dir "$dir"
  for _ in $(seq 1 50); do redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && return 0; sleep 0.1; done
  echo "redis did not start" >&2; return 1
}

start_postgres() {
  mkdir -p "$dir/pg"
  chown postgres "$dir/pg"
  runuser -u postgres -- /usr/lib/postgresql/15/bin/initdb -D "$dir/pg/data" -A trust -U postgres >"$dir/pg/initdb.log" 2>&1
  runuser -u postgres -- /usr/lib/postgresql/15/bin/pg_ctl -D "$dir/pg/data" -l "$dir/pg/server.log" \
    -o "-c listen_addresses=127.0.0.1 -p $PG_PORT -k $dir/pg -c fsync=off -c max_connections=200" -w start >/dev/null
}

start_ceph() {
  local C="$dir/ceph"
  mkdir -p "$C"/{run,log,mon,osd}
  local FSID; FSID=$(uuidgen)
  cat > "$C/ceph.conf" <<CONF
[global]
fsid = $FSID
mon initial members = a
mon host = v1:127.0.0.1:$MON_PORT
public network = 127.0.0.0/8
auth cluster required = none
auth service required = none
auth client required = none
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
mon max pg per osd = 1000
mon allow pool size one = true
mon warn on pool no redundancy = false
osd crush chooseleaf type = 0
ms bind ipv6 = false
ms bind msgr2 = false
run dir = $C/run
admin socket = $C/run/\$name.asok
log file = $C/log/\$name.log
mon data = $C/mon/\$cluster-\$id
osd data = $C/osd/\$cluster-\$id
osd objectstore = memstore
memstore device bytes = 2147483648
[client.rgw.a]
# tcp_nodelay: without it, Nagle's algorithm and delayed ACKs hold each small response back
# (about 45 ms per small GET instead of about 3 ms).
rgw frontends = beast endpoint=127.0.0.1:$RGW_PORT tcp_nodelay=1
# Reclaim the space of deleted objects within a minute (the defaults wait hours), or repeated test
# runs fill the 2 GiB memstore.
rgw gc obj min wait = 30
rgw gc processor period = 30
CONF
  local CF="-c $C/ceph.conf"
  ceph-authtool --create-keyring "$C/mon.keyring" --gen-key -n mon. --cap mon 'allow *' >/dev/null
  monmaptool --create --addv a "[v1:127.0.0.1:$MON_PORT]" --fsid "$FSID" "$C/monmap" >/dev/null
  ceph-mon $CF --mkfs -i a --monmap "$C/monmap" --keyring "$C/mon.keyring"
  ceph-mon $CF -i a -f >"$C/log/mon.out" 2>&1 & echo $! >"$C/run/mon.pid"
  timeout 60 ceph $CF --connect-timeout 30 -s >/dev/null
  local U ID; U=$(uuidgen); ID=$(timeout 30 ceph $CF osd new "$U"); mkdir -p "$C/osd/ceph-$ID"
  ceph-osd $CF -i "$ID" --mkfs --osd-uuid "$U" >"$C/log/osd-mkfs.out" 2>&1
  for _ in 1 2 3 4 5 6 7 8 9 10; do   # the OSD may exit at once ('wrong fsid' race): retry
    ceph-osd $CF -i "$ID" -f >>"$C/log/osd.out" 2>&1 & echo $! >"$C/run/osd.pid"
    sleep 5; kill -0 "$(cat "$C/run/osd.pid")" 2>/dev/null && break
  done
  timeout 60 bash -c "until ceph $CF osd stat 2>/dev/null | grep -q '1 up'; do sleep 1; done"
  radosgw $CF -n client.rgw.a -f >"$C/log/rgw.out" 2>&1 & echo $! >"$C/run/rgw.pid"
  for _ in $(seq 1 90); do curl -s -o /dev/null "http://127.0.0.1:$RGW_PORT/" && break; sleep 1; done
  timeout 60 radosgw-admin $CF user create --uid=cairn --display-name=cairn \
    --access-key=CAIRNACCESSKEY --secret=CAIRNSECRETKEY123 >/dev/null
}

case "$cmd" in
  start)
    mkdir -p "$dir"
    chmod 755 "$dir"   # the postgres user must reach its data folder inside
    start_redis
    start_postgres
    start_ceph
    cat > "$dir/env.sh" <<ENV
export CAIRN_TEST_REDIS_URL=redis://127.0.0.1:$REDIS_PORT
export CAIRN_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:$PG_PORT/postgres
export CAIRN_TEST_S3_ENDPOINT=http://127.0.0.1:$RGW_PORT
export CAIRN_TEST_S3_ACCESS_KEY_ID=CAIRNACCESSKEY
export CAIRN_TEST_S3_SECRET_ACCESS_KEY=CAIRNSECRETKEY123
ENV
    echo "services running; environment in $dir/env.sh"
    ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop DIR" >&2; exit 2 ;;
esac
