//go:build tools

// Records PocketBase's release command as this module's dependency; it is built by its import path.
package tools

import _ "github.com/pocketbase/pocketbase/examples/base"
