#!/bin/bash
# Body of the NeuronxCompile instance's user data. The construct renders the
# user data as "#!/bin/bash", the exports of the compile environment
# (NEURONX_*, NEURON_CC_FLAGS, AWS_DEFAULT_REGION), then this file.
#
# It installs nothing it can avoid (Docker only if the AMI lacks it), arms a
# watchdog for the deadline and one for the lease, runs the compile script in the
# serving image with every Neuron device, copies its log to the console, and on
# any failure writes _FAILURE (unless the compile script already did) with the
# log tail, uploads the whole log, and shuts down. Shutdown terminates the
# instance (the launch template's shutdown behaviour).
#
# The lease: the waiter that launched (or adopted) this instance rewrites
# <prefix>_LOCK at least five times a window. A process of its own here, apart
# from the compile, reads it every NEURONX_LEASE_CHECK_SECONDS and shuts the
# instance down when it has not changed for NEURONX_ABANDON_AFTER_SECONDS (the
# apply is gone: cancelled, killed, out of credentials), after writing _FAILURE
# "abandoned"; at once when it names another instance (another compile owns the
# prefix) or is released (the waiter is done with this instance). "Changed" is
# its ETag, timed with this instance's own uptime clock: no clock of another
# machine (the apply's, S3's LastModified) is compared with this one's.
#
# CloudFormation (the cloudFormation waiter): an instance that a stack owns carries
# the tag aws:cloudformation:stack-name. It then has no lease (no apply renews one:
# the deadline bounds it), reads its stack's wait condition handle (a presigned
# URL) and signals it: SUCCESS once _SUCCESS is written and verified against S3,
# FAILURE with the reason and where the log is. A signal is an HTTPS PUT to the
# handle's URL: no credentials. CloudFormation rolls back (terminates the
# instance) on FAILURE or at the wait condition's timeout, the deadline.
# The NEURONX_* variables are exported by the rendered header:
# shellcheck disable=SC2154

set -Eeuo pipefail
# The paths can be moved for a rehearsal on a machine that is not the instance.
LOG=${NEURONX_LOG:-/var/log/neuronx-compile.log}
WORK=${NEURONX_ROOT:-/opt/neuronx}
CONSOLE=${NEURONX_CONSOLE:-/dev/console}
DEVICES=${NEURONX_DEVICES_DIR:-/dev}
S3="s3://$NEURONX_BUCKET/$NEURONX_PREFIX"
exec > >(tee -a "$LOG" | sed -u 's/^/neuronx-compile: /' >"$CONSOLE") 2>&1

# Watchdog: whatever happens below, the instance is gone at the deadline.
shutdown -h "+$NEURONX_DEADLINE_MINUTES" "neuronx-compile deadline reached"

