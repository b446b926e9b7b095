#!/usr/bin/env bash
# Puts the Terraform CLI and the providers this project pins in place for an
# offline `terraform init`, building from the Go module proxy (the one route
# to them on machines that reach package registries but not
# releases.hashicorp.com or registry.terraform.io) what it cannot reuse:
#
#   $DIR/bin/terraform  a link to the terraform used: one on PATH at version
#                       TF_MIN_VERSION or newer, else one built here
#   $DIR/mirror/registry.terraform.io/hashicorp/TYPE/VERSION/OS_ARCH/terraform-provider-TYPE_vVERSION
#   $DIR/terraformrc    CLI config: a filesystem_mirror for hashicorp/*, no network
#
# DIR is $TF_TOOLCHAIN_DIR, by default
# ${XDG_CACHE_HOME:-$HOME/.cache}/cdktf-neuronx-patterns/terraform.
# TF_TOOLCHAIN_TERRAFORM=build builds terraform even when PATH has a suitable
# one (the default, auto, uses it); every run says which it uses.
#
# Every source version is pinned by a wrapper Go module under tools/terraform/
# (go.mod + go.sum); tools/terraform/README.md says why each one exists and
# where a binary is a stand-in rather than the upstream release. Terraform is
# built with only the state backends of tools/terraform/terraform/backends.txt
# and the AWS provider with only the services of tools/terraform/aws/services.txt
# (tools/terraform/sourcefilter writes the filtered copy of their source). A
# binary whose stamp (label, source, wrapper files, filter, Go version,
# target, flags) is unchanged is reused, so a warm run takes about a second;
# Go's module and build caches are used as usual.
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

terraform_mode=${TF_TOOLCHAIN_TERRAFORM:-auto}
case "$terraform_mode" in
  auto | build) ;;
  *) die "TF_TOOLCHAIN_TERRAFORM must be auto (a suitable terraform on PATH, else a build) or build, got '$terraform_mode'" ;;
esac

DIR=${TF_TOOLCHAIN_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/cdktf-neuronx-patterns/terraform}
mkdir -p "$DIR/bin" "$DIR/libexec" "$DIR/mirror" "$DIR/src" "$DIR/stamps" "$DIR/tmp"
DIR=$(cd "$DIR" && pwd -P)
# One run at a time per toolchain directory: two at once (two test commands, or
# the tiers of two worktrees) would each rewrite the filtered source under the
# other's build. A second run waits here, then finds the first one's binaries.
if command -v flock >/dev/null 2>&1; then
  exec 9>"$DIR/.install.lock"
  if ! flock -n 9; then
    log "==> another install-terraform run holds $DIR/.install.lock; waiting for it"
    flock 9
  fi
fi
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

# One hash over every file of a directory (a wrapper module, the source
# filter), so that editing any of them (a version bump, a list, a stub)
# invalidates the binaries built from it.
wrapper_hash() {
  (cd "$1" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum) | sha256sum | cut -d' ' -f1
}

summary=()
total_start=$(date +%s)

