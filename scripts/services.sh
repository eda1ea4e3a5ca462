#!/usr/bin/env bash
# Start/stop the real test servers (Neo4j 5.26 Community with Bolt, S3Proxy) as plain
# background processes on 127.0.0.1. No Docker. See infra/README.md.
#
#   scripts/services.sh start    fetch what is missing, start (or reuse) both, write
#                                .provgraph/services.env
#   scripts/services.sh stop     stop both (SIGTERM, then SIGKILL after a timeout), remove
#                                .provgraph/services.env
#   scripts/services.sh status   show state; exit 0 only when both are up and answer
#   scripts/services.sh clean    stop both and delete their data and logs
#
# Environment (all optional):
#   PROVGRAPH_CACHE        download cache             [$HOME/.cache/provgraph]
#   NEO4J_PORT, S3_PORT    fixed ports                [free loopback ports]
#   PROVGRAPH_NEO4J_AUTH   "none" or "neo4j/PASSWORD" [neo4j/provgraph-test-password]
#   START_TIMEOUT          seconds to wait per server [180]
#   STOP_TIMEOUT           seconds before SIGKILL     [30]
#   PROVGRAPH_JAVA         java to run both with      [java on PATH, else $JAVA_HOME/bin/java]
#   PROVGRAPH_NEO4J_CDS    0: no class-data archive   [1]
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
STATE="${PROVGRAPH_SERVICES_DIR:-$ROOT/.provgraph/services}"
ENV_FILE="${PROVGRAPH_SERVICES_ENV:-$ROOT/.provgraph/services.env}"
CACHE="${PROVGRAPH_CACHE:-$HOME/.cache/provgraph}"

NEO4J_POM="$ROOT/infra/neo4j/pom.xml"
NEO4J_LAUNCHER="$ROOT/infra/neo4j/Launcher.java"
NEO4J_AUTH="${PROVGRAPH_NEO4J_AUTH:-neo4j/provgraph-test-password}"

S3PROXY_VERSION="4.0.0"
S3PROXY_TEMPLATE="$ROOT/infra/s3proxy/s3proxy.properties.in"
S3_IDENTITY="provgraph-test"
S3_CREDENTIAL="provgraph-test-secret-key"
S3_REGION="us-east-1"
S3_BUCKET="provgraph-test"
S3_BLOB_URL="s3://$S3_BUCKET/blobs"

START_TIMEOUT="${START_TIMEOUT:-180}"
STOP_TIMEOUT="${STOP_TIMEOUT:-30}"
DEP_PLUGIN="org.apache.maven.plugins:maven-dependency-plugin:3.8.1"

# The java on PATH first (Java 17 here): Neo4j 5.26 supports Java 17 and 21 only (it ran on
# 25 in a trial, with Unsafe warnings), so a JAVA_HOME set for other tools does not win.
if [[ -n "${PROVGRAPH_JAVA:-}" ]]; then
    JAVA="$PROVGRAPH_JAVA"
elif command -v java >/dev/null; then
    JAVA="java"
elif [[ -n "${JAVA_HOME:-}" && -x "${JAVA_HOME}/bin/java" ]]; then
    JAVA="$JAVA_HOME/bin/java"
else
    JAVA="java"
fi

NEO4J_JVM_OPTS=(
    -Xms512m -Xmx1536m
    -XX:+ExitOnOutOfMemoryError
    --add-opens=java.base/java.nio=ALL-UNNAMED
    --add-opens=java.base/java.io=ALL-UNNAMED
    --add-opens=java.base/sun.nio.ch=ALL-UNNAMED
    -Dio.netty.tryReflectionSetAccessible=true
    -Dfile.encoding=UTF-8
)
S3PROXY_JVM_OPTS=(-Xms128m -Xmx512m -XX:+ExitOnOutOfMemoryError
    -Dlogback.statusListenerClass=ch.qos.logback.core.status.NopStatusListener)

