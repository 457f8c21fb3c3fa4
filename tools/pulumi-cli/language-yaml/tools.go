//go:build tools

// Names the package build.sh builds, so that go.mod and go.sum list what it needs.
package tools

import _ "github.com/pulumi/pulumi-yaml/cmd/pulumi-language-yaml"
