#!/bin/sh
# Builds the Lambda layer of the inference function's dependencies (python/lambda_inference/requirements.txt)
# for a Lambda architecture and Python runtime, from PyPI wheels only (no compiler, no Docker):
#   scripts/build-lambda-layer.sh [arm64|x86_64] [3.12|3.13|3.14] [output.zip]
# then: LambdaInferenceDependencies.fromLayerZip("dist/lambda-inference-layer-arm64-py3.13.zip", bucket)
# It prints the layer's unzipped size: with the function's code it must stay under Lambda's 250 MB.
set -eu
cd "$(dirname "$0")/.."
ARCH=${1:-arm64}
PY=${2:-3.13}
OUT=${3:-dist/lambda-inference-layer-$ARCH-py$PY.zip}
case "$ARCH" in
  arm64) MACHINE=aarch64 ;;
  x86_64) MACHINE=x86_64 ;;
  *) echo "build-lambda-layer: the architecture must be arm64 or x86_64, got $ARCH" >&2; exit 2 ;;
esac
case "$PY" in
  3.12 | 3.13 | 3.14) ;;
  *) echo "build-lambda-layer: the Python version must be 3.12, 3.13 or 3.14, got $PY" >&2; exit 2 ;;
esac
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
# Lambda's Python 3.12+ runtimes run on Amazon Linux 2023 (glibc 2.34): any manylinux wheel up to 2.34 loads.
python3 -m pip install --quiet --disable-pip-version-check --no-compile --only-binary=:all: \
  --implementation cp --python-version "$PY" \
  --platform "manylinux_2_34_$MACHINE" --platform "manylinux_2_28_$MACHINE" \
  --platform "manylinux_2_27_$MACHINE" --platform "manylinux_2_17_$MACHINE" --platform "manylinux2014_$MACHINE" \
  --target "$WORK/python" -r python/lambda_inference/requirements.txt
# Lambda unpacks a layer into /opt; /opt/python is on the runtime's sys.path.
find "$WORK/python" -name "__pycache__" -type d -prune -exec rm -rf {} +
rm -rf "$WORK"/python/bin
mkdir -p "$(dirname "$OUT")"
rm -f "$OUT"
(cd "$WORK" && python3 -m zipfile -c layer.zip python/ >/dev/null)
mv "$WORK/layer.zip" "$OUT"
unzipped=$(du -sb "$WORK/python" | cut -f1)
zipped=$(wc -c <"$OUT")
echo "build-lambda-layer: $OUT: $((zipped / 1048576)) MiB zipped, $((unzipped / 1048576)) MiB unzipped (Lambda allows 250 MB unzipped with the function's code)"
