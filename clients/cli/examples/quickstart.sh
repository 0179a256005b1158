#!/usr/bin/env bash
# The integration example of docs/integration.md with shequctl, start to finish:
#
#   clients/cli/examples/quickstart.sh 127.0.0.1:7070
#
# 1. A street office starts a vacancy-approval request.
# 2. The leading group office follows its reminders (the daemon must run with --fake-clock:
#    the example moves time three working days so a reminder falls due), and sees its task.
# 3. It approves; watching the instance shows it end with status approved.
# Each party acts with its own API token (--token), taken from a file of `<name> <roles> <unit>
# <token>` lines: `make run`'s var/demo-tokens.txt, or the file $SHEQU_TOKENS names. The demo
# principals: wang (street office), li (leading group), zhang.admin (administrator).
# SHEQUCTL names the binary (default: build/clients/shequctl of this checkout, else PATH).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
default="$here/../../../build/clients/shequctl"
[[ -x "$default" ]] || default=shequctl
shequctl="${SHEQUCTL:-$default}"
export SHEQU_ADDR="${1:-127.0.0.1:7070}"
tokens="${SHEQU_TOKENS:-$here/../../../var/demo-tokens.txt}"
token() { awk -v name="$1" '!/^#/ && $1 == name {print $4}' "$tokens"; }

# 1. Connect as the street office and start a workflow. The request id makes a retry safe.
street=(--token "$(token wang)")
started=$("$shequctl" "${street[@]}" start vacancy-approval \
  --var community=community-7 --var street=street-1 --var posts=2 --var vacancies=3 \
  --business-key community-7 --unit community-7 --request-id street-1/2026-001)
echo "$started"                                   # started instance 1 (vacancy-approval version 1)
id=$(awk '{print $3}' <<<"$started")

# 2. The leading group office: follow its reminders in the background, list its task.
office=(--token "$(token li)")
admin=(--token "$(token zhang.admin)")
inbox=$(mktemp)
"$shequctl" "${office[@]}" notify --role leading-group --follow >"$inbox" &
follower=$!
trap 'kill $follower 2>/dev/null || true; rm -f "$inbox"' EXIT
"$shequctl" "${office[@]}" tasks --role leading-group --instance "$id"
task=$("$shequctl" "${office[@]}" tasks --role leading-group --instance "$id" | awk 'NR == 2 {print $1}')

"$shequctl" "${admin[@]}" advance-clock 3wd       # demo only: a --fake-clock daemon
for _ in $(seq 100); do grep -q task.reminder "$inbox" && break; sleep 0.1; done
grep task.reminder "$inbox" | sed 's/^/reminder: /'

# 3. Approve; watch the instance until it ends.
"$shequctl" "${office[@]}" complete "$task" --outcome approved --comment 同意
"$shequctl" "${street[@]}" watch "$id" | tail -n 1
"$shequctl" "${street[@]}" get "$id" | grep -E '^(state|end status)'
