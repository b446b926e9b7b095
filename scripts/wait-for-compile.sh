#!/bin/sh
# Holds `terraform apply` until a NeuronxCompile's artifacts are complete.
#
# Run by the waiter null_resource's local-exec provisioner. Needs only a POSIX
# shell and the AWS CLI (v1 or v2) with credentials for the stack's account.
#
#   cache hit   <prefix>_SUCCESS exists and matches what is in S3: exit 0, launch nothing
#   otherwise   run an instance from the launch template (spot first if asked,
#               on-demand when spot capacity is refused, each subnet in turn),
#               then poll every NEURONX_POLL_SECONDS until
#                 _SUCCESS                       exit 0
#                 _FAILURE                       exit 1, print the reason and the log tail
#                 instance gone without a marker exit 1, print the state reason (spot interruption, crash)
#                 NEURONX_DEADLINE_SECONDS       exit 1, terminate the instance
#   SIGINT/SIGTERM terminate the instance, exit 130/143
#   prerequisites missing (CLI, credentials, settings): exit 2 at once
#
# Environment (set by the construct): NEURONX_BUCKET, NEURONX_PREFIX,
# NEURONX_LAUNCH_TEMPLATE_ID, NEURONX_LAUNCH_TEMPLATE_VERSION, NEURONX_SUBNET_IDS
# (space-separated), NEURONX_SPOT (true|false), NEURONX_DEADLINE_SECONDS,
# NEURONX_POLL_SECONDS, NEURONX_REGION. AWS_ENDPOINT_URL is honoured by the CLI.

set -u

log() { printf '%s neuronx-compile: %s\n' "$(date -u +%H:%M:%S)" "$*"; }
die() {
  code=$1
  shift
  log "ERROR: $*"
  exit "$code"
}

for name in NEURONX_BUCKET NEURONX_PREFIX NEURONX_LAUNCH_TEMPLATE_ID NEURONX_LAUNCH_TEMPLATE_VERSION \
  NEURONX_SUBNET_IDS NEURONX_SPOT NEURONX_DEADLINE_SECONDS NEURONX_POLL_SECONDS NEURONX_REGION; do
  eval "value=\${$name:-}"
  # shellcheck disable=SC2154 # value is set by the eval above
  [ -n "$value" ] || die 2 "$name is not set; this script is run by the NeuronxCompile waiter, which sets it"
done
for name in NEURONX_DEADLINE_SECONDS NEURONX_POLL_SECONDS; do
  eval "value=\${$name}"
  case $value in '' | *[!0-9]*) die 2 "$name must be a whole number of seconds, got '$value'" ;; esac
done

BUCKET=$NEURONX_BUCKET
PREFIX=$NEURONX_PREFIX
S3="s3://$BUCKET/$PREFIX"
POLL=$NEURONX_POLL_SECONDS
DEADLINE=$NEURONX_DEADLINE_SECONDS

if ! command -v aws >/dev/null 2>&1; then
  die 2 "the AWS CLI (aws) is not on the PATH of the machine running terraform apply. The compile waiter needs it" \
    "(and a POSIX shell): install it, see https://docs.aws.amazon.com/cli/latest/userguide/getting-started-install.html," \
    "then run apply again. In Terraform Cloud, run on an agent whose image has the AWS CLI, or use local execution."
fi

TMP=$(mktemp -d) || die 2 "cannot create a temporary directory"
INSTANCE_ID=""
SLEEP_PID=""
cleanup() {
  [ -n "$SLEEP_PID" ] && kill "$SLEEP_PID" 2>/dev/null
  rm -rf "$TMP"
}
trap cleanup EXIT

awsr() { aws --region "$NEURONX_REGION" --output text "$@"; }

if ! awsr sts get-caller-identity --query Account >"$TMP/account" 2>"$TMP/err"; then
  die 2 "the AWS CLI has no working credentials for $NEURONX_REGION on this machine: $(tr '\n' ' ' <"$TMP/err")" \
    "Give it the same credentials as the AWS provider (environment, profile or role) and run apply again."
fi

# Reads key=value from a marker file.
kv() { sed -n "s/^$1=//p" "$2" | head -n 1; }

# Fetches a marker into $TMP; succeeds if it exists.
fetch() { aws --region "$NEURONX_REGION" s3 cp "$S3$1" "$TMP/$1" --quiet 2>/dev/null; }

human() { awk -v b="${1:-0}" 'BEGIN { split("B KiB MiB GiB TiB", u, " "); i = 1; while (b >= 1024 && i < 5) { b /= 1024; i++ } printf (i == 1 ? "%d %s" : "%.1f %s"), b, u[i] }'; }

elapsed_text() { awk -v s="$1" 'BEGIN { printf "%dm%02ds", s / 60, s % 60 }'; }

