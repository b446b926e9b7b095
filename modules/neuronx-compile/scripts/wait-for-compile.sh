#!/bin/sh
# Holds `terraform apply` until a NeuronxCompile's artifacts are complete; on `terraform destroy`,
# ends the compile instances of the prefix and keeps a bucket of artifacts from half a destroy.
#
# Run by local-exec provisioners: the waiter null_resource (NEURONX_ACTION=wait, the default) and
# the construct's terraform_data "on_destroy" (NEURONX_ACTION=destroy). Needs only a POSIX shell
# and the AWS CLI (v1 1.36.10+ or v2 2.22.5+: S3 conditional writes) with credentials for the
# stack's account.
#
# wait:
#   cache hit   <prefix>_SUCCESS exists and S3 holds exactly the objects it lists: exit 0, launch nothing
#   the lock    <prefix>_LOCK, one object a prefix, created with If-None-Match: * and changed only
#               with If-Match: <its ETag>, so one waiter at a time owns a prefix. The owner runs an
#               instance from the launch template (spot first if asked, on-demand when spot capacity
#               is refused, each subnet in turn) and records its id in the lock. A waiter that finds
#               the lock held by a live instance (or a live instance tagged with the bucket and
#               prefix) adopts it: it watches it instead of launching a second one.
#   the lease   every poll, each waiter watching the instance rewrites the lock (If-Match); the
#               instance's user data shuts it down when the lock has not changed for
#               NEURONX_ABANDON_SECONDS. That bounds the cost of a waiter killed with SIGKILL.
#   poll        every NEURONX_POLL_SECONDS until
#                 _SUCCESS matching S3               exit 0
#                 _FAILURE of the watched instance   exit 1, print the reason and the log tail
#                 instance gone without a marker     exit 1, print the state reason (spot interruption, crash)
#                 NEURONX_DEADLINE_SECONDS           exit 1
#                 an AWS call failing NEURONX_MAX_FAILED_POLLS polls in a row (3), or at once for
#                 credentials or permissions        exit 1
#   every exit after a launch terminates the instance this waiter launched unless it succeeded (an
#   EXIT trap); SIGINT/SIGTERM/SIGHUP exit 130/143/129 through it. A guardian process outlives a
#   SIGKILL of this shell and terminates that instance then; what kills both is left to the lease.
#   prerequisites missing (CLI, its version, credentials, the account, settings): exit 2 at once
#
# destroy: terminate the instances tagged with the bucket and prefix and wait until they are gone
#   (their security group is then free); then, for a bucket this stack created without
#   force_destroy, refuse (exit 1, before anything of the compile is destroyed) while it holds
#   objects Terraform does not manage: the artifacts.
#
# Environment (set by the construct or module): NEURONX_BUCKET, NEURONX_PREFIX, NEURONX_REGION,
# NEURONX_ACCOUNT_ID (the stack's, from aws_caller_identity); for wait: NEURONX_LAUNCH_TEMPLATE_ID,
# NEURONX_LAUNCH_TEMPLATE_VERSION, NEURONX_SUBNET_IDS (space-separated), NEURONX_SPOT (true|false),
# NEURONX_DEADLINE_SECONDS, NEURONX_POLL_SECONDS, NEURONX_ABANDON_SECONDS; for destroy:
# NEURONX_BUCKET_CREATED, NEURONX_BUCKET_FORCE_DESTROY (true|false), NEURONX_BUCKET_ADDRESS,
# NEURONX_FORCE_DESTROY_SETTING (how the user sets force destroy, for the message). AWS_ENDPOINT_URL
# is honoured by the CLI.
#
# How Terraform stops this script (hashicorp/terraform v1.13, internal/backend/local/backend.go
# opWait -> internal/terraform/context.go Stop -> watchStop -> provisioner Stop ->
# internal/builtin/provisioners/local-exec/resource_provisioner.go): on the first Ctrl-C, a
# Terraform Cloud cancel or SIGTERM, Terraform cancels the provisioner's context, and
# exec.CommandContext kills /bin/sh with SIGKILL (Process.Kill: this shell only, not its children).
# From a terminal this shell gets the terminal's SIGINT at the same moment, so its trap races the
# SIGKILL; an AWS CLI call already started survives it, and so does the guardian.

set -u

log() { printf '%s neuronx-compile: %s\n' "$(date -u +%H:%M:%S)" "$*"; }
die() {
  code=$1
  shift
  log "ERROR: $*"
  exit "$code"
}

