#!/usr/bin/env bash
# Builds the Terraform CLI and the providers this project pins from the Go
# module proxy, the one route to them on machines that reach package
# registries but not releases.hashicorp.com or registry.terraform.io, and lays
# them out for an offline `terraform init`:
#
#   $DIR/bin/terraform
#   $DIR/mirror/registry.terraform.io/hashicorp/TYPE/VERSION/OS_ARCH/terraform-provider-TYPE_vVERSION
#   $DIR/terraformrc   CLI config: a filesystem_mirror for hashicorp/*, no network
#
# DIR is $TF_TOOLCHAIN_DIR, by default
# ${XDG_CACHE_HOME:-$HOME/.cache}/cdktf-neuronx-patterns/terraform.
#
# Every source version is pinned by a wrapper Go module under tools/terraform/
# (go.mod + go.sum); tools/terraform/README.md says why each one exists and
# where a binary is a stand-in rather than the upstream release. A binary
# whose stamp (label, source, wrapper files, Go version, target, flags) is
# unchanged is reused, so a warm run takes about a second; Go's module and
# build caches are used as usual.
#
# Usage:
#   scripts/install-terraform.sh              build what is missing, log, print export lines
#   eval "$(scripts/install-terraform.sh --print-env)"
#                                             the same, with the log on stderr and only
#                                             the export lines on stdout
#   scripts/install-terraform.sh --force      rebuild everything
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
TOOLS="$REPO/tools/terraform"

print_env_only=0
force=0
for arg in "$@"; do
  case "$arg" in
    --print-env) print_env_only=1 ;;
    --force) force=1 ;;
    -h | --help)
      sed -n '2,/^set -euo pipefail$/p' "${BASH_SOURCE[0]}" | sed '$d' | sed 's/^# \{0,1\}//'
      exit 0
      ;;
    *)
      echo "install-terraform: unknown argument: $arg (try --help)" >&2
      exit 2
      ;;
  esac
done

# The log goes to stdout, or to stderr under --print-env so that stdout
# carries nothing but the export lines.
if [ "$print_env_only" = 1 ]; then exec 3>&2; else exec 3>&1; fi
log() { printf '%s\n' "$*" >&3; }
die() {
  printf 'install-terraform: error: %s\n' "$*" >&2
  exit 1
}

command -v go >/dev/null 2>&1 || die "go is not on PATH (Go 1.26.3 or newer is needed)"
# Never let the go command fetch another toolchain: a wrapper whose go line is
# newer than the installed Go fails with a clear message instead.
export GOTOOLCHAIN=local
export CGO_ENABLED=0

DIR=${TF_TOOLCHAIN_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/cdktf-neuronx-patterns/terraform}
mkdir -p "$DIR/bin" "$DIR/mirror" "$DIR/stamps" "$DIR/tmp"
DIR=$(cd "$DIR" && pwd -P)
# A build goes to $DIR/tmp first and is moved into place when complete, so an
# interrupted run never leaves a partial binary where Terraform looks.
current_tmp=
trap 'rm -f "$current_tmp"' EXIT
GOVERSION=$(go env GOVERSION)
TARGET="$(go env GOOS)_$(go env GOARCH)"

# Version of module $2 that the wrapper go.mod $1 requires.
required_version() {
  awk -v m="$2" '$1 == m { print $2; exit } $1 == "require" && $2 == m { print $3; exit }' "$1"
}

# One hash over every file of a wrapper module, so that editing any of them
# (a version bump, a stub) invalidates the binaries built from it.
wrapper_hash() {
  (cd "$1" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum) | sha256sum | cut -d' ' -f1
}

summary=()
total_start=$(date +%s)