# filtered_source WRAPPER MODULE MODE LIST: a build directory holding a copy
# of the wrapper module whose go.mod replaces MODULE with a copy of its source
# filtered by `sourcefilter MODE` to what LIST keeps. The source comes from
# the module cache through `go mod download`, which checks it against the
# wrapper's go.sum; every other module stays pinned by that go.sum.
filtered_source() {
  local wrapper=$1 module=$2 mode=$3 list=$4 work="$DIR/src/$3" src start
  start=$(date +%s)
  src=$(cd "$wrapper" && go mod download -json "$module" |
    sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p')
  [ -n "$src" ] && [ -d "$src" ] || die "go mod download $module gave no source directory"
  rm -rf "$work"
  mkdir -p "$work"
  cp -R "$wrapper/." "$work/"
  (cd "$TOOLS/sourcefilter" && go run . "$mode" -list "$list" -src "$src" -out "$work/upstream") >&3 ||
    die "sourcefilter $mode failed (see above)"
  (cd "$work" && go mod edit -replace="$module=./upstream")
  log "    source filtered in $(($(date +%s) - start)) s"
  build_dir=$work
}

# build NAME LABEL WRAPPER PACKAGE MODULE DEST LDFLAGS [FILTER]
#   NAME     what the log calls it
#   LABEL    the version Terraform sees (mirror directory, binary name)
#   WRAPPER  wrapper module directory under tools/terraform
#   PACKAGE  main package to build
#   MODULE   module whose required version is the source ("" for local code)
#   DEST     where the binary goes
#   LDFLAGS  extra -ldflags (version stamping)
#   FILTER   sourcefilter mode that reduces MODULE to WRAPPER's LIST file
#            (aws: services.txt; terraform: backends.txt), if any
build() {
  local name=$1 label=$2 wrapper="$TOOLS/$3" pkg=$4 module=$5 dest=$6 xflags=$7 filter=${8:-}
  local source stamp_file stamp tmp start secs size list=""
  [ -f "$wrapper/go.mod" ] || die "missing wrapper module $wrapper"
  if [ -n "$module" ]; then
    source="$module@$(required_version "$wrapper/go.mod" "$module")"
  else
    source="local code in tools/terraform/${3}"
  fi
  case "$filter" in
    aws) list="$wrapper/services.txt" ;;
    terraform) list="$wrapper/backends.txt" ;;
  esac
  stamp_file="$DIR/stamps/$3.stamp"
  stamp=$(printf '%s\n' \
    "name=$name" "label=$label" "source=$source" "package=$pkg" \
    "wrapper=$(wrapper_hash "$wrapper")" "go=$GOVERSION" "target=$TARGET" \
    "filter=${filter:+$filter $(wrapper_hash "$TOOLS/sourcefilter")}" \
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
  build_dir=$wrapper
  [ -z "$filter" ] || filtered_source "$wrapper" "$module" "$filter" "$list"
  # -buildvcs=false: the wrapper sits in this git repo, and VCS stamping
  # would make the binary depend on the work tree's state.
  if ! (cd "$build_dir" && go build -mod=readonly -buildvcs=false -trimpath \
    -ldflags="-s -w $xflags" -o "$tmp" "$pkg") >&3 2>&1; then
    die "building $name failed (see the go output above)"
  fi
  mv -f "$tmp" "$dest"
  current_tmp=
  [ -z "$filter" ] || rm -rf "$build_dir"
  printf '%s\n' "$stamp" >"$stamp_file"
  secs=$(($(date +%s) - start))
  size=$(du -m "$dest" | cut -f1)
  log "    built in ${secs} s, ${size} MiB: $dest"
  summary+=("$name $label built in ${secs} s")
}

# provider TYPE LABEL WRAPPER PACKAGE MODULE LDFLAGS [FILTER]: build into the
# mirror's unpacked layout, and drop any other version of TYPE left in the
# mirror so that Terraform can only pick LABEL.
provider() {
  local type=$1 label=$2
  local base="$DIR/mirror/registry.terraform.io/hashicorp/$type"
  build "hashicorp/$type" "$label" "$3" "$4" "$5" \
    "$base/$label/$TARGET/terraform-provider-${type}_v$label" "$6" "${7:-}"
  find "$base" -mindepth 1 -maxdepth 1 -type d ! -name "$label" -exec rm -rf {} +
}

# The oldest Terraform the configurations need: the S3 backend's lock file
# (use_lockfile) is generally available from 1.11.0 (experimental in 1.10;
# https://github.com/hashicorp/terraform/pull/36338), and nothing newer is
# used (tools/terraform/README.md lists what was checked).
TF_MIN_VERSION=1.11.0
TF_VERSION=1.13.5
AWS_VERSION=6.25.0
NULL_VERSION=3.2.4