log() { printf 'services: %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# ---------------------------------------------------------------- helpers

# The cached folder of Neo4j jars, keyed by a hash of the pom (editing the pom fetches anew).
neo4j_lib_dir() {
    echo "$CACHE/neo4j-lib-$(sha256sum "$NEO4J_POM" | cut -c1-12)"
}

# Sets the global NEO4J_LIB to the cached folder of Neo4j jars, fetching it when missing.
ensure_neo4j_jars() {
    NEO4J_LIB="$(neo4j_lib_dir)"
    [[ -f "$NEO4J_LIB/.complete" ]] && return 0
    command -v mvn >/dev/null || die "mvn (Maven) is needed to fetch the Neo4j jars"
    log "fetching Neo4j jars (first run: ~125 MB through Maven) into $NEO4J_LIB"
    mkdir -p "$CACHE"
    local tmp="$NEO4J_LIB.tmp.$$"
    rm -rf "$tmp"
    if ! mvn -q -B -f "$NEO4J_POM" "$DEP_PLUGIN:copy-dependencies" \
            -DincludeScope=runtime -DoutputDirectory="$tmp" >"$CACHE/mvn-neo4j.log" 2>&1; then
        tail -n 30 "$CACHE/mvn-neo4j.log" >&2
        rm -rf "$tmp"
        die "Maven could not fetch the Neo4j jars (log: $CACHE/mvn-neo4j.log)"
    fi
    touch "$tmp/.complete"
    rm -rf "$NEO4J_LIB"
    mv "$tmp" "$NEO4J_LIB"
}

# Sets the global S3PROXY_JAR, fetching it when missing.
ensure_s3proxy_jar() {
    local dir="$CACHE/s3proxy-$S3PROXY_VERSION"
    S3PROXY_JAR="$dir/s3proxy-$S3PROXY_VERSION-jar-with-dependencies.jar"
    [[ -f "$S3PROXY_JAR" ]] && return 0
    command -v mvn >/dev/null || die "mvn (Maven) is needed to fetch S3Proxy"
    log "fetching S3Proxy $S3PROXY_VERSION (~95 MB through Maven) into $dir"
    local tmp="$dir.tmp.$$"
    rm -rf "$tmp"
    mkdir -p "$tmp"
    if ! mvn -q -B "$DEP_PLUGIN:copy" \
            -Dartifact="org.gaul:s3proxy:$S3PROXY_VERSION:jar:jar-with-dependencies" \
            -DoutputDirectory="$tmp" >"$CACHE/mvn-s3proxy.log" 2>&1; then
        tail -n 30 "$CACHE/mvn-s3proxy.log" >&2
        rm -rf "$tmp"
        die "Maven could not fetch S3Proxy (log: $CACHE/mvn-s3proxy.log)"
    fi
    mkdir -p "$dir"
    mv "$tmp/$(basename "$S3PROXY_JAR")" "$S3PROXY_JAR"
    rm -rf "$tmp"
}

# A free TCP port on 127.0.0.1 (the kernel picks it; tiny race until the server binds it).
free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

port_in_use() {
    python3 - "$1" <<'PY'
import socket, sys
s = socket.socket()
s.settimeout(0.5)
sys.exit(0 if s.connect_ex(("127.0.0.1", int(sys.argv[1]))) == 0 else 1)
PY
}

# True when pid file $1 names a live process that this script started (its command line
# mentions our state folder), so a recycled pid is never mistaken for ours.
our_pid() {
    local pidfile="$1" pid
    [[ -f "$pidfile" ]] || return 1
    pid="$(cat "$pidfile" 2>/dev/null)" || return 1
    [[ "$pid" =~ ^[0-9]+$ ]] || return 1
    alive "$pid" || return 1
    tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$STATE/" || return 1
    echo "$pid"
}

# Real Bolt check: the Bolt handshake must be answered with a 5.x version.
bolt_ok() {
    python3 - "$1" <<'PY'
import socket, struct, sys
try:
    s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=3)
    # magic, then 4 proposals: 5.8 down to 5.0 (range 8), then nothing
    s.sendall(b"\x60\x60\xb0\x17" + bytes([0, 8, 8, 5]) + b"\x00" * 12)
    data = b""
    while len(data) < 4:
        chunk = s.recv(4 - len(data))
        if not chunk:
            break
        data += chunk
    s.close()
    sys.exit(0 if len(data) == 4 and data[3] == 5 else 1)
except OSError:
    sys.exit(1)
PY
}