# build NAME LABEL WRAPPER PACKAGE MODULE DEST LDFLAGS
#   NAME     what the log calls it
#   LABEL    the version Terraform sees (mirror directory, binary name)
#   WRAPPER  wrapper module directory under tools/terraform
#   PACKAGE  main package to build
#   MODULE   module whose required version is the source ("" for local code)
#   DEST     where the binary goes
#   LDFLAGS  extra -ldflags (version stamping)
build() {
  local name=$1 label=$2 wrapper="$TOOLS/$3" pkg=$4 module=$5 dest=$6 xflags=$7
  local source stamp_file stamp tmp start secs size
  [ -f "$wrapper/go.mod" ] || die "missing wrapper module $wrapper"
  if [ -n "$module" ]; then
    source="$module@$(required_version "$wrapper/go.mod" "$module")"
  else
    source="local code in tools/terraform/${3}"
  fi
  stamp_file="$DIR/stamps/$3.stamp"
  stamp=$(printf '%s\n' \
    "name=$name" "label=$label" "source=$source" "package=$pkg" \
    "wrapper=$(wrapper_hash "$wrapper")" "go=$GOVERSION" "target=$TARGET" \
    "flags=-buildvcs=false -trimpath -ldflags=-s -w $xflags CGO_ENABLED=0")

  if [ "$force" = 0 ] && [ -x "$dest" ] && [ -f "$stamp_file" ] &&
    [ "$(cat "$stamp_file")" = "$stamp" ]; then
    log "==> $name $label: reused ($dest)"
    summary+=("$name $label reused")
    return
  fi

  log "==> $name $label: building $source with $GOVERSION for $TARGET ..."
  rm -f "$stamp_file"
  mkdir -p "$(dirname "$dest")"
  tmp="$DIR/tmp/$(basename "$dest").$$"
  current_tmp=$tmp
  start=$(date +%s)
  # -buildvcs=false: the wrapper sits in this git repo, and VCS stamping
  # would make the binary depend on the work tree's state.
  if ! (cd "$wrapper" && go build -mod=readonly -buildvcs=false -trimpath \
    -ldflags="-s -w $xflags" -o "$tmp" "$pkg") >&3 2>&1; then
    die "building $name failed (see the go output above)"
  fi
  mv -f "$tmp" "$dest"
  current_tmp=
  printf '%s\n' "$stamp" >"$stamp_file"
  secs=$(($(date +%s) - start))
  size=$(du -m "$dest" | cut -f1)
  log "    built in ${secs} s, ${size} MiB: $dest"
  summary+=("$name $label built in ${secs} s")
}

# provider TYPE LABEL WRAPPER PACKAGE MODULE LDFLAGS: build into the mirror's
# unpacked layout, and drop any other version of TYPE left in the mirror so
# that Terraform can only pick LABEL.
provider() {
  local type=$1 label=$2
  local base="$DIR/mirror/registry.terraform.io/hashicorp/$type"
  build "hashicorp/$type" "$label" "$3" "$4" "$5" \
    "$base/$label/$TARGET/terraform-provider-${type}_v$label" "$6"
  find "$base" -mindepth 1 -maxdepth 1 -type d ! -name "$label" -exec rm -rf {} +
}

TF_VERSION=1.13.5
AWS_VERSION=6.25.0
NULL_VERSION=3.2.4

build terraform "$TF_VERSION" terraform github.com/hashicorp/terraform \
  github.com/hashicorp/terraform "$DIR/bin/terraform" \
  "-X github.com/hashicorp/terraform/version.dev=no"

# Stand-in: the proxy serves no source of hashicorp/aws 6.25.0, so this is the
# newest source it does serve (upstream 6.48.0-dev), installed as 6.25.0; the
# binary itself reports its real version. See tools/terraform/README.md.
provider aws "$AWS_VERSION" aws github.com/hashicorp/terraform-provider-aws \
  github.com/hashicorp/terraform-provider-aws \
  "-X github.com/hashicorp/terraform-provider-aws/version.ProviderVersion=6.48.0-dev+5f2286d6d836"
log "    note: hashicorp/aws $AWS_VERSION is a stand-in built from upstream 6.48.0-dev (commit 5f2286d6d836)"

# Stand-in: the proxy serves no usable hashicorp/null; tools/terraform/null
# re-implements its schema.
provider null "$NULL_VERSION" null . "" "-X main.version=$NULL_VERSION"
log "    note: hashicorp/null $NULL_VERSION is a stand-in: a re-implementation of its schema in tools/terraform/null"

rc="$DIR/terraformrc"
rc_tmp="$rc.tmp.$$"
cat >"$rc_tmp" <<EOF
# Written by scripts/install-terraform.sh. Providers come only from the
# filesystem mirror below; there is no direct block, so Terraform never
# contacts a registry. disable_checkpoint stops its version check call.
disable_checkpoint = true

provider_installation {
  filesystem_mirror {
    path    = "$DIR/mirror"
    include = ["registry.terraform.io/hashicorp/*"]
  }
}
EOF
if cmp -s "$rc_tmp" "$rc"; then rm -f "$rc_tmp"; else mv -f "$rc_tmp" "$rc"; fi

total=$(($(date +%s) - total_start))
joined=$(printf '%s, ' "${summary[@]}")
log "install-terraform: ${joined%, }; total ${total} s; in $DIR"
if [ "$print_env_only" = 0 ]; then
  log ""
  log "To use them in this shell (or: eval \"\$(scripts/install-terraform.sh --print-env)\"):"
fi
# $PATH stays unexpanded: it is the caller's PATH when the line is eval'ed.
# shellcheck disable=SC2016
printf 'export PATH=%q:"$PATH"\n' "$DIR/bin"
printf 'export TF_CLI_CONFIG_FILE=%q\n' "$rc"
