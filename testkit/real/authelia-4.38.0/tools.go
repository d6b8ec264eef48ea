//go:build tools

// Records Authelia's command as this module's dependency; it is built by its import path.
package tools

import _ "github.com/authelia/authelia/v4/cmd/authelia"