# curl signed with SigV4 (curl >= 7.75). curl 7.88 does not send x-amz-content-sha256 by
# itself and S3Proxy insists on it (XAmzContentSHA256Mismatch): pass the hash of the empty
# body (only body-less requests are sent here).
EMPTY_SHA256="e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
s3_curl() {
    curl -sS --max-time 10 --aws-sigv4 "aws:amz:$S3_REGION:s3" \
        --user "$S3_IDENTITY:$S3_CREDENTIAL" -H "x-amz-content-sha256: $EMPTY_SHA256" "$@" 2>&1
}

# Real S3 check: a signed ListBuckets answers 200 with a ListAllMyBucketsResult.
# Sets S3_LAST_ANSWER to what came back.
s3_ok() {
    local port="$1"
    S3_LAST_ANSWER="$(s3_curl "http://127.0.0.1:$port/")" || return 1
    [[ "$S3_LAST_ANSWER" == *ListAllMyBucketsResult* ]]
}

has_user_xattrs() {
    python3 - "$1" <<'PY'
import os, sys, tempfile
try:
    fd, path = tempfile.mkstemp(dir=sys.argv[1])
    os.close(fd)
    try:
        os.setxattr(path, "user.provgraph-probe", b"1")
        ok = os.getxattr(path, "user.provgraph-probe") == b"1"
    finally:
        os.unlink(path)
    sys.exit(0 if ok else 1)
except OSError:
    sys.exit(1)
PY
}

# alive PID: the process exists and is not a zombie (kill -0 succeeds on zombies).
alive() {
    local st
    st="$(ps -o stat= -p "$1" 2>/dev/null)" || return 1
    [[ -n "$st" && "$st" != Z* ]]
}

# stop_pid NAME PIDFILE: SIGTERM, wait STOP_TIMEOUT, SIGKILL. Only a pid that our_pid accepts.
stop_pid() {
    local name="$1" pidfile="$2" pid i
    if ! pid="$(our_pid "$pidfile")"; then
        [[ -f "$pidfile" ]] && log "$name: not running (stale pid file removed)"
        rm -f "$pidfile"
        return 0
    fi
    log "$name: stopping pid $pid"
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < STOP_TIMEOUT * 10; i++)); do
        alive "$pid" || break
        sleep 0.1
    done
    if alive "$pid"; then
        log "$name: still alive after ${STOP_TIMEOUT}s, sending SIGKILL"
        kill -KILL "$pid" 2>/dev/null || true
        for ((i = 0; i < 50; i++)); do alive "$pid" || break; sleep 0.1; done
    fi
    rm -f "$pidfile"
    log "$name: stopped"
}

fail_start() {
    local name="$1" logfile="$2" pidfile="$3"
    log "$name did not become ready; last lines of $logfile:"
    tail -n 40 "$logfile" >&2 || true
    stop_pid "$name" "$pidfile"
    exit 1
}

# ---------------------------------------------------------------- Neo4j

# Class-data sharing (AppCDS) cuts Neo4j's start from ~7 s to ~4 s on 2 cores. The first
# start of a given jar set and java runs with -XX:ArchiveClassesAtExit, so the JVM writes an
# archive of the loaded classes (~85 MB) when it stops; the next start/stop checks it with
# -Xshare:on and moves it into the jar cache; later starts map it. A stale or broken archive
# is only a warning for the JVM (it then runs without sharing). PROVGRAPH_NEO4J_CDS=0: off.
neo4j_cds_file() {
    local jv
    jv="$("$JAVA" -version 2>&1 | sha256sum | cut -c1-10)"
    echo "$(neo4j_lib_dir)/neo4j-java-$jv.jsa"
}

