#!/bin/bash
# Body of the NeuronxCompile instance's user data. The construct renders the
# user data as "#!/bin/bash", the exports of the compile environment
# (NEURONX_*, NEURON_CC_FLAGS, AWS_DEFAULT_REGION), then this file.
#
# It installs nothing it can avoid (Docker only if the AMI lacks it), arms a
# watchdog for the deadline, runs the compile script in the serving image with
# every Neuron device, copies its log to the console, and on any failure writes
# _FAILURE (unless the compile script already did) with the log tail, uploads
# the whole log, and shuts down. Shutdown terminates the instance (the launch
# template's shutdown behaviour).
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

on_error() {
  local status=$? line=$1
  trap - ERR
  echo "failed with exit status $status at user data line $line"
  if ! aws s3api head-object --bucket "$NEURONX_BUCKET" --key "$NEURONX_PREFIX"_FAILURE >/dev/null 2>&1; then
    { printf 'reason=bootstrap failed with exit status %s at user data line %s\ninstance_id=%s\n--- log tail ---\n' \
        "$status" "$line" "$INSTANCE_ID"
      tail -n 80 "$LOG"; } | aws s3 cp - "$S3"_FAILURE --only-show-errors || true
  fi
  aws s3 cp "$LOG" "$S3"_FAILURE.log --only-show-errors || true
  shutdown -h now "neuronx-compile failed"
  exit "$status"
}
trap 'on_error $LINENO' ERR

echo "instance $INSTANCE_ID compiling $NEURONX_MODEL_ID@$NEURONX_REVISION into $S3"
# Every marker, _FAILURE included, is written with the AWS CLI: install it first if the AMI lacks it.
if ! command -v aws >/dev/null 2>&1; then
  echo "the AWS CLI is missing from the AMI; installing awscli"
  apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q awscli
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

devices=()
for device in "$DEVICES"/neuron*; do
  [ -e "$device" ] && devices+=("--device=$device")
done
if [ "${#devices[@]}" -eq 0 ]; then
  echo "no Neuron devices in $DEVICES: the AMI lacks the Neuron driver, or this is not an inf2 instance"
  false
fi
echo "running the compile in $NEURONX_IMAGE with ${#devices[@]} Neuron devices"
env | grep -E '^(NEURONX_|NEURON_CC_FLAGS=|AWS_DEFAULT_REGION=)' > "$WORK/compile.env"
docker run --rm --network host "${devices[@]}" \
  --env-file "$WORK/compile.env" -e PYTHONPATH="$WORK/code" -e NEURONX_WORK_DIR="$WORK/work" \
  -v "$WORK:$WORK" --entrypoint python3 "$NEURONX_IMAGE" -m neuronx_compile

echo "compile finished in $(($(date +%s) - STARTED)) seconds; terminating"
shutdown -h now "neuronx-compile finished"
