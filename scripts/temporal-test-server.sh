#!/usr/bin/env bash
# Temporal's Java time-skipping test server, started from a classpath resolved once from Maven Central
# (see scripts/dev/toolchain.ts ensureTestServer and scripts/test-server/pom.xml). Give this script's path to
# TestWorkflowEnvironment.createTimeSkipping({ server: { executable: { type: 'existing-path', path } } }).
# The SDK passes "<port> [--enable-time-skipping]" and SIGKILLs this PID on teardown: `exec` keeps the JVM as
# that very process, so no orphan keeps the port.
set -euo pipefail
cp_file="${SWITCHBOARD_TEST_SERVER_CLASSPATH:-}"
if [[ -z "$cp_file" ]]; then
  # Same rule as testServerClasspathFile() in scripts/dev/toolchain.ts.
  pom="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/test-server/pom.xml"
  if command -v sha256sum >/dev/null; then hash="$(sha256sum "$pom")"; else hash="$(shasum -a 256 "$pom")"; fi
  cache="${SWITCHBOARD_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/switchboard}"
  cp_file="$cache/test-server-${hash:0:12}.classpath"
fi
if [[ ! -s "$cp_file" ]]; then
  echo "temporal-test-server.sh: no classpath file $cp_file; run:" >&2
  echo "  npx tsx -e \"require('./scripts/dev/toolchain').ensureTestServer()\"" >&2
  exit 1
fi
CP="$(<"$cp_file")"
java="java"
if [[ -n "${JAVA_HOME:-}" ]]; then java="$JAVA_HOME/bin/java"; fi
exec "$java" -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -cp "$CP" io.temporal.testserver.TestServer "$@"