# Moves an archive written by a stopped Neo4j into the cache, if the JVM can map it.
promote_neo4j_cds() {
    local fresh="$STATE/neo4j.jsa" lib target
    [[ -f "$fresh" ]] || return 0
    lib="$(neo4j_lib_dir)"
    target="$(neo4j_cds_file)"
    if [[ -f "$lib/.complete" ]] && "$JAVA" -XX:SharedArchiveFile="$fresh" -Xshare:on \
            -cp "$lib/*" -version >/dev/null 2>&1; then
        mv "$fresh" "$target.tmp.$$" && mv "$target.tmp.$$" "$target"
        log "neo4j: class-data archive saved for faster starts ($target)"
    else
        rm -f "$fresh"
    fi
}

neo4j_cds_opts() {
    NEO4J_CDS_OPTS=()
    [[ "${PROVGRAPH_NEO4J_CDS:-1}" == 0 ]] && return 0
    local archive
    archive="$(neo4j_cds_file)"
    if [[ -f "$archive" ]]; then
        NEO4J_CDS_OPTS=(-XX:SharedArchiveFile="$archive")
    else
        rm -f "$STATE/neo4j.jsa"
        NEO4J_CDS_OPTS=(-XX:ArchiveClassesAtExit="$STATE/neo4j.jsa")
    fi
}

start_neo4j() {
    local dir="$STATE/neo4j" pidfile="$STATE/neo4j.pid" portfile="$STATE/neo4j.port"
    local logfile="$STATE/neo4j.log" pid port
    if pid="$(our_pid "$pidfile")"; then
        port="$(cat "$portfile")"
        if [[ -n "${NEO4J_PORT:-}" && "$NEO4J_PORT" != "$port" ]]; then
            log "neo4j: running on $port but NEO4J_PORT=$NEO4J_PORT: restarting"
            stop_pid neo4j "$pidfile"
        elif [[ "$(cat "$STATE/neo4j.auth" 2>/dev/null)" != "$NEO4J_AUTH" ]]; then
            log "neo4j: running with other credentials: restarting"
            stop_pid neo4j "$pidfile"
        elif bolt_ok "$port"; then
            log "neo4j: reusing pid $pid on port $port"
            NEO4J_RUN_PORT="$port"
            return 0
        else
            log "neo4j: pid $pid does not answer on $port: restarting"
            stop_pid neo4j "$pidfile"
        fi
    fi
    rm -f "$pidfile"
    ensure_neo4j_jars
    promote_neo4j_cds
    neo4j_cds_opts
    port="${NEO4J_PORT:-$(free_port)}"
    port_in_use "$port" && die "neo4j: port $port is already in use"
    mkdir -p "$dir"
    log "neo4j: starting on 127.0.0.1:$port (home $dir)"
    # setsid: own session, so a Ctrl-C in the calling terminal does not reach the server.
    # 9>&-: the server must not inherit the lock (fd 9), or it would hold it forever.
    setsid "$JAVA" "${NEO4J_JVM_OPTS[@]}" "${NEO4J_CDS_OPTS[@]}" -cp "$NEO4J_LIB/*" "$NEO4J_LAUNCHER" \
        --home "$dir/" --host 127.0.0.1 --port "$port" --auth "$NEO4J_AUTH" --pagecache 128m \
        >"$logfile" 2>&1 </dev/null 9>&- &
    echo $! >"$pidfile"
    echo "$port" >"$portfile"
    printf '%s\n' "$NEO4J_AUTH" >"$STATE/neo4j.auth"
    chmod 600 "$STATE/neo4j.auth"
    NEO4J_RUN_PORT="$port"
}

wait_neo4j() {
    local pidfile="$STATE/neo4j.pid" logfile="$STATE/neo4j.log" port="$NEO4J_RUN_PORT" i
    for ((i = 0; i < START_TIMEOUT * 5; i++)); do
        our_pid "$pidfile" >/dev/null || fail_start neo4j "$logfile" "$pidfile"
        if grep -q "^NEO4J READY" "$logfile" 2>/dev/null && bolt_ok "$port"; then
            return 0
        fi
        sleep 0.2
    done
    fail_start neo4j "$logfile" "$pidfile"
}