ACTION=${NEURONX_ACTION:-wait}
required="NEURONX_BUCKET NEURONX_PREFIX NEURONX_REGION NEURONX_ACCOUNT_ID"
numbers=""
case $ACTION in
  wait)
    required="$required NEURONX_LAUNCH_TEMPLATE_ID NEURONX_LAUNCH_TEMPLATE_VERSION NEURONX_SUBNET_IDS NEURONX_SPOT"
    required="$required NEURONX_DEADLINE_SECONDS NEURONX_POLL_SECONDS NEURONX_ABANDON_SECONDS"
    numbers="NEURONX_DEADLINE_SECONDS NEURONX_POLL_SECONDS NEURONX_ABANDON_SECONDS"
    ;;
  destroy) required="$required NEURONX_BUCKET_CREATED NEURONX_BUCKET_FORCE_DESTROY" ;;
  *) die 2 "NEURONX_ACTION must be wait or destroy, got '$ACTION'" ;;
esac
for name in $required; do
  eval "value=\${$name:-}"
  # shellcheck disable=SC2154 # value is set by the eval above
  [ -n "$value" ] || die 2 "$name is not set; this script is run by the NeuronxCompile waiter, which sets it"
done
for name in $numbers NEURONX_MAX_FAILED_POLLS; do
  eval "value=\${$name:-3}"
  case $value in '' | *[!0-9]*) die 2 "$name must be a whole number, got '$value'" ;; esac
done

BUCKET=$NEURONX_BUCKET
PREFIX=$NEURONX_PREFIX
S3="s3://$BUCKET/$PREFIX"
LOCK_KEY="${PREFIX}_LOCK"
MAX_FAILED_POLLS=${NEURONX_MAX_FAILED_POLLS:-3}

if ! command -v aws >/dev/null 2>&1; then
  die 2 "the AWS CLI (aws) is not on the PATH of the machine running terraform apply. The compile waiter needs it" \
    "(and a POSIX shell): install it, see https://docs.aws.amazon.com/cli/latest/userguide/getting-started-install.html," \
    "then run apply again. In Terraform Cloud, run on an agent whose image has the AWS CLI, or use local execution."
fi

# 0 when version $1 is at least $2 (dotted numbers).
version_at_least() {
  awk -v have="$1" -v want="$2" 'BEGIN {
    split(have, h, "."); split(want, w, ".")
    for (i = 1; i <= 3; i++) { if (h[i] + 0 > w[i] + 0) exit 0; if (h[i] + 0 < w[i] + 0) exit 1 }
    exit 0 }'
}
if [ "$ACTION" = wait ]; then
  # PutObject's If-Match came with aws-cli 1.36.10 and 2.22.5 (aws/aws-cli .changes/1.36.10.json,
  # .changes/2.22.5.json: "Add support for ETag based conditional writes in PutObject").
  cli_version=$(aws --version 2>&1 | sed -n 's|^aws-cli/\([0-9][0-9.]*\).*|\1|p' | head -n 1)
  case $cli_version in
    1.*) min_version=1.36.10 ;;
    2.*) min_version=2.22.5 ;;
    *) die 2 "cannot tell the AWS CLI's version from 'aws --version' ($(aws --version 2>&1 | head -n 1)); the waiter needs aws-cli 1.36.10 or 2.22.5 or later" ;;
  esac
  version_at_least "$cli_version" "$min_version" ||
    die 2 "the AWS CLI on this machine is $cli_version; the compile waiter needs $min_version or later (S3 conditional" \
      "writes, which keep one compile a prefix). Update it, see https://docs.aws.amazon.com/cli/latest/userguide/getting-started-install.html"
fi

TMP=$(mktemp -d) || die 2 "cannot create a temporary directory"
INSTANCE_ID=""   # the instance this waiter watches, launched or adopted
LAUNCHED=""      # its id when this waiter launched it
SUCCEEDED=""
TERMINATED=""
OWN_LOCK=""      # set while this waiter holds the lock
LOCK_ETAG=""     # the lock's ETag as this waiter last read or wrote it
SLEEP_PID=""
GUARDIAN_PID=""
FAILED_POLLS=0
OUTCOME=failed

awsr() { aws --region "$NEURONX_REGION" --output text "$@"; }
now() { date +%s; }
kv() { sed -n "s/^$1=//p" "$2" | head -n 1; }
errtext() { tr '\n' ' ' <"$TMP/err"; }

terminate() {
  [ -n "$1" ] || return 0
  if awsr ec2 terminate-instances --instance-ids "$1" >/dev/null 2>"$TMP/err"; then
    log "terminated $1"
    TERMINATED=$1
  else
    log "WARNING: could not terminate $1: $(errtext). It stops itself when its lease is not renewed for $(elapsed_text "$NEURONX_ABANDON_SECONDS"); terminate it by hand to stop sooner"
  fi
}

