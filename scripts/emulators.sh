#!/usr/bin/env bash
# Starts, stops or reports the AWS-API emulators the tests use, all on 127.0.0.1:
#   kinesalite  (Kinesis)                 port $KINESIS_PORT  (default 4567)
#   dynalite    (DynamoDB)                port $DYNAMODB_PORT (default 4569)
#   moto_server (SQS, SNS, Logs, CFN, …)  port $MOTO_PORT     (default 5000)
# PIDs and logs live in .emulators/. Run scripts/setup.sh first.
# Usage: scripts/emulators.sh start|stop|status
set -euo pipefail
cd "$(dirname "$0")/.."

KINESIS_PORT=${KINESIS_PORT:-4567}
DYNAMODB_PORT=${DYNAMODB_PORT:-4569}
MOTO_PORT=${MOTO_PORT:-5000}
STATE=.emulators
mkdir -p "$STATE"

usage() { sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'; }

listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# start NAME PORT READY_CODE COMMAND...
start_one() {
  local name=$1 port=$2 ready=$3; shift 3
  if [ -f "$STATE/$name.pid" ] && kill -0 "$(cat "$STATE/$name.pid")" 2>/dev/null; then
    echo "$name already running (pid $(cat "$STATE/$name.pid"))"
    return
  fi
  if listening "$port"; then
    echo "error: port $port is already in use, so $name cannot start there." >&2
    echo "       Stop whatever listens on 127.0.0.1:$port, or choose another port, e.g. ${name^^}_PORT=…" >&2
    exit 1
  fi
  "$@" >"$STATE/$name.log" 2>&1 &
  echo $! >"$STATE/$name.pid"
  for _ in $(seq 1 100); do
    code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/" || true)
    if [ "$code" = "$ready" ]; then
      echo "$name ready on 127.0.0.1:$port (pid $(cat "$STATE/$name.pid"))"
      return
    fi
    if ! kill -0 "$(cat "$STATE/$name.pid")" 2>/dev/null; then
      echo "error: $name exited during start; its log ($STATE/$name.log):" >&2
      cat "$STATE/$name.log" >&2
      exit 1
    fi
    sleep 0.1
  done
  echo "error: $name did not answer on 127.0.0.1:$port within 10 s; see $STATE/$name.log" >&2
  exit 1
}

stop_one() {
  local name=$1
  if [ -f "$STATE/$name.pid" ]; then
    local pid
    pid=$(cat "$STATE/$name.pid")
    if kill "$pid" 2>/dev/null; then
      for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -9 "$pid" 2>/dev/null || true
      echo "$name stopped (pid $pid)"
    fi
    rm -f "$STATE/$name.pid"
  fi
}

case "${1:-}" in
  start)
    if [ ! -d node_modules/kinesalite ] || [ ! -x .venv/bin/moto_server ]; then
      echo "error: the emulators are not installed; run scripts/setup.sh first" >&2; exit 1
    fi
    start_one kinesis "$KINESIS_PORT" 403 node scripts/kinesalite.js "$KINESIS_PORT"
    start_one dynamodb "$DYNAMODB_PORT" 200 node node_modules/dynalite/cli.js --host 127.0.0.1 \
      --port "$DYNAMODB_PORT" --createTableMs 0 --deleteTableMs 0 --updateTableMs 0
    start_one moto "$MOTO_PORT" 200 .venv/bin/moto_server -H 127.0.0.1 -p "$MOTO_PORT"
    ;;
  stop)
    stop_one kinesis; stop_one dynamodb; stop_one moto ;;
  status)
    for n in kinesis dynamodb moto; do
      if [ -f "$STATE/$n.pid" ] && kill -0 "$(cat "$STATE/$n.pid")" 2>/dev/null; then
        echo "$n running (pid $(cat "$STATE/$n.pid"))"
      else
        echo "$n not running"
      fi
    done ;;
  -h|--help) usage ;;
  *) usage >&2; exit 2 ;;
esac