# ---------------------------------------------------------------- S3Proxy

start_s3proxy() {
    local dir="$STATE/s3proxy" pidfile="$STATE/s3proxy.pid" portfile="$STATE/s3proxy.port"
    local logfile="$STATE/s3proxy.log" pid port provider
    if pid="$(our_pid "$pidfile")"; then
        port="$(cat "$portfile")"
        if [[ -n "${S3_PORT:-}" && "$S3_PORT" != "$port" ]]; then
            log "s3proxy: running on $port but S3_PORT=$S3_PORT: restarting"
            stop_pid s3proxy "$pidfile"
        elif s3_ok "$port"; then
            log "s3proxy: reusing pid $pid on port $port"
            S3_RUN_PORT="$port"
            return 0
        else
            log "s3proxy: pid $pid does not answer on $port: restarting"
            stop_pid s3proxy "$pidfile"
        fi
    fi
    rm -f "$pidfile"
    ensure_s3proxy_jar
    port="${S3_PORT:-$(free_port)}"
    port_in_use "$port" && die "s3proxy: port $port is already in use"
    mkdir -p "$dir/data"
    if has_user_xattrs "$dir/data"; then
        provider="filesystem-nio2"
    else
        provider="transient-nio2"
        log "s3proxy: no user xattrs on $dir/data: using transient-nio2 (in memory)"
    fi
    sed -e "s|@PORT@|$port|" -e "s|@IDENTITY@|$S3_IDENTITY|" \
        -e "s|@CREDENTIAL@|$S3_CREDENTIAL|" -e "s|@PROVIDER@|$provider|" \
        -e "s|@BASEDIR@|$dir/data|" "$S3PROXY_TEMPLATE" >"$dir/s3proxy.properties"
    chmod 600 "$dir/s3proxy.properties"
    log "s3proxy: starting on 127.0.0.1:$port ($provider, $dir/data)"
    setsid "$JAVA" "${S3PROXY_JVM_OPTS[@]}" -jar "$S3PROXY_JAR" \
        --properties "$dir/s3proxy.properties" >"$logfile" 2>&1 </dev/null 9>&- &
    echo $! >"$pidfile"
    echo "$port" >"$portfile"
    S3_RUN_PORT="$port"
}

wait_s3proxy() {
    local pidfile="$STATE/s3proxy.pid" logfile="$STATE/s3proxy.log" port="$S3_RUN_PORT" i out
    S3_LAST_ANSWER=""
    for ((i = 0; i < START_TIMEOUT * 5; i++)); do
        our_pid "$pidfile" >/dev/null || fail_start s3proxy "$logfile" "$pidfile"
        s3_ok "$port" && break
        if [[ "$S3_LAST_ANSWER" == *"<Error>"* ]]; then
            # up, but refuses the request: waiting longer will not help
            log "s3proxy: ListBuckets answered: $S3_LAST_ANSWER"
            fail_start s3proxy "$logfile" "$pidfile"
        fi
        sleep 0.2
    done
    s3_ok "$port" || fail_start s3proxy "$logfile" "$pidfile"
    # Create the test bucket (409 BucketAlreadyOwnedByYou when it exists).
    out="$(s3_curl -o /dev/null -w '%{http_code}' -X PUT "http://127.0.0.1:$port/$S3_BUCKET")" || true
    case "$out" in
        200 | 409) ;;
        *) log "s3proxy: creating bucket $S3_BUCKET answered: $out"; fail_start s3proxy "$logfile" "$pidfile" ;;
    esac
}

# ---------------------------------------------------------------- commands

