//go:build tools

// Names the package build.sh builds, so that go.mod and go.sum list what it needs.
package tools

import _ "github.com/pulumi/pulumi/sdk/v3/go/pulumi-language-go"