on_exit() {
  status=$?
  trap - EXIT INT TERM HUP
  [ -n "$SLEEP_PID" ] && kill "$SLEEP_PID" 2>/dev/null
  if [ -n "$LAUNCHED" ] && [ -z "$SUCCEEDED" ] && [ "$TERMINATED" != "$LAUNCHED" ]; then
    terminate "$LAUNCHED"
  fi
  [ -n "$OWN_LOCK" ] && lock_release "$OUTCOME"
  : >"$TMP/finished"
  [ -n "$GUARDIAN_PID" ] || rm -rf "$TMP"
  exit "$status"
}
trap on_exit EXIT
on_signal() {
  log "interrupted by SIG$1"
  exit "$2"
}
trap 'on_signal INT 130' INT
trap 'on_signal TERM 143' TERM
trap 'on_signal HUP 129' HUP

human() { awk -v b="${1:-0}" 'BEGIN { split("B KiB MiB GiB TiB", u, " "); i = 1; while (b >= 1024 && i < 5) { b /= 1024; i++ } printf (i == 1 ? "%d %s" : "%.1f %s"), b, u[i] }'; }
elapsed_text() { awk -v s="$1" 'BEGIN { printf "%dm%02ds", s / 60, s % 60 }'; }

# An AWS call failed (its stderr in $TMP/err) while polling. Credentials and permissions do not come
# back by waiting: exit at once; anything else (throttling, a network blip) is retried for up to
# MAX_FAILED_POLLS polls in a row.
poll_failed() {
  error=$(errtext)
  case $error in
    *ExpiredToken* | *InvalidClientTokenId* | *UnrecognizedClient* | *InvalidAccessKeyId* | *AuthFailure* | \
      *SignatureDoesNotMatch* | *"Unable to locate credentials"* | *RequestExpired* | *InvalidToken*)
      die 1 "the AWS CLI's credentials stopped working while waiting ($1: $error). Renew them and run apply again;" \
        "${INSTANCE_ID:+it adopts $INSTANCE_ID if it is still running. }$(lease_note)"
      ;;
    *AccessDenied* | *UnauthorizedOperation* | *Forbidden*)
      die 1 "the AWS CLI's credentials may not $1: $error. Give them the waiter's policy (the construct's" \
        "waiterPolicyJson, the module's waiter_policy_json) and run apply again. $(lease_note)"
      ;;
  esac
  FAILED_POLLS=$((FAILED_POLLS + 1))
  [ "$FAILED_POLLS" -lt "$MAX_FAILED_POLLS" ] ||
    die 1 "could not $1 in $FAILED_POLLS polls in a row: $error"
  log "WARNING: could not $1 (poll $FAILED_POLLS of $MAX_FAILED_POLLS before giving up): $error"
}
lease_note() {
  [ -n "$INSTANCE_ID" ] || return 0
  if [ -n "$LAUNCHED" ]; then
    printf '%s' "$INSTANCE_ID is terminated on the way out if these credentials still can; otherwise it stops itself when its lease is not renewed for $(elapsed_text "$NEURONX_ABANDON_SECONDS")."
  else
    printf '%s' "$INSTANCE_ID (started by another apply) stops itself when no apply renews its lease for $(elapsed_text "$NEURONX_ABANDON_SECONDS")."
  fi
}

if ! awsr sts get-caller-identity --query Account >"$TMP/account" 2>"$TMP/err"; then
  die 2 "the AWS CLI has no working credentials for $NEURONX_REGION on this machine: $(errtext)" \
    "Give it the same credentials as the AWS provider (environment, profile or role) and run apply again."
fi
CLI_ACCOUNT=$(tr -d '[:space:]' <"$TMP/account")
if [ "$CLI_ACCOUNT" != "$NEURONX_ACCOUNT_ID" ]; then
  die 2 "the AWS CLI on this machine uses account $CLI_ACCOUNT, but the stack is applied to account" \
    "$NEURONX_ACCOUNT_ID (the AWS provider's credentials). Give the CLI the same credentials as the provider" \
    "(AWS_PROFILE, the environment, or the role the provider assumes) and run apply again."
fi