# Lists everything under the prefix into $TMP/listing ("key<TAB>size" lines): one call a poll
# tells which markers exist and what the artifacts hold.
list_prefix() {
  if ! awsr s3api list-objects-v2 --bucket "$BUCKET" --prefix "$PREFIX" --query 'Contents[].[Key, Size]' \
    >"$TMP/listing" 2>"$TMP/err"; then
    die 1 "cannot list $S3: $(tr '\n' ' ' <"$TMP/err")"
  fi
}
has() { awk -F '\t' -v k="$PREFIX$1" '$1 == k { found = 1 } END { exit !found }' "$TMP/listing"; }

# After list_prefix. 0: complete artifacts; 1: no _SUCCESS; 2: a _SUCCESS that does not match S3.
check_success() {
  has _SUCCESS || return 1
  fetch _SUCCESS || return 1
  key=$(kv cache_key "$TMP/_SUCCESS")
  want_files=$(kv files "$TMP/_SUCCESS")
  want_bytes=$(kv bytes "$TMP/_SUCCESS")
  if [ "$key" != "$PREFIX" ]; then
    log "_SUCCESS names the cache key '$key', not '$PREFIX'; ignoring it"
    return 2
  fi
  if ! has manifest.json; then
    log "_SUCCESS exists but manifest.json does not; the artifacts are incomplete"
    return 2
  fi
  have=$(awk -F '\t' -v m="${PREFIX}model/" -v c="${PREFIX}compiled/" \
    'index($1, m) == 1 || index($1, c) == 1 { n++; s += $2 } END { printf "%d %.0f", n, s }' "$TMP/listing")
  if [ "$have" != "$want_files $want_bytes" ]; then
    log "_SUCCESS lists $want_files files of $want_bytes bytes but S3 holds ${have% *} files of ${have#* } bytes; the artifacts are incomplete"
    return 2
  fi
  HAVE_FILES=$want_files
  HAVE_BYTES=$want_bytes
  return 0
}

terminate() {
  [ -n "$INSTANCE_ID" ] || return 0
  if awsr ec2 terminate-instances --instance-ids "$INSTANCE_ID" >/dev/null 2>"$TMP/err"; then
    log "terminated $INSTANCE_ID"
  else
    log "WARNING: could not terminate $INSTANCE_ID, terminate it by hand: $(tr '\n' ' ' <"$TMP/err")"
  fi
}

on_signal() {
  trap - INT TERM
  log "interrupted by SIG$1"
  terminate
  [ "$1" = INT ] && exit 130
  exit 143
}
trap 'on_signal INT' INT
trap 'on_signal TERM' TERM

print_failure() {
  log "the compile failed: $(kv reason "$TMP/_FAILURE")"
  log "phase: $(kv phase "$TMP/_FAILURE"), instance: $(kv instance_id "$TMP/_FAILURE")"
  sed -n '/^--- log tail ---$/,$p' "$TMP/_FAILURE"
  log "full log: ${S3}_FAILURE.log"
}

print_console_tail() {
  if awsr ec2 get-console-output --instance-id "$INSTANCE_ID" --latest --query Output >"$TMP/console" 2>/dev/null &&
    [ -s "$TMP/console" ] && [ "$(cat "$TMP/console")" != None ]; then
    echo "--- console tail of $INSTANCE_ID ---"
    tail -n 30 "$TMP/console"
  fi
}

# ---- cache hit: nothing to launch -------------------------------------------------------------
list_prefix
check_success
status=$?
if [ "$status" -eq 0 ]; then
  log "cache hit: $S3 is complete ($HAVE_FILES files, $(human "$HAVE_BYTES")); no instance launched"
  exit 0
fi

log "no complete artifacts at $S3; launching the compile instance"
# Markers of an earlier attempt would be read as this one's.
stale=""
for marker in _SUCCESS _FAILURE _FAILURE.log _PROGRESS; do
  has "$marker" && stale="$stale{Key=$PREFIX$marker},"
done
if [ -n "$stale" ]; then
  awsr s3api delete-objects --bucket "$BUCKET" --delete "Objects=[${stale%,}],Quiet=true" >/dev/null 2>"$TMP/err" ||
    die 1 "cannot remove the markers of an earlier attempt under $S3: $(tr '\n' ' ' <"$TMP/err")"
fi

