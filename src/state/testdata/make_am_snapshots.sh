#!/usr/bin/env bash
# Records golden state snapshots written by the real Alertmanager 0.25
# (Debian's `prometheus-alertmanager`) into src/state/testdata/am025/, for the
# snapshot importer's tests (src/state/import.rs).
#
# It starts Alertmanager on loopback with a throw-away --storage.path and one
# webhook receiver pointing at a tiny local sink, creates two silences and
# posts one alert through the v2 API, waits until the webhook notification has
# been delivered, stops Alertmanager with SIGTERM (it writes the `silences` and
# `nflog` snapshots on clean shutdown) and copies both files plus a README
# describing them. Silence ids are random, so every run produces different
# files: after re-running, update the ids asserted in import.rs.
#
# Needs: prometheus-alertmanager (0.25), python3, curl, jq.
# Usage: src/state/testdata/make_am_snapshots.sh [path/to/alertmanager]
set -euo pipefail

AM_BIN=${1:-/usr/bin/prometheus-alertmanager}
HERE=$(cd "$(dirname "$0")" && pwd)
OUT="$HERE/am025"

for tool in "$AM_BIN" python3 curl jq; do
    command -v "$tool" >/dev/null || { echo "missing: $tool" >&2; exit 1; }
done

TMP=$(mktemp -d)
AM_PID=
SINK_PID=
cleanup() {
    [ -n "$AM_PID" ] && kill "$AM_PID" 2>/dev/null || true
    [ -n "$SINK_PID" ] && kill "$SINK_PID" 2>/dev/null || true
    rm -rf "$TMP"
}
trap cleanup EXIT

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
AM_PORT=$(free_port)
SINK_PORT=$(free_port)

# Webhook sink: answers 200 to every POST and stores each body as
# $TMP/hooks/<n>.json.
mkdir -p "$TMP/hooks" "$TMP/data"
python3 - "$SINK_PORT" "$TMP/hooks" >"$TMP/sink.log" 2>&1 <<'PY' &
import http.server, os, sys
port, outdir = int(sys.argv[1]), sys.argv[2]
class Sink(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        n = len(os.listdir(outdir))
        tmp = os.path.join(outdir, f".{n}.tmp")
        with open(tmp, "wb") as f:
            f.write(body)
        os.rename(tmp, os.path.join(outdir, f"{n}.json"))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()
http.server.HTTPServer(("127.0.0.1", port), Sink).serve_forever()
PY
SINK_PID=$!

cat >"$TMP/alertmanager.yml" <<EOF
route:
  receiver: name
  group_by: [alertname]
  group_wait: 1s
  group_interval: 1m
  repeat_interval: 1h
receivers:
  - name: name
    webhook_configs:
      - url: http://127.0.0.1:$SINK_PORT/hook
EOF

"$AM_BIN" \
    --config.file="$TMP/alertmanager.yml" \
    --storage.path="$TMP/data" \
    --web.listen-address="127.0.0.1:$AM_PORT" \
    --cluster.listen-address= \
    >"$TMP/am.log" 2>&1 &
AM_PID=$!

API="http://127.0.0.1:$AM_PORT/api/v2"
for _ in $(seq 100); do
    curl -fsS "$API/status" >/dev/null 2>&1 && break
    sleep 0.1
done
curl -fsS "$API/status" >/dev/null || { cat "$TMP/am.log" >&2; exit 1; }

NOW=$(date -u +%Y-%m-%dT%H:%M:%S.000Z)
END=$(date -u -d '+2 hours' +%Y-%m-%dT%H:%M:%S.000Z)

post_silence() {
    curl -fsS -H 'Content-Type: application/json' -d "$1" "$API/silences" | jq -r .silenceID
}

SIL1=$(post_silence "$(jq -n --arg s "$NOW" --arg e "$END" '{
    matchers: [
        {name: "alertname", value: "Golden", isRegex: false, isEqual: true},
        {name: "env", value: "dev", isRegex: false, isEqual: false},
        {name: "severity", value: "warn.*|page", isRegex: true, isEqual: true},
        {name: "team", value: "db-.+", isRegex: true, isEqual: false}
    ],
    startsAt: $s, endsAt: $e,
    createdBy: "alice@example.com",
    comment: "all four matcher types"
}')")
SIL2=$(post_silence "$(jq -n --arg s "$NOW" --arg e "$END" '{
    matchers: [{name: "instance", value: "host-1:9100", isRegex: false, isEqual: true}],
    startsAt: $s, endsAt: $e,
    createdBy: "bob",
    comment: "maintenance of host-1"
}')")

curl -fsS -H 'Content-Type: application/json' -d '[{
    "labels": {"alertname": "ImportGolden", "severity": "critical"},
    "annotations": {"summary": "golden snapshot alert"}
}]' "$API/alerts" >/dev/null

for _ in $(seq 300); do
    [ -e "$TMP/hooks/0.json" ] && break
    sleep 0.1
done
[ -e "$TMP/hooks/0.json" ] || { echo "no webhook notification" >&2; cat "$TMP/am.log" >&2; exit 1; }
GROUP_KEY=$(jq -r .groupKey "$TMP/hooks/0.json")
# The nflog entry is logged right after the webhook answers.
sleep 1

kill -TERM "$AM_PID"
wait "$AM_PID" || true
AM_PID=

for f in silences nflog; do
    [ -s "$TMP/data/$f" ] || { echo "no $f snapshot" >&2; cat "$TMP/am.log" >&2; exit 1; }
done
mkdir -p "$OUT"
cp "$TMP/data/silences" "$TMP/data/nflog" "$OUT/"

VERSION=$("$AM_BIN" --version 2>&1 | head -n1)
cat >"$OUT/README.md" <<EOF
# Alertmanager 0.25 state snapshots

Written by the real Alertmanager (\`$VERSION\`) on clean shutdown
(SIGTERM), produced by \`../make_am_snapshots.sh\` on $(date -u +%Y-%m-%d).
Both files are concatenations of varint-length-delimited protobuf messages:
\`silences\` holds \`silencepb.MeshSilence\`s, \`nflog\` holds
\`nflogpb.MeshEntry\`s. \`src/state/import.rs\` decodes them in its tests.

Configuration: one route, \`group_by: [alertname]\`, \`group_wait: 1s\`,
receiver \`name\` with one webhook config; no cluster.

## \`silences\`: two silences created with \`POST /api/v2/silences\`

- \`$SIL1\`: createdBy \`alice@example.com\`, comment
  \`all four matcher types\`, matchers \`alertname="Golden"\`,
  \`env!="dev"\`, \`severity=~"warn.*|page"\`, \`team!~"db-.+"\`.
- \`$SIL2\`: createdBy \`bob\`, comment \`maintenance of host-1\`,
  matcher \`instance="host-1:9100"\`.

Both were posted with startsAt \`$NOW\` (Alertmanager moves a start in
the past to the moment of creation) and endsAt \`$END\`.

## \`nflog\`: one entry

One alert \`{alertname="ImportGolden", severity="critical"}\` was posted with
\`POST /api/v2/alerts\`; after one webhook notification the log holds one
entry for receiver \`name/webhook/0\`, group key \`$GROUP_KEY\`, with that
alert's hash as its only firing alert.
EOF

echo "wrote $OUT: silences $SIL1 $SIL2, group key $GROUP_KEY"