# ---- destroy: end the instances, keep a bucket of artifacts from half a destroy ----------------
if [ "$ACTION" = destroy ]; then
  awsr ec2 describe-instances --filters "Name=tag:neuronx:bucket,Values=$BUCKET" "Name=tag:neuronx:prefix,Values=$PREFIX" \
    "Name=instance-state-name,Values=pending,running,stopping,stopped" \
    --query 'Reservations[].Instances[].InstanceId' >"$TMP/ids" 2>"$TMP/err" ||
    die 1 "cannot look for compile instances of $S3: $(errtext)"
  ids=$(tr -s '[:space:]' ' ' <"$TMP/ids" | sed 's/None//g; s/^ *//; s/ *$//')
  if [ -n "$ids" ]; then
    # shellcheck disable=SC2086 # one argument an instance id
    awsr ec2 terminate-instances --instance-ids $ids >/dev/null 2>"$TMP/err" || die 1 "cannot terminate $ids: $(errtext)"
    log "terminated the compile instances of $S3: $ids; waiting until they are gone"
    # shellcheck disable=SC2086
    awsr ec2 wait instance-terminated --instance-ids $ids 2>"$TMP/err" || die 1 "$ids did not terminate: $(errtext)"
  else
    log "no compile instance of $S3 is running"
  fi
  if [ "$NEURONX_BUCKET_CREATED" = true ] && [ "$NEURONX_BUCKET_FORCE_DESTROY" != true ]; then
    # Every version and delete marker keeps a bucket from being deleted; those Terraform manages
    # (the compile script, an endpoint's code) go with their resources.
    for kind in Versions DeleteMarkers; do
      if ! awsr s3api list-object-versions --bucket "$BUCKET" --query "${kind}[].[Key, Size]" >>"$TMP/versions" 2>"$TMP/err"; then
        case $(errtext) in *NoSuchBucket*) exit 0 ;; esac
        die 1 "cannot list the objects of s3://$BUCKET: $(errtext)"
      fi
    done
    awk -F '\t' -v code="${PREFIX}code/" '$1 != "None" && $1 != "" && index($1, "_neuronx/bootstrap/") != 1 && index($1, code) != 1 \
      { n++; s += ($2 == "None" ? 0 : $2) } END { printf "%d %.0f\n", n, s }' "$TMP/versions" >"$TMP/kept"
    read -r count bytes <"$TMP/kept"
    if [ "$count" -gt 0 ]; then
      die 1 "destroy refused: the bucket $BUCKET holds $count object versions ($(human "$bytes")) that Terraform does not" \
        "manage: the compiled artifacts, a cache that is expensive to rebuild. Nothing of the compile was destroyed; its" \
        "instances are terminated. To delete the artifacts with the bucket, set ${NEURONX_FORCE_DESTROY_SETTING:-bucketForceDestroy: true}," \
        "apply, then destroy. To keep them and destroy the rest, take the bucket and this check out of the state first:" \
        "terraform state rm '${NEURONX_BUCKET_ADDRESS:-the bucket}' '${NEURONX_SELF_ADDRESS:-this resource}', then destroy."
    fi
  fi
  exit 0
fi

# ---- wait ---------------------------------------------------------------------------------------
POLL=$NEURONX_POLL_SECONDS
DEADLINE=$NEURONX_DEADLINE_SECONDS
ABANDON=$NEURONX_ABANDON_SECONDS
ME="$(uname -n 2>/dev/null || echo host):$$:$(od -An -N4 -tx4 /dev/urandom 2>/dev/null | tr -d ' ')"
START=$(now)

# The guardian: a process of its own that outlives a SIGKILL of this shell (what Terraform sends on
# cancel) and then terminates the instance this waiter launched and releases the lock. Its SIGINT,
# SIGTERM and SIGHUP are ignored, so a terminal's Ctrl-C or a CI runner's SIGTERM to the whole
# process group leaves it to do that. A SIGKILL of every process is left to the lease.
guardian() {
  # SIGPIPE too: Terraform, cancelled, may exit and close the output pipe before this has spoken;
  # a write then fails instead of killing the guardian halfway.
  trap '' INT TERM HUP PIPE
  while kill -0 "$WAITER_PID" 2>/dev/null; do sleep 1; done
  if [ ! -e "$TMP/finished" ]; then
    said=""
    if [ -s "$TMP/launched" ]; then
      id=$(cat "$TMP/launched")
      if awsr ec2 terminate-instances --instance-ids "$id" >/dev/null 2>"$TMP/guardian.err"; then
        said="the waiter was killed; terminated $id"
      else
        said="WARNING: the waiter was killed and $id could not be terminated: $(tr '\n' ' ' <"$TMP/guardian.err")"
      fi
    fi
    if [ -s "$TMP/own" ]; then
      LOCK_ETAG=$(cat "$TMP/lock.etag")
      lock_release killed
    fi
    [ -z "$said" ] || log "$said"
  fi
  rm -rf "$TMP"
}

# ---- the prefix: markers and the listing --------------------------------------------------------

# Lists everything under the prefix into $TMP/listing ("key<TAB>size<TAB>etag" lines): one call a
# poll tells which markers exist and whether the artifacts are the ones _SUCCESS lists.
list_prefix() {
  awsr s3api list-objects-v2 --bucket "$BUCKET" --prefix "$PREFIX" --query 'Contents[].[Key, Size, ETag]' \
    >"$TMP/listing" 2>"$TMP/err"
}
has() { awk -F '\t' -v k="$PREFIX$1" '$1 == k { found = 1 } END { exit !found }' "$TMP/listing"; }
etag_of() { awk -F '\t' -v k="$PREFIX$1" '$1 == k { gsub(/"/, "", $3); print $3 }' "$TMP/listing"; }
fetch() { aws --region "$NEURONX_REGION" s3 cp "$S3$1" "$TMP/$1" --quiet 2>/dev/null; }