# ---- launch ----------------------------------------------------------------------------------
LAST_ERROR=""
# Runs one instance; 0 on success, 1 when capacity was refused (try elsewhere), exits on other errors.
launch() {
  market=$1
  subnet=$2
  set -- --launch-template "LaunchTemplateId=$NEURONX_LAUNCH_TEMPLATE_ID,Version=$NEURONX_LAUNCH_TEMPLATE_VERSION" \
    --subnet-id "$subnet" --count 1 --query 'Instances[0].InstanceId'
  if [ "$market" = spot ]; then
    set -- "$@" --instance-market-options \
      'MarketType=spot,SpotOptions={SpotInstanceType=one-time,InstanceInterruptionBehavior=terminate}'
  fi
  tries=0
  while :; do
    if awsr ec2 run-instances "$@" >"$TMP/id" 2>"$TMP/err"; then
      INSTANCE_ID=$(tr -d '[:space:]' <"$TMP/id")
      log "launched $INSTANCE_ID ($market) in $subnet"
      return 0
    fi
    LAST_ERROR=$(tr '\n' ' ' <"$TMP/err")
    case $LAST_ERROR in
      *"Invalid IAM Instance Profile"* | *iamInstanceProfile*)
        # A new instance profile takes a few seconds to reach EC2.
        tries=$((tries + 1))
        [ "$tries" -lt 12 ] || die 1 "could not launch the compile instance: $LAST_ERROR"
        sleep 5
        ;;
      *InsufficientInstanceCapacity* | *InsufficientCapacity* | *Unsupported* | *capacity-not-available* | \
        *SpotMaxPriceTooLow* | *MaxSpotInstanceCountExceeded*)
        log "$market capacity refused in $subnet: $LAST_ERROR"
        return 1
        ;;
      *VcpuLimitExceeded*)
        [ "$market" = spot ] && {
          log "spot vCPU quota reached: $LAST_ERROR"
          return 1
        }
        die 1 "could not launch the compile instance: $LAST_ERROR Request a quota increase for Running On-Demand Inf instances."
        ;;
      *) die 1 "could not launch the compile instance: $LAST_ERROR" ;;
    esac
  done
}

START=$(date +%s)
markets=on-demand
[ "$NEURONX_SPOT" = true ] && markets="spot on-demand"
for market in $markets; do
  for subnet in $NEURONX_SUBNET_IDS; do
    launch "$market" "$subnet" && break 2
  done
  [ "$market" = spot ] && log "spot capacity refused in every subnet; falling back to on-demand"
done
[ -n "$INSTANCE_ID" ] || die 1 "no capacity for the compile instance in subnets $NEURONX_SUBNET_IDS: $LAST_ERROR"

# ---- poll ------------------------------------------------------------------------------------
while :; do
  elapsed=$(($(date +%s) - START))

  list_prefix
  if check_success; then
    log "done in $(elapsed_text "$elapsed"): $S3 holds $HAVE_FILES files, $(human "$HAVE_BYTES")"
    terminate
    exit 0
  fi
  if has _FAILURE && fetch _FAILURE; then
    print_failure
    terminate
    exit 1
  fi

  if ! awsr ec2 describe-instances --instance-ids "$INSTANCE_ID" \
    --query 'Reservations[0].Instances[0].[State.Name, StateReason.Message]' >"$TMP/state" 2>"$TMP/err"; then
    log "WARNING: cannot describe $INSTANCE_ID: $(tr '\n' ' ' <"$TMP/err")"
    printf 'unknown\tNone\n' >"$TMP/state"
  fi
  state=$(cut -f1 "$TMP/state")
  reason=$(cut -f2- "$TMP/state")
  case $state in
    shutting-down | terminated | stopping | stopped)
      # The markers are written before the instance shuts down; look once more.
      list_prefix
      if check_success; then
        log "done in $(elapsed_text "$elapsed"): $S3 holds $HAVE_FILES files, $(human "$HAVE_BYTES")"
        exit 0
      fi
      if has _FAILURE && fetch _FAILURE; then
        print_failure
        exit 1
      fi
      print_console_tail
      terminate
      die 1 "the compile instance $INSTANCE_ID is $state without a result: ${reason:-no reason given}"
      ;;
  esac

  phase=unknown done_bytes=0 total_bytes=0
  if has _PROGRESS && fetch _PROGRESS; then
    phase=$(kv phase "$TMP/_PROGRESS")
    done_bytes=$(kv bytes_done "$TMP/_PROGRESS")
    total_bytes=$(kv bytes_total "$TMP/_PROGRESS")
  fi
  line="$(elapsed_text "$elapsed") elapsed, $INSTANCE_ID $state, phase $phase"
  if [ "${total_bytes:-0}" -gt 0 ] 2>/dev/null; then
    line="$line, $(human "$done_bytes") of $(human "$total_bytes") ($(awk -v d="$done_bytes" -v t="$total_bytes" 'BEGIN { printf "%d", 100 * d / t }')%)"
  fi
  log "$line"

  if [ "$elapsed" -ge "$DEADLINE" ]; then
    print_console_tail
    terminate
    die 1 "the deadline of $(elapsed_text "$DEADLINE") passed in phase $phase; raise deadlineMinutes if the model needs longer"
  fi
  remaining=$((DEADLINE - elapsed))
  nap=$POLL
  [ "$remaining" -lt "$nap" ] && nap=$remaining
  # Sleep in the background so that a signal is handled at once.
  sleep "$nap" &
  SLEEP_PID=$!
  wait "$SLEEP_PID"
  SLEEP_PID=""
done
