#!/usr/bin/env bash
# Generated requests against the API as its /openapi.json describes it (schemathesis): examples, boundary values
# and random valid and invalid inputs for every operation, as an admin. Prints how many requests were sent, how many
# answered 5xx, and each failure of the checks: no server error, every status documented, every body as documented.
#
#   npm run fuzz:api                      # 50 cases per operation: about 10,000 requests in 6 minutes on 2 cores
#   FUZZ_EXAMPLES=200 FUZZ_SEED=7 npm run fuzz:api
#   FUZZ_PHASES=fuzzing FUZZ_EXAMPLES=3 npm run fuzz:api   # a quick look (schemathesis phases: examples, coverage,
#                                                          # fuzzing, stateful)
#
# Needs python3 with pip (schemathesis is installed if missing), PostgreSQL at DATABASE_URL (a throwaway database is
# created there and dropped) and the Temporal CLI (`npm start` runs its dev server; TEMPORAL_CLI_PATH if not on PATH).
# The stack is `npm start` on free ports with a fresh data directory. Exits non-zero when a check failed.
#
# Items are seeded first (a customer, content, a campaign, a contract, an incident...) and their ids mixed into the
# generated ones, so requests reach past the 404. Webhook channels are left out (POST and PATCH /channels): a
# generated URL could name a real host, and this run must not send traffic off the machine; the one seeded channel
# points at a closed local port. Emails go to npm start's own mail catcher. FUZZ_KEEP=1 keeps the logs and events.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

EXAMPLES=${FUZZ_EXAMPLES:-50}
SCHEMATHESIS=${SCHEMATHESIS_VERSION:-4.32.5}
: "${DATABASE_URL:?set DATABASE_URL to a PostgreSQL server (a throwaway database is created there)}"

if ! command -v st >/dev/null || ! st --version 2>/dev/null | grep -q "$SCHEMATHESIS"; then
  python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore "schemathesis==$SCHEMATHESIS"
fi

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
work=$(mktemp -d -t opsflow-fuzz.XXXXXX)
db="opsflow_fuzz_$(openssl rand -hex 4)"
admin_url="$DATABASE_URL"
db_url="${DATABASE_URL%/*}/$db"
port=$(free_port)
token="opf_fuzz_$(openssl rand -hex 32)"
hook_port=$(free_port)
server_pid=

cleanup() {
  if [[ -n $server_pid ]] && kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid"
    for _ in $(seq 60); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.5; done
    kill -KILL "$server_pid" 2>/dev/null || true
  fi
  psql -q "$admin_url" -c "drop database if exists $db with (force)" >/dev/null 2>&1 || true
  if [[ -n ${FUZZ_KEEP:-} ]]; then echo "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT

psql -q "$admin_url" -c "create database $db" >/dev/null
echo "starting the stack on port $port (logs: $work/server.log)"
# exec: $server_pid is node itself, so the TERM above reaches the process that shuts the embedded parts down.
PORT=$port PUBLIC_URL="http://127.0.0.1:$port" DATABASE_URL="$db_url" OPSFLOW_DATA_DIR="$work/data" \
  OPSFLOW_ADMIN_TOKEN="$token" WEBHOOK_ALLOWED_HOSTS="127.0.0.1:$hook_port" LOG_LEVEL=warn \
  TEMPORAL_DEV_PORT=$(free_port) TEMPORAL_DEV_UI_PORT=$(free_port) MAIL_CATCHER_SMTP_PORT=$(free_port) MAIL_CATCHER_HTTP_PORT=$(free_port) \
  bash -c 'exec node start/main.ts' >"$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 240); do
  curl -fsS "http://127.0.0.1:$port/health" >/dev/null 2>&1 && break
  kill -0 "$server_pid" 2>/dev/null || { echo "the stack did not start:"; tail -40 "$work/server.log"; exit 1; }
  sleep 0.5
done
curl -fsS "http://127.0.0.1:$port/health" >/dev/null || { echo "the stack did not answer /health in 2 minutes"; exit 1; }

# Real items for the generated requests to find (each id is drawn about half the time, a generated one otherwise).
# The operator routes that change an operator get only the seeded victim, so the run's admin keeps its token and role.
python3 - "http://127.0.0.1:$port" "$token" "$db_url" "$hook_port" "$work/schemathesis.toml" <<'EOF'
import datetime, json, subprocess, sys, time, urllib.error, urllib.request
base, token, db_url, hook_port, out = sys.argv[1:6]
def call(method, path, body=None):
    request = urllib.request.Request(base + path, method=method, data=None if body is None else json.dumps(body).encode(),
                                     headers={'authorization': f'Bearer {token}', 'content-type': 'application/json'})
    try:
        with urllib.request.urlopen(request) as response:
            return json.load(response)
    except urllib.error.HTTPError as e:
        sys.exit(f'seeding {method} {path} answered {e.code}: {e.read().decode()[:500]}')
def at(days):
    return (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=days)).isoformat().replace('+00:00', 'Z')