# After list_prefix. 0: complete artifacts; 1: no _SUCCESS; 2: a _SUCCESS that S3 does not match.
check_success() {
  has _SUCCESS || return 1
  fetch _SUCCESS || return 1
  key=$(kv cache_key "$TMP/_SUCCESS")
  if [ "$key" != "$PREFIX" ]; then
    log "_SUCCESS names the cache key '$key', not '$PREFIX'; ignoring it"
    return 2
  fi
  want_manifest=$(kv manifest_etag "$TMP/_SUCCESS")
  if [ -z "$want_manifest" ] || [ "$want_manifest" != "$(etag_of manifest.json)" ]; then
    log "manifest.json is missing or is not the one _SUCCESS was written with: the artifacts do not match _SUCCESS, so they are compiled again"
    return 2
  fi
  # The objects _SUCCESS lists (as the compile read them back from S3 after uploading) against what
  # S3 holds now: the same keys, sizes and ETags, nothing missing, nothing added.
  sed -n '/^--- objects ---$/,$p' "$TMP/_SUCCESS" | sed '1d' | LC_ALL=C sort >"$TMP/want"
  awk -F '\t' -v p="$PREFIX" 'index($1, p "model/") == 1 || index($1, p "compiled/") == 1 \
    { gsub(/"/, "", $3); printf "%s\t%s\t%s\n", substr($1, length(p) + 1), $2, $3 }' "$TMP/listing" |
    LC_ALL=C sort >"$TMP/have"
  if ! cmp -s "$TMP/want" "$TMP/have"; then
    changed=$(LC_ALL=C comm -3 "$TMP/want" "$TMP/have" | awk -F '\t' '{ gsub(/^\t/, ""); print $1 }' | sort -u | head -n 3 |
      awk '{ printf "%s%s", (NR > 1 ? ", " : ""), $0 }')
    log "_SUCCESS lists $(wc -l <"$TMP/want" | tr -d ' ') objects and S3 holds $(wc -l <"$TMP/have" | tr -d ' '), differing in" \
      "${changed}: the artifacts do not match _SUCCESS, so they are compiled again"
    return 2
  fi
  HAVE_FILES=$(wc -l <"$TMP/want" | tr -d ' ')
  HAVE_BYTES=$(awk -F '\t' '{ s += $2 } END { printf "%.0f", s }' "$TMP/want")
  COMMIT=$(kv commit "$TMP/_SUCCESS")
  return 0
}

# _FAILURE counts when it names the watched instance (a stale one from an earlier attempt does not).
failure_of_watched() {
  has _FAILURE && fetch _FAILURE || return 1
  by=$(kv instance_id "$TMP/_FAILURE")
  [ "$by" = "$INSTANCE_ID" ] || [ "$by" = unknown ] || [ -z "$by" ]
}
print_failure() {
  log "the compile failed: $(kv reason "$TMP/_FAILURE")"
  log "phase: $(kv phase "$TMP/_FAILURE"), instance: $(kv instance_id "$TMP/_FAILURE")"
  sed -n '/^--- log tail ---$/,$p' "$TMP/_FAILURE"
  log "full log: ${S3}_FAILURE.log"
}
print_console_tail() {
  if awsr ec2 get-console-output --instance-id "$1" --latest --query Output >"$TMP/console" 2>/dev/null &&
    [ -s "$TMP/console" ] && [ "$(cat "$TMP/console")" != None ]; then
    echo "--- console tail of $1 ---"
    tail -n 30 "$TMP/console"
  fi
}

# ---- the lock and its lease ---------------------------------------------------------------------

# Reads the lock: LOCK_STATE (absent, launching, running, released), LOCK_INSTANCE, LOCK_OWNER,
# LOCK_ETAG. 1 on an AWS error.
lock_read() {
  if awsr s3api get-object --bucket "$BUCKET" --key "$LOCK_KEY" "$TMP/lock" --query ETag >"$TMP/lock.meta" 2>"$TMP/err"; then
    LOCK_ETAG=$(tr -d '"[:space:]' <"$TMP/lock.meta")
    LOCK_STATE=$(kv state "$TMP/lock")
    LOCK_INSTANCE=$(kv instance_id "$TMP/lock")
    LOCK_OWNER=$(kv owner "$TMP/lock")
    LOCK_SERIAL=$(kv serial "$TMP/lock")
    printf '%s' "$LOCK_ETAG" >"$TMP/lock.etag"
    case $LOCK_STATE in launching | running | released) ;; *) LOCK_STATE=released ;; esac
    return 0
  fi
  case $(errtext) in
    *NoSuchKey* | *"Not Found"* | *"(404)"*)
      LOCK_STATE=absent LOCK_ETAG="" LOCK_INSTANCE="" LOCK_OWNER="" LOCK_SERIAL=0
      return 0
      ;;
  esac
  return 1
}