imds() {
  local token
  token=$(curl -sf -X PUT http://169.254.169.254/latest/api/token -H "X-aws-ec2-metadata-token-ttl-seconds: 60")
  curl -sf -H "X-aws-ec2-metadata-token: $token" "http://169.254.169.254/latest/meta-data/$1"
}
INSTANCE_ID=$(imds instance-id || echo unknown)
export NEURONX_INSTANCE_ID="$INSTANCE_ID"
STARTED=$(date +%s)

progress() {
  printf 'phase=%s\nbytes_done=0\nbytes_total=0\nelapsed_seconds=%s\ninstance_id=%s\n' \
    "$1" "$(($(date +%s) - STARTED))" "$INSTANCE_ID" | aws s3 cp - "$S3"_PROGRESS --only-show-errors || true
}

# Writes _FAILURE with a reason and the log tail, then the whole log.
write_failure() {
  { printf 'reason=%s\nphase=%s\ninstance_id=%s\n--- log tail ---\n' "$1" "$2" "$INSTANCE_ID"
    tail -n 80 "$LOG"; } | aws s3 cp - "$S3"_FAILURE --only-show-errors || true
  aws s3 cp "$LOG" "$S3"_FAILURE.log --only-show-errors || true
}

on_error() {
  local status=$? line=$1
  trap - ERR
  echo "failed with exit status $status at user data line $line"
  # Another compile owns the prefix (python/neuronx_compile/lock.py): its markers are not this one's to write.
  if [ -s "$WORK/work/stack-failure-reason" ]; then
    signal_stack FAILURE "$(cat "$WORK/work/stack-failure-reason")"
    shutdown -h now "neuronx-compile failed"
    exit "$status"
  elif ! aws s3api head-object --bucket "$NEURONX_BUCKET" --key "$NEURONX_PREFIX"_FAILURE >/dev/null 2>&1; then
    write_failure "bootstrap failed with exit status $status at user data line $line" bootstrap
  else
    aws s3 cp "$LOG" "$S3"_FAILURE.log --only-show-errors || true
  fi
  signal_stack FAILURE "$(aws s3 cp "$S3"_FAILURE - | sed -n 's/^reason=//p')"
  shutdown -h now "neuronx-compile failed"
  exit "$status"
}
trap 'on_error $LINENO' ERR

# CloudFormation (see the header): the wait condition handle's URL when a stack owns this instance.
SIGNAL_URL=""
find_stack_signal() {
  local stack
  stack=$(aws ec2 describe-tags --output text --query 'Tags[0].Value' --filters \
    "Name=resource-id,Values=$INSTANCE_ID" Name=key,Values=aws:cloudformation:stack-name) || return 1
  [ -n "$stack" ] && [ "$stack" != None ] || return 0
  SIGNAL_URL=$(aws cloudformation describe-stack-resource --stack-name "$stack" --logical-resource-id CompileSignal \
    --output text --query StackResourceDetail.PhysicalResourceId) || return 1
  echo "the stack $stack owns this instance"
  # The compile job then takes the prefix's lock itself (python/neuronx_compile/lock.py).
  export NEURONX_STACK_NAME="$stack"
}
# signal_stack SUCCESS|FAILURE REASON (quotes, backslashes, control characters dropped)
signal_stack() {
  [ -n "$SIGNAL_URL" ] || return 0
  local reason
  reason=$(printf %s "${2:-unknown}" | tr -d '"\\[:cntrl:]' | cut -c 1-900)
  [ "$1" = SUCCESS ] || reason="$reason (log: ${S3}_FAILURE.log)"
  curl -sf --retry 5 --retry-all-errors -X PUT -H 'Content-Type:' --data-binary \
    "$(printf '{"Status":"%s","Reason":"%s","UniqueId":"%s"}' "$1" "$reason" "$INSTANCE_ID")" "$SIGNAL_URL"
}

# The lease (see the header): checked apart from the compile, timed with this instance's uptime.
lease_watchdog() {
  set +eE
  trap - ERR
  local etag="" seen now up state holder idle
  read -r up _ </proc/uptime
  seen=${up%.*}
  while sleep "${NEURONX_LEASE_CHECK_SECONDS:-30}"; do
    read -r up _ </proc/uptime
    now=${up%.*}
    if aws s3api get-object --bucket "$NEURONX_BUCKET" --key "$NEURONX_PREFIX"_LOCK "$WORK/lease" \
      --query ETag --output text >"$WORK/lease.etag" 2>/dev/null; then
      state=$(sed -n 's/^state=//p' "$WORK/lease")
      holder=$(sed -n 's/^instance_id=//p' "$WORK/lease")
      if [ "$state" = running ] && [ -n "$holder" ] && [ "$holder" != "$INSTANCE_ID" ]; then
        echo "the lease names $holder: another compile owns $S3"
        shutdown -h now "neuronx-compile superseded"
        return
      elif [ "$state" = released ] && [ "$holder" = "$INSTANCE_ID" ]; then
        shutdown -h now "neuronx-compile released"
        return
      elif [ "$(cat "$WORK/lease.etag")" != "$etag" ]; then
        etag=$(cat "$WORK/lease.etag")
        seen=$now
      fi
    fi
    idle=$((now - seen))
    if [ "$idle" -ge "${NEURONX_ABANDON_AFTER_SECONDS:-900}" ]; then
      write_failure "abandoned: the lease ${S3}_LOCK was not renewed for $idle seconds: the apply that started this compile is gone (cancelled, killed, or out of credentials); run terraform apply again" lease
      shutdown -h now "neuronx-compile abandoned"
      return
    fi
  done
}

mkdir -p "$WORK"

echo "instance $INSTANCE_ID compiling $NEURONX_MODEL_ID@$NEURONX_REVISION into $S3"
# Every marker, _FAILURE included, is written with the AWS CLI: install it first if the AMI lacks it.
if ! command -v aws >/dev/null 2>&1; then
  echo "the AWS CLI is missing from the AMI; installing awscli"
  apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q awscli
fi
find_stack_signal
# Under a stack no apply renews a lease: the wait condition's timeout and the deadline bound this instance.
if [ -z "$SIGNAL_URL" ]; then
  lease_watchdog &
fi
progress bootstrap
if ! command -v docker >/dev/null 2>&1; then
  echo "docker is missing from the AMI; installing docker.io"
  apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q docker.io
fi
systemctl start docker

progress pull-image
aws ecr get-login-password --region "$NEURONX_REGION" |
  docker login --username AWS --password-stdin "$NEURONX_REGISTRY" >/dev/null
docker pull --quiet "$NEURONX_IMAGE"

mkdir -p "$WORK/code" "$WORK/work"
aws s3 cp --recursive --only-show-errors "s3://$NEURONX_BUCKET/$NEURONX_CODE_PREFIX" "$WORK/code"

# NEURONX_COMPILE_DEVICES=none: a CPU compile host (optimum-neuron exports for inf2 without a device) may
# have none; otherwise (required, the default) a host without a Neuron device fails.
devices=()
for device in "$DEVICES"/neuron*; do
  [ -e "$device" ] && devices+=("--device=$device")
done
if [ ${#devices[@]} = 0 ] && [ "${NEURONX_COMPILE_DEVICES-}" != none ]; then
  echo "no Neuron devices in $DEVICES: no driver, or not inf2"
  false
fi
echo "running the compile in $NEURONX_IMAGE with ${#devices[@]} Neuron devices"
env | grep -E '^(NEURONX_|NEURON_CC_FLAGS=|AWS_DEFAULT_REGION=)' > "$WORK/compile.env"
docker run --rm --network host "${devices[@]}" \
  --env-file "$WORK/compile.env" -e PYTHONPATH="$WORK/code" -e NEURONX_WORK_DIR="$WORK/work" \
  -v "$WORK:$WORK" --entrypoint python3 "$NEURONX_IMAGE" -m neuronx_compile

# The compile exits 0 only once _SUCCESS is written and verified against S3.
signal_stack SUCCESS "_SUCCESS written and verified"
echo "compile finished in $(($(date +%s) - STARTED)) seconds; terminating"
shutdown -h now "neuronx-compile finished"