def eventually(read):
    for _ in range(40):
        value = read()
        if value: return value
        time.sleep(0.25)
    sys.exit('seeding: the workflows opened no tasks in 10 s')

pools = {'operators': [call('POST', '/operators', {'name': 'Fuzz victim', 'email': 'fuzz-victim@example.com', 'roles': ['reviewer']})['id']]}
people = call('POST', '/customers', {'customers': [
    {'externalId': f'fuzz-{i}', 'email': f'fuzz-{i}@example.com', 'marketingConsent': True, 'tags': ['fuzz']} for i in range(3)]})
pools['customers'] = [c['id'] for c in people['items']]
pools['links'] = subprocess.run(['psql', '-Atq', db_url, '-c', "select unsubscribe_token from customers where external_id like 'fuzz-%'"],
                                check=True, capture_output=True, text=True).stdout.split()
partner = call('POST', '/partners', {'name': 'Fuzz Creates', 'type': 'kol', 'contactEmail': 'kol@partners.example.com', 'figures': {
    'followers': 120000, 'engagementRate': 0.05, 'audienceMatch': 0.7, 'pastConversionRate': 0.02, 'price': 800}})
pools['partners'] = [partner['id']]
pools['contracts'] = [call('POST', '/contracts', {'partnerId': partner['id'], 'draft': True, 'terms': {
    'scope': 'Posts', 'deliverables': ['4 posts a month'], 'currency': 'USD', 'fee': 500,
    'revenueShare': {'mode': 'marginal', 'tiers': [{'from': 0, 'to': None, 'rate': 5}], 'cap': None},
    'start': at(1), 'end': at(366), 'cadence': 'monthly', 'targets': {'clicks': 1000}}})['id']]
# A webhook channel to a closed local port (WEBHOOK_ALLOWED_HOSTS): content can be published, nothing leaves the machine.
call('POST', '/channels', {'name': 'fuzz', 'url': f'http://127.0.0.1:{hook_port}/hook'})
pools['content'] = [call('POST', '/content', {'title': 'Fuzz sale', 'body': 'Everything is 20% off this weekend.', 'tier': 'A', 'channels': ['fuzz']})['id']]
pools['campaigns'] = [call('POST', '/campaigns', {
    'name': 'Fuzz sale', 'budget': {'total': 100, 'currency': 'USD', 'costPerSend': 0.5}, 'audience': {'filters': {'tags': ['fuzz']}},
    'message': {'subject': 'Hello {{firstName|friend}}', 'body': 'Spring sale for {{email}}.'},
    'schedule': {'startAt': at(1), 'endAt': at(2)}, 'sendRate': 10})['id']]
pools['tasks'] = eventually(lambda: [t['id'] for t in call('GET', '/tasks?status=open')['items']])
pools['escalation-policies'] = [call('POST', '/escalation-policies', {'name': 'Fuzz on call', 'service': 'fuzz', 'levels': [{'targets': [{'role': 'oncall'}]}]})['id']]
pools['incidents'] = [call('POST', '/incidents', {'title': 'Fuzz is slow', 'severity': 'P3', 'service': 'fuzz'})['id']]
call('POST', '/metrics', {'points': [{'name': 'fuzz_latency', 'value': 1.5, 'at': at(0), 'labels': {'region': 'eu'}}]})
pools['metrics'] = ['fuzz_latency']
pools['rules'] = [call('POST', '/rules', {'name': 'Fuzz latency', 'metric': 'fuzz_latency', 'aggregation': 'max', 'window': '5m',
    'comparison': 'above', 'threshold': 1e9, 'severity': 'P4', 'every': '1m', 'action': {'type': 'open_incident', 'service': 'fuzz'}})['id']]
pools['rfm-runs'] = [call('POST', '/segments/rfm-runs', {})['runId']]
pools['segments'] = [s['name'] for s in call('GET', '/segments')['segments']]

