// Package web owns the tools of the "web" toolset: web_extract, which
// fetches one public page and turns it into readable markdown, and
// web_search, which asks a search API chosen by the key the user has set
// (Brave, Tavily or a SearXNG instance).
//
// web_extract is a server-side request the model controls, so it refuses
// every address that is not public (loopback, private, link-local, CGNAT,
// cloud metadata, reserved ranges) at three points: the host is resolved
// and every address checked before the request, each redirect is checked
// again, and the dialer checks the address it actually connects to, so a
// DNS answer that changes between check and connect (rebinding) is caught
// too. Proxies from the environment are not used: they would hide the
// target address.
package web

import "github.com/hermes-go/hermes/internal/tools"

// Toolset is the toolset name config enables these tools by.
const Toolset = "web"

func init() {
	tools.Default.Register(Extract{})
	tools.Default.Register(Search{})
}