write_env() {
    local graph_url
    if [[ "$NEO4J_AUTH" == none ]]; then
        graph_url="bolt://127.0.0.1:$NEO4J_RUN_PORT"
    else
        graph_url="bolt://${NEO4J_AUTH%%/*}:${NEO4J_AUTH#*/}@127.0.0.1:$NEO4J_RUN_PORT"
    fi
    local tmp="$ENV_FILE.tmp.$$"
    cat >"$tmp" <<EOF
# Written by scripts/services.sh start; test servers on loopback. Load with:
#   set -a; . .provgraph/services.env; set +a
# PROVGRAPH_GRAPH_URL carries the Neo4j credentials as user:password@; the Python neo4j
# driver refuses userinfo in the URI, so split it off and pass auth=(user, password).
PROVGRAPH_GRAPH_URL=$graph_url
PROVGRAPH_BLOB_URL=$S3_BLOB_URL
AWS_ENDPOINT_URL=http://127.0.0.1:$S3_RUN_PORT
AWS_ACCESS_KEY_ID=$S3_IDENTITY
AWS_SECRET_ACCESS_KEY=$S3_CREDENTIAL
AWS_DEFAULT_REGION=$S3_REGION
EOF
    mv "$tmp" "$ENV_FILE"
}

cmd_start() {
    local t0=$SECONDS
    command -v python3 >/dev/null || die "python3 is needed"
    command -v curl >/dev/null || die "curl is needed"
    "$JAVA" -version >/dev/null 2>&1 || die "no java ($JAVA); Java 17 or newer is needed"
    # written again once both answer; never left pointing at servers that failed
    rm -f "$ENV_FILE"
    # Neo4j first: it is the slow one, S3Proxy starts while it boots.
    start_neo4j
    start_s3proxy
    wait_s3proxy
    wait_neo4j
    write_env
    log "ready in $((SECONDS - t0))s: bolt 127.0.0.1:$NEO4J_RUN_PORT, s3 127.0.0.1:$S3_RUN_PORT; env in ${ENV_FILE#"$ROOT"/}"
}

cmd_stop() {
    stop_pid neo4j "$STATE/neo4j.pid"
    stop_pid s3proxy "$STATE/s3proxy.pid"
    # no env file pointing at servers that are gone
    rm -f "$ENV_FILE"
    promote_neo4j_cds
}

# Neo4j alone, without touching the env file: for tests that take the server down and
# bring it back (NEO4J_PORT fixes the port, PROVGRAPH_SERVICES_DIR a private state dir).
cmd_neo4j-start() {
    start_neo4j
    wait_neo4j
    log "neo4j ready on 127.0.0.1:$NEO4J_RUN_PORT"
}

cmd_neo4j-stop() {
    stop_pid neo4j "$STATE/neo4j.pid"
}

cmd_status() {
    local rc=0 pid port
    if pid="$(our_pid "$STATE/neo4j.pid")"; then
        port="$(cat "$STATE/neo4j.port")"
        if bolt_ok "$port"; then echo "neo4j:   running  pid $pid  bolt://127.0.0.1:$port"
        else echo "neo4j:   pid $pid alive but Bolt on $port does not answer"; rc=1; fi
    else
        echo "neo4j:   stopped"; rc=1
    fi
    if pid="$(our_pid "$STATE/s3proxy.pid")"; then
        port="$(cat "$STATE/s3proxy.port")"
        if s3_ok "$port"; then echo "s3proxy: running  pid $pid  http://127.0.0.1:$port"
        else echo "s3proxy: pid $pid alive but S3 on $port does not answer"; rc=1; fi
    else
        echo "s3proxy: stopped"; rc=1
    fi
    [[ -f "$ENV_FILE" ]] && echo "env:     ${ENV_FILE#"$ROOT"/}"
    return $rc
}

cmd_clean() {
    cmd_stop
    rm -rf "$STATE" "$ENV_FILE"
    log "removed $STATE and $ENV_FILE"
}

main() {
    local cmd="${1:-}"
    case "$cmd" in
        start | stop | status | clean | neo4j-start | neo4j-stop) ;;
        *) echo "usage: $0 start|stop|status|clean|neo4j-start|neo4j-stop" >&2; exit 2 ;;
    esac
    mkdir -p "$STATE"
    # One invocation at a time (two parallel "start"s would race on ports and pid files).
    exec 9>"$STATE/.lock"
    flock -w 300 9 || die "another services.sh holds $STATE/.lock"
    "cmd_$cmd"
}

main "$@"