# Which parameter of which paths each pool feeds; probability 1 where a generated id would reach the run's own admin.
bindings = [
    ('^/operators/\\{id\\}', 'id', 'operators', 1.0), ('^/customers/\\{id\\}', 'id', 'customers', 0.5),
    ('^/unsubscribe/', 'token', 'links', 0.5), ('^/partners/\\{id\\}', 'id', 'partners', 0.5),
    ('^/contracts/\\{id\\}', 'id', 'contracts', 0.5), ('^/content/\\{id\\}', 'id', 'content', 0.5),
    ('^/campaigns/\\{id\\}', 'id', 'campaigns', 0.5), ('^/tasks/\\{id\\}', 'id', 'tasks', 0.5),
    ('^/escalation-policies/\\{id\\}', 'id', 'escalation-policies', 0.5), ('^/incidents/\\{id\\}', 'id', 'incidents', 0.5),
    ('^/metrics/\\{name\\}', 'name', 'metrics', 0.5), ('^/rules/\\{id\\}', 'id', 'rules', 0.5),
    ('^/segments/rfm-runs/\\{runId\\}', 'runId', 'rfm-runs', 0.5), ('^/segments/\\{name\\}', 'name', 'segments', 0.5),
]
with open(out, 'w') as f:
    for name, values in pools.items():
        f.write(f'[dictionaries.{json.dumps(name)}]\nvalues = {json.dumps(values)}\n\n')
    for path, param, pool, probability in bindings:
        f.write(f"[[operations]]\ninclude-path-regex = '{path}'\nparameters = {{ \"path.{param}\" = {{ dictionary = {json.dumps(pool)}, probability = {probability} }} }}\n\n")
print('seeded:', ', '.join(f'{k} {len(v)}' for k, v in pools.items()))
EOF

echo "running schemathesis $SCHEMATHESIS: $EXAMPLES cases per operation"
started=$(date +%s)
status=0
# From $work: schemathesis keeps a cache in its working directory.
(cd "$work" && st --config-file "$work/schemathesis.toml" run "http://127.0.0.1:$port/openapi.json" --url "http://127.0.0.1:$port" \
  -H "Authorization: Bearer $token" \
  --checks not_a_server_error,status_code_conformance,response_schema_conformance \
  --exclude-operation-id createChannel --exclude-operation-id updateChannel \
  --phases "${FUZZ_PHASES:-examples,coverage,fuzzing,stateful}" --max-examples "$EXAMPLES" --workers 2 --seed "${FUZZ_SEED:-1}" \
  --request-timeout 20 --no-color --report ndjson --report-ndjson-path "$work/events.ndjson" \
  >"$work/st.log" 2>&1) || status=$?
elapsed=$(( $(date +%s) - started ))
# schemathesis's own account: each failure with its reproduction, the warnings, the summary.
sed -n '/FAILURES\|WARNINGS\|SUMMARY/,$p' "$work/st.log" | grep -v '^$'

# The figures from the run's own events: requests sent, statuses, and each failed check with the request to replay.
python3 - "$work/events.ndjson" "$elapsed" <<'EOF'
import base64, collections, json, sys
statuses, checks, failed = collections.Counter(), collections.Counter(), {}
for line in open(sys.argv[1]):
    event = json.loads(line).get('ScenarioFinished')
    if not event: continue
    recorder = event['recorder']
    interactions = recorder.get('interactions', {})
    for interaction in interactions.values():
        if interaction.get('response'): statuses[interaction['response']['status_code']] += 1
    for case_id, results in recorder.get('checks', {}).items():
        for result in results:
            checks[(result['name'], result['status'])] += 1
            if result['status'] != 'failure': continue
            request, response = interactions.get(case_id, {}).get('request', {}), interactions.get(case_id, {}).get('response') or {}
            body = request.get('body')
            body = base64.b64decode(body['$base64']).decode(errors='replace') if isinstance(body, dict) else body
            failed.setdefault((result['name'], recorder['label'], response.get('status_code')), (request.get('method'), request.get('uri'), body or ''))
print(f"\nrequests: {sum(statuses.values())} in {sys.argv[2]} s; 5xx: {sum(n for c, n in statuses.items() if c >= 500)}")
print('statuses:', ', '.join(f'{c}: {n}' for c, n in sorted(statuses.items())))
print('checks:', '; '.join(f"{n}: {checks[(n, 'success')]} passed, {checks[(n, 'failure')]} failed" for n in sorted({n for n, _ in checks})))
for (check, label, status), (method, uri, body) in sorted(failed.items(), key=str):
    print(f"FAILED {check}: {label} answered {status}\n  curl -X {method} '{uri}'" + (f" --data '{body[:400]}'" if body else ''))
EOF
exit $status