# version_at_least A B: whether version A is B or newer.
version_at_least() { [ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n 1)" = "$2" ]; }

# path_terraform: "PATH VERSION" of the first terraform on PATH that is a 1.x
# release at TF_MIN_VERSION or newer for this target, logging why others are
# not used. The links and builds under $DIR are skipped.
path_terraform() {
  local candidate json version platform
  while IFS= read -r candidate; do
    case "$(readlink -f "$candidate")" in "$DIR"/*) continue ;; esac
    # CHECKPOINT_DISABLE: no version check call; the empty CLI config keeps a
    # missing TF_CLI_CONFIG_FILE from adding warnings.
    if ! json=$(CHECKPOINT_DISABLE=1 TF_CLI_CONFIG_FILE=/dev/null "$candidate" version -json 2>/dev/null); then
      log "    $candidate: 'terraform version -json' failed; not used"
      continue
    fi
    version=$(printf '%s\n' "$json" | sed -n 's/^[[:space:]]*"terraform_version": "\([^"]*\)".*/\1/p')
    platform=$(printf '%s\n' "$json" | sed -n 's/^[[:space:]]*"platform": "\([^"]*\)".*/\1/p')
    if ! [[ "$version" =~ ^1\.[0-9]+\.[0-9]+$ ]] || ! version_at_least "$version" "$TF_MIN_VERSION"; then
      log "    $candidate: Terraform ${version:-of unknown version}, not a 1.x release at $TF_MIN_VERSION or newer; not used"
    elif [ "$platform" != "$TARGET" ]; then
      log "    $candidate: Terraform $version for $platform, not $TARGET; not used"
    else
      printf '%s %s\n' "$candidate" "$version"
      return 0
    fi
  done < <(type -ap terraform)
  return 1
}

# check_left_out_backend TERRAFORM: a backend that backends.txt leaves out
# (gcs) must fail `terraform init` with the reason, not with a crash or an
# "unsupported argument" (tools/terraform/sourcefilter/terraform.go).
check_left_out_backend() {
  local dir out
  dir=$(mktemp -d "$DIR/tmp/check.XXXXXX")
  printf 'terraform {\n  backend "gcs" {\n    bucket = "state"\n  }\n}\n' >"$dir/main.tf"
  out=$(cd "$dir" && CHECKPOINT_DISABLE=1 TF_CLI_CONFIG_FILE=/dev/null "$1" init -input=false -no-color 2>&1) || true
  rm -rf "$dir"
  case "$out" in
    *'The "gcs" state backend is left out of this build of Terraform'*) ;;
    *) die "$1 does not refuse the left-out gcs backend with its reason; terraform init said: $out" ;;
  esac
}

# link_terraform TARGET: $DIR/bin/terraform becomes a link to TARGET.
link_terraform() { ln -sfn "$1" "$DIR/bin/terraform"; }

found=
if [ "$terraform_mode" = auto ] && found=$(path_terraform); then
  log "==> terraform: ${found% *} v${found#* } from PATH (the configurations need $TF_MIN_VERSION or newer; TF_TOOLCHAIN_TERRAFORM=build builds $TF_VERSION instead)"
  summary+=("terraform ${found#* } from PATH (${found% *})")
  link_terraform "${found% *}"
else
  if [ "$terraform_mode" = auto ]; then
    log "==> terraform: none on PATH is a 1.x release at $TF_MIN_VERSION or newer for $TARGET; building $TF_VERSION"
  fi
  build terraform "$TF_VERSION" terraform github.com/hashicorp/terraform \
    github.com/hashicorp/terraform "$DIR/libexec/terraform" \
    "-X github.com/hashicorp/terraform/version.dev=no" terraform
  check_left_out_backend "$DIR/libexec/terraform"
  link_terraform "$DIR/libexec/terraform"
fi

# Stand-in: the proxy serves no source of hashicorp/aws 6.25.0, so this is the
# newest source it does serve (upstream 6.48.0-dev), installed as 6.25.0; the
# binary itself reports its real version. See tools/terraform/README.md.
provider aws "$AWS_VERSION" aws github.com/hashicorp/terraform-provider-aws \
  github.com/hashicorp/terraform-provider-aws \
  "-X github.com/hashicorp/terraform-provider-aws/version.ProviderVersion=6.48.0-dev+5f2286d6d836" aws
log "    note: hashicorp/aws $AWS_VERSION is a stand-in built from upstream 6.48.0-dev (commit 5f2286d6d836), with the services of tools/terraform/aws/services.txt only"

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
