#!/usr/bin/env bash
# Checks the MCP server with a real third-party client: the official MCP Inspector in CLI mode,
# over stdio (the built `policy-assistant mcp`, as a desktop client spawns it) and over Streamable
# HTTP (/mcp on an express server, with a bearer token). Exits non-zero on the first failure.
#
# Inspector 1.0.3 is the newest release that runs on Node 20 (2.x needs Node >= 22.19; 1.x declares
# >= 22.7.5 but runs here, so npx prints an EBADENGINE warning).
set -euo pipefail
cd "$(dirname "$0")/.."

INSPECTOR_VERSION=${MCP_INSPECTOR_VERSION:-1.0.3}
TOKEN="inspector-check-$RANDOM$RANDOM"
TMP=$(mktemp -d)
SERVER_PID=
cleanup() {
  [[ -n $SERVER_PID ]] && kill "$SERVER_PID" 2>/dev/null || true
  rm -rf "$TMP"
}
trap cleanup EXIT
export POLICY_ASSISTANT_QUIET=1

run_inspector() {
  npx -y "@modelcontextprotocol/inspector@${INSPECTOR_VERSION}" --cli "$@" 2>>"$TMP/inspector.err"
}
inspector() {
  run_inspector "$@" || { echo "FAIL  the Inspector exited non-zero: $*" >&2; tail -n 20 "$TMP/inspector.err" >&2; return 1; }
}

# Reads the Inspector's output on stdin and checks a JS predicate over the parsed result `r`.
expect_json() {
  local label=$1 predicate=$2 out
  # Skip any banner the Inspector prints before the JSON.
  out=$(sed -n '/^{/,$p')
  if node -e 'const r = JSON.parse(process.argv[1]); process.exit(new Function("r", `return (${process.argv[2]})`)(r) ? 0 : 1)' "$out" "$predicate" 2>/dev/null; then
    echo "ok    $label"
  else
    echo "FAIL  $label"
    printf '%s\n' "${out:0:2000}"
    tail -n 20 "$TMP/inspector.err" >&2
    exit 1
  fi
}

FOUR_TOOLS='JSON.stringify(r.tools.map((t) => t.name).sort()) === JSON.stringify(["answer_question","get_clause","list_documents","search_policies"]) && r.tools.every((t) => t.annotations.readOnlyHint === true)'
SEARCH_OK='!r.isError && r.structuredContent.results.length > 0 && r.content.some((c) => c.type === "resource_link")'
CLAUSE_OK='!r.isError && r.structuredContent.clause.text.length > 0 && r.structuredContent.clause.label.startsWith("《")'
UNKNOWN_ID='r.isError === true && /no clause has id/.test(r.content[0].text)'

# Runs the four checks against one transport; the arguments select it.
check_transport() {
  local name=$1
  shift
  inspector "$@" --method tools/list | expect_json "$name: tools/list lists the four read-only tools" "$FOUR_TOOLS"
  inspector "$@" --method tools/call --tool-name search_policies --tool-arg 'query=自贸试验区 外商投资' --tool-arg k=3 >"$TMP/search.json"
  expect_json "$name: search_policies returns clauses" "$SEARCH_OK" <"$TMP/search.json"
  local id
  id=$(sed -n '/^{/,$p' "$TMP/search.json" | node -e 'let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => console.log(JSON.parse(s).structuredContent.results[0].id))')
  inspector "$@" --method tools/call --tool-name get_clause --tool-arg "id=$id" | expect_json "$name: get_clause $id returns the clause verbatim" "$CLAUSE_OK"
  # Inspector 2.x also exits non-zero on an isError result; the result itself is what is checked.
  { run_inspector "$@" --method tools/call --tool-name get_clause --tool-arg 'id=d08419644f-a999-ffff' || true; } | expect_json "$name: get_clause on an unknown id is an isError result" "$UNKNOWN_ID"
}

echo "MCP Inspector ${INSPECTOR_VERSION} (CLI mode), node $(node --version)"
node scripts/build.mjs

# --- stdio: exactly what a desktop client runs --------------------------------------------------
# The Inspector passes the server only the variables given with -e.
check_transport stdio -e POLICY_ASSISTANT_QUIET=1 node bin/policy-assistant.js mcp

# --- Streamable HTTP: the router on an express server, with a bearer token -----------------------
POLICY_ASSISTANT_MCP_TOKEN=$TOKEN node --import tsx --input-type=module -e "
  const { default: express } = await import('express');
  const { openApp } = await import('./src/app.ts');
  const { mcpRouter } = await import('./src/mcp/http.ts');
  const web = express();
  web.use(mcpRouter(await openApp({ quiet: true })));
  const server = web.listen(0, '127.0.0.1', () => console.log('PORT=' + server.address().port));
" >"$TMP/server.out" 2>"$TMP/server.err" &
SERVER_PID=$!
for _ in $(seq 1 300); do
  grep -q '^PORT=' "$TMP/server.out" && break
  kill -0 "$SERVER_PID" 2>/dev/null || { echo "FAIL  the HTTP server did not start:"; cat "$TMP/server.err"; exit 1; }
  sleep 0.2
done
PORT=$(sed -n 's/^PORT=//p' "$TMP/server.out")
[[ -n $PORT ]] || { echo "FAIL  the HTTP server did not report a port"; exit 1; }
URL="http://127.0.0.1:$PORT/mcp"

check_transport "http" "$URL" --transport http --header "Authorization: Bearer $TOKEN"

if run_inspector "$URL" --transport http --header "Authorization: Bearer wrong" --method tools/list >/dev/null; then
  echo "FAIL  http: a wrong bearer token was accepted"
  exit 1
fi
echo "ok    http: a wrong bearer token is refused"
echo "all MCP Inspector checks passed"
