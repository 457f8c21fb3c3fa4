#!/usr/bin/env bash
# Builds the real Pulumi CLI from the Go module proxy into a cache outside the work tree, or finds it there:
#   pulumi                         the CLI and engine, v3.276.0 (cli/go.mod)
#   pulumi-language-nodejs         the Node.js language host, v3.68.0 (language-nodejs/go.mod: the newest the
#                                  proxy serves; the CLI's own release moved it into a module the proxy refuses)
#   pulumi-language-yaml           the YAML language host, pulumi-yaml v1.25.0 (language-yaml/go.mod)
#   pulumi-language-go             the Go language host, v3.66.0 (language-go/go.mod: the newest the proxy serves;
#                                  it runs Go programs, but predates SDK generation)
#   gen-go-sdk                     Pulumi's own Go SDK generator (pkg/v3 v3.276.0) on a schema file: what
#                                  `pulumi package gen-sdk --language go` runs through a newer Go language host
#   pulumi-resource-pulumi-nodejs  the dynamic-provider launcher, the shell script from sdk/v3 v3.276.0 (a CLI
#                                  built from source lacks it; the engine starts dynamic resources' providers by it)
# Not built, because the Go module proxy here does not serve them (403 at every version): the current Go language
# host (sdk/go/pulumi-language-go/v3) and @pulumi/command's provider (github.com/pulumi/pulumi-command).
# Prints what it built or found, how long it took and how big it is, then the folder on the last line.
#   --print-dir   print the folder if it is built, else exit 1 (builds nothing): how tests find the CLI.
# The cache key covers this script, the Go modules and the Go version, so a change of any builds anew.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cache_root="${VM_WITH_READY_SSH_CACHE:-$HOME/.cache/vm-with-ready-ssh}/pulumi-cli"
CLI_VERSION=v3.276.0
HOST_VERSION=v3.68.0
YAML_VERSION=v1.25.0
GO_HOST_VERSION=v3.66.0
BINARIES=(pulumi pulumi-language-nodejs pulumi-language-yaml pulumi-language-go gen-go-sdk
  pulumi-resource-pulumi-nodejs)

command -v go >/dev/null || {
  echo "pulumi-cli: no Go toolchain on PATH (Go 1.26 builds the Pulumi CLI)" >&2
  exit 1
}
key=$({
  cat "$here/build.sh" "$here"/{cli,language-nodejs,language-yaml,language-go}/go.{mod,sum} "$here"/cli/gen-go-sdk/*.go
  go env GOVERSION GOOS GOARCH
} | sha256sum | cut -c1-16)
dir="$cache_root/$key"
bin="$dir/bin"

built() {
  for name in "${BINARIES[@]}"; do [ -x "$bin/$name" ] || return 1; done
}
if [ "${1:-}" = "--print-dir" ]; then
  built || exit 1
  echo "$dir"
  exit 0
fi

size() { du -sh "$1" | cut -f1; }
if built; then
  echo "pulumi-cli: cached: $("$bin/pulumi" version), the Node.js ($HOST_VERSION), YAML ($YAML_VERSION) and Go ($GO_HOST_VERSION) language hosts ($(size "$bin"))"
  echo "$dir"
  exit 0
fi

started=$SECONDS
mkdir -p "$cache_root"
work=$(mktemp -d "$cache_root/building.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/bin"
export GOFLAGS="-buildvcs=false -mod=readonly" CGO_ENABLED=0
version_flag=github.com/pulumi/pulumi/sdk/v3/go/common/version.Version

echo "pulumi-cli: building pulumi $CLI_VERSION from the Go module proxy (about 8 minutes on 2 cores, all told)"
(cd "$here/cli" && go build -trimpath -ldflags "-s -w -X $version_flag=$CLI_VERSION" \
  -o "$work/bin/pulumi" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi)
echo "pulumi-cli: building pulumi-language-nodejs $HOST_VERSION"
(cd "$here/language-nodejs" && go build -trimpath -ldflags "-s -w -X $version_flag=$HOST_VERSION" \
  -o "$work/bin/pulumi-language-nodejs" github.com/pulumi/pulumi/sdk/v3/nodejs/cmd/pulumi-language-nodejs)
echo "pulumi-cli: building pulumi-language-yaml $YAML_VERSION"
(cd "$here/language-yaml" && go build -trimpath \
  -ldflags "-s -w -X github.com/pulumi/pulumi-yaml/pkg/version.Version=$YAML_VERSION" \
  -o "$work/bin/pulumi-language-yaml" github.com/pulumi/pulumi-yaml/cmd/pulumi-language-yaml)
echo "pulumi-cli: building pulumi-language-go $GO_HOST_VERSION and gen-go-sdk"
(cd "$here/language-go" && go build -trimpath -ldflags "-s -w -X $version_flag=$GO_HOST_VERSION" \
  -o "$work/bin/pulumi-language-go" github.com/pulumi/pulumi/sdk/v3/go/pulumi-language-go)
(cd "$here/cli" && go build -trimpath -ldflags "-s -w" -o "$work/bin/gen-go-sdk" ./gen-go-sdk)
sdk=$(cd "$here/cli" && go list -m -f '{{.Dir}}' github.com/pulumi/pulumi/sdk/v3)
install -m 0755 "$sdk/nodejs/dist/pulumi-resource-pulumi-nodejs" "$work/bin/"

rm -rf "$dir"
mv "$work" "$dir"
trap - EXIT
# Earlier builds (another key) are not used again: only this one is kept.
find "$cache_root" -mindepth 1 -maxdepth 1 ! -name "$key" -exec rm -rf {} +
echo "pulumi-cli: built $("$bin/pulumi" version), the Node.js ($HOST_VERSION), YAML ($YAML_VERSION) and Go ($GO_HOST_VERSION) language hosts, gen-go-sdk and the dynamic-provider launcher in $((SECONDS - started)) s ($(size "$bin"))"
echo "$dir"