# lock_write create|replace STATE [INSTANCE] [OWNER] [OUTCOME]: 0 written, 1 another writer came
# first (the condition failed), 2 an AWS error. Every write changes the body (serial, time), so its ETag.
lock_write() {
  serial=$((${LOCK_SERIAL:-0} + 1))
  {
    printf 'state=%s\ninstance_id=%s\nowner=%s\n' "$2" "${3:-}" "${4:-$ME}"
    printf 'renewed_by=%s\nrenewed_at=%s\nserial=%s\n' "$ME" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$serial"
    printf 'abandon_after_seconds=%s\ncache_key=%s\n' "$ABANDON" "$PREFIX"
    [ -z "${5:-}" ] || printf 'outcome=%s\n' "$5"
  } >"$TMP/lock.new"
  if [ "$1" = create ]; then
    condition="--if-none-match"
    value="*"
  else
    condition="--if-match"
    value="\"$LOCK_ETAG\""
  fi
  if awsr s3api put-object --bucket "$BUCKET" --key "$LOCK_KEY" --body "$TMP/lock.new" --content-type text/plain \
    "$condition" "$value" --query ETag >"$TMP/lock.meta" 2>"$TMP/err"; then
    LOCK_ETAG=$(tr -d '"[:space:]' <"$TMP/lock.meta")
    LOCK_SERIAL=$serial LOCK_STATE=$2 LOCK_INSTANCE=${3:-} LOCK_OWNER=${4:-$ME}
    printf '%s' "$LOCK_ETAG" >"$TMP/lock.etag"
    return 0
  fi
  # 412 PreconditionFailed, or 409 ConditionalRequestConflict when two writes race; 404 when the
  # object it was to replace is gone.
  case $(errtext) in *PreconditionFailed* | *ConditionalRequestConflict* | *NoSuchKey* | *"(412)"* | *"(409)"*) return 1 ;; esac
  return 2
}

take_lock() {
  if [ "$LOCK_STATE" = absent ]; then mode=create; else mode=replace; fi
  lock_write "$mode" launching "" "$ME"
  rc=$?
  [ "$rc" -eq 0 ] || return "$rc"
  OWN_LOCK=1
  printf 1 >"$TMP/own"
  return 0
}

# Releases the lock with an outcome (succeeded, failed, killed: written by the guardian). A renewal
# this waiter's shell made but did not record (killed during it), or another waiter's, changed the
# ETag: then the lock is read again and released if it is still about this waiter's instance.
lock_release() {
  [ -n "$LOCK_ETAG" ] || return 0
  released=${LAUNCHED:-$(cat "$TMP/launched" 2>/dev/null)}
  if ! lock_write replace released "$released" "$ME" "$1" >/dev/null 2>&1 && lock_read 2>/dev/null &&
    { [ "$LOCK_OWNER" = "$ME" ] || { [ -n "$released" ] && [ "$LOCK_INSTANCE" = "$released" ]; }; }; then
    lock_write replace released "$released" "$ME" "$1" >/dev/null 2>&1 || true
  fi
  OWN_LOCK=""
  rm -f "$TMP/own"
}

# Renews the lease of the watched instance. 0 renewed (or renewed by another waiter just now), 2 an
# AWS error; SUPERSEDED is set when the lock names another instance.
lease_renew() {
  lock_write replace running "$INSTANCE_ID" "$LOCK_OWNER"
  rc=$?
  [ "$rc" -eq 1 ] || return "$rc"
  lock_read || return 2
  if [ "$LOCK_STATE" = running ] && [ "$LOCK_INSTANCE" != "$INSTANCE_ID" ]; then
    SUPERSEDED=$LOCK_INSTANCE
    return 0
  fi
  if [ "$LOCK_STATE" != released ] && [ "$LOCK_STATE" != absent ]; then
    lock_write replace running "$INSTANCE_ID" "$LOCK_OWNER"
    [ $? -eq 2 ] && return 2
  fi
  return 0
}

# "state<TAB>reason" of an instance; "terminated" when EC2 no longer knows it. 1 on an AWS error.
instance_state() {
  if awsr ec2 describe-instances --instance-ids "$1" \
    --query 'Reservations[0].Instances[0].[State.Name, StateReason.Message]' >"$TMP/state" 2>"$TMP/err"; then
    return 0
  fi
  case $(errtext) in *InvalidInstanceID.NotFound* | *InvalidInstanceID.Malformed*)
    printf 'terminated\tEC2 no longer knows the instance\n' >"$TMP/state"
    return 0
    ;;
  esac
  return 1
}

# TAGGED: the newest live instance tagged with this bucket and prefix, or nothing. 1 on an AWS error.
tagged_instance() {
  awsr ec2 describe-instances --filters "Name=tag:neuronx:bucket,Values=$BUCKET" "Name=tag:neuronx:prefix,Values=$PREFIX" \
    "Name=instance-state-name,Values=pending,running" \
    --query 'sort_by(Reservations[].Instances[], &LaunchTime)[-1].InstanceId' >"$TMP/tagged" 2>"$TMP/err" || return 1
  TAGGED=$(tr -d '[:space:]' <"$TMP/tagged" | sed 's/^None$//')
}

nap() {
  remaining=$((DEADLINE - ($(now) - START)))
  seconds=$POLL
  [ "$remaining" -lt "$seconds" ] && seconds=$remaining
  [ "$seconds" -gt 0 ] || seconds=1
  # Sleep in the background so that a signal is handled at once.
  sleep "$seconds" &
  SLEEP_PID=$!
  wait "$SLEEP_PID"
  SLEEP_PID=""
}
check_deadline() {
  [ $(($(now) - START)) -ge "$DEADLINE" ] || return 0
  [ -n "$INSTANCE_ID" ] && print_console_tail "$INSTANCE_ID"
  die 1 "the deadline of $(elapsed_text "$DEADLINE") passed in phase ${1:-unknown}; raise deadlineMinutes if the model needs longer"
}

# ---- a cache hit, the lock, or an instance to adopt ----------------------------------------------
# The guardian forks here, once every function it calls is defined.
WAITER_PID=$$
guardian </dev/null &
GUARDIAN_PID=$!

SEEN_ETAG=""
SEEN_AT=$START
while :; do
  if ! list_prefix; then
    poll_failed "list $S3"
    check_deadline
    nap
    continue
  fi
  check_success
  status=$?
  if [ "$status" -eq 0 ]; then
    SUCCEEDED=1
    log "cache hit: $S3 is complete ($HAVE_FILES files, $(human "$HAVE_BYTES")${COMMIT:+, commit $COMMIT}); no instance launched"
    exit 0
  fi
  if ! lock_read; then
    poll_failed "read the lock ${S3}_LOCK"
    check_deadline
    nap
    continue
  fi
  FAILED_POLLS=0
  if [ "$LOCK_ETAG" != "$SEEN_ETAG" ]; then
    SEEN_ETAG=$LOCK_ETAG
    SEEN_AT=$(now)
  fi
  case $LOCK_STATE in
    absent | released)
      take_lock && break
      [ $? -eq 2 ] && poll_failed "write the lock ${S3}_LOCK"
      continue # another waiter took it first: read it again
      ;;
    running)
      if ! instance_state "$LOCK_INSTANCE"; then
        poll_failed "describe $LOCK_INSTANCE"
        nap
        continue
      fi
      case $(cut -f1 "$TMP/state") in
        pending | running)
          INSTANCE_ID=$LOCK_INSTANCE
          log "adopting $INSTANCE_ID, the compile instance of $S3 started by ${LOCK_OWNER:-another apply}; not launching another"
          break
          ;;
      esac
      # The lock names an instance that is gone without a result: take the prefix over.
      take_lock && break
      [ $? -eq 2 ] && poll_failed "write the lock ${S3}_LOCK"
      continue
      ;;
    launching)
      # Another waiter is launching, or died while launching: an instance of the prefix already
      # running is adopted; a lock that stays unchanged for the lease's window is taken over.
      if ! tagged_instance; then
        poll_failed "look for compile instances of $S3"
        nap
        continue
      fi
      if [ -n "$TAGGED" ]; then
        if lock_write replace running "$TAGGED" "$LOCK_OWNER"; then
          INSTANCE_ID=$TAGGED
          log "adopting $INSTANCE_ID, the compile instance of $S3 started by ${LOCK_OWNER:-another apply}; not launching another"
          break
        fi
        continue
      fi
      idle=$(($(now) - SEEN_AT))
      if [ "$idle" -ge "$ABANDON" ]; then
        log "the lock ${S3}_LOCK of ${LOCK_OWNER:-another apply} has not changed for $(elapsed_text "$idle"); taking it over"
        take_lock && break
        [ $? -eq 2 ] && poll_failed "write the lock ${S3}_LOCK"
        continue
      fi
      log "waiting for ${LOCK_OWNER:-another apply}, which is launching the compile of $S3 (taken over if its lock stays unchanged for $(elapsed_text "$ABANDON"))"
      ;;
  esac
  check_deadline
  nap
done

# ---- launch (the lock is this waiter's) -----------------------------------------------------------
# The poll that took the lock listed the prefix before it read the lock: a holder that published
# _SUCCESS and ended in between (the instance terminates itself after verifying it) looks gone
# without a result. Now that nobody else may write, one more look decides.
if [ -n "$OWN_LOCK" ] && list_prefix && check_success; then
  SUCCEEDED=1
  OUTCOME=succeeded
  log "cache hit: $S3 is complete ($HAVE_FILES files, $(human "$HAVE_BYTES")${COMMIT:+, commit $COMMIT}), published as this waiter took the lock; no instance launched"
  exit 0
fi
if [ -n "$OWN_LOCK" ]; then
  log "no complete artifacts at $S3; launching the compile instance"
  # Markers of an earlier attempt would be read as this one's.
  stale=""
  for marker in _SUCCESS _FAILURE _FAILURE.log _PROGRESS; do
    has "$marker" && stale="$stale{Key=$PREFIX$marker},"
  done
  if [ -n "$stale" ]; then
    awsr s3api delete-objects --bucket "$BUCKET" --delete "Objects=[${stale%,}],Quiet=true" >/dev/null 2>"$TMP/err" ||
      die 1 "cannot remove the markers of an earlier attempt under $S3: $(errtext)"
  fi

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
        LAUNCHED=$INSTANCE_ID
        printf '%s' "$LAUNCHED" >"$TMP/launched"
        log "launched $INSTANCE_ID ($market) in $subnet"
        return 0
      fi
      LAST_ERROR=$(errtext)
      case $LAST_ERROR in
        *"Invalid IAM Instance Profile"* | *iamInstanceProfile*)
          # A new instance profile takes a few seconds to reach EC2. The lock stays fresh meanwhile.
          tries=$((tries + 1))
          [ "$tries" -lt 12 ] || die 1 "could not launch the compile instance: $LAST_ERROR"
          lock_write replace launching "" "$ME" >/dev/null
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

  markets=on-demand
  [ "$NEURONX_SPOT" = true ] && markets="spot on-demand"
  for market in $markets; do
    for subnet in $NEURONX_SUBNET_IDS; do
      launch "$market" "$subnet" && break 2
    done
    [ "$market" = spot ] && log "spot capacity refused in every subnet; falling back to on-demand"
  done
  [ -n "$INSTANCE_ID" ] || die 1 "no capacity for the compile instance in subnets $NEURONX_SUBNET_IDS: $LAST_ERROR"
  # The instance's user data reads the lock: from now on it names the instance and is its lease.
  lease_renew || poll_failed "record $INSTANCE_ID in the lock ${S3}_LOCK"
fi

# ---- watch the instance, renew its lease ----------------------------------------------------------
succeeded() {
  SUCCEEDED=1
  OUTCOME=succeeded
  log "done in $(elapsed_text "$(($(now) - START))"): $S3 holds $HAVE_FILES files, $(human "$HAVE_BYTES")${COMMIT:+ (commit $COMMIT)}"
}
SUPERSEDED=""
RENEWED_AT=0
while :; do
  elapsed=$(($(now) - START))
  if ! list_prefix; then
    poll_failed "list $S3"
    check_deadline
    nap
    continue
  fi
  if check_success; then
    succeeded
    [ -n "$LAUNCHED" ] && terminate "$LAUNCHED"
    exit 0
  fi
  if failure_of_watched; then
    print_failure
    exit 1
  fi

  # The lease is renewed five times a window: often enough that a failed renewal or two do not
  # lose it, rarely enough that a long window costs few requests.
  if [ $(($(now) - RENEWED_AT)) -ge $((ABANDON / 5)) ]; then
    if ! lease_renew; then
      poll_failed "renew the lease ${S3}_LOCK"
      check_deadline
      nap
      continue
    fi
    RENEWED_AT=$(now)
  fi
  if [ -n "$SUPERSEDED" ]; then
    die 1 "the lock ${S3}_LOCK now names $SUPERSEDED: another apply took the prefix over, judging $INSTANCE_ID gone." \
      "Run apply again once it is done."
  fi

  if ! instance_state "$INSTANCE_ID"; then
    poll_failed "describe $INSTANCE_ID"
    check_deadline
    nap
    continue
  fi
  state=$(cut -f1 "$TMP/state")
  reason=$(cut -f2- "$TMP/state")
  case $state in
    shutting-down | terminated | stopping | stopped)
      # The markers are written before the instance shuts down; look once more.
      if list_prefix && check_success; then
        succeeded
        exit 0
      fi
      if failure_of_watched; then
        print_failure
        exit 1
      fi
      print_console_tail "$INSTANCE_ID"
      [ -n "$LAUNCHED" ] && terminate "$LAUNCHED"
      die 1 "the compile instance $INSTANCE_ID is $state without a result: ${reason:-no reason given}"
      ;;
  esac
  FAILED_POLLS=0

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
  check_deadline "$phase"
  nap
done
