package gateway

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/hermes-go/hermes/internal/gateway/pairing"
	"github.com/hermes-go/hermes/internal/gateway/platform"
)

// Auth is layer 1 of the defence: who may talk to the agent. It checks,
// in this order, and allows at the first that matches:
//
//  1. <PLATFORM>_ALLOW_ALL_USERS=true
//  2. a group chat listed in <PLATFORM>_ALLOWED_GROUPS (comma list of chat ids)
//  3. a user approved in the pairing store
//  4. a user listed in <PLATFORM>_ALLOWED_USERS or GATEWAY_ALLOWED_USERS
//  5. GATEWAY_ALLOW_ALL_USERS=true
//
// Anything else is denied. A denied direct message gets a pairing code
// (unauthorized_dm_behavior pair), or nothing (ignore); when an allowlist
// exists for the platform and the platform does not say pair, unknown
// users are ignored. Variables are read from the profile's .env, then the
// environment, at each message, so edits apply without a restart.
type Auth struct {
	Env     func(string) (string, bool)
	Pairing *pairing.Store
	// DMBehavior is the platform's unauthorized_dm_behavior ("" when not
	// set) and the gateway's.
	DMBehavior func(platform string) (own, gateway string)
	Logf       func(string, ...any)
}

func (a *Auth) env(name string) string {
	if a.Env == nil {
		return ""
	}
	v, _ := a.Env(name)
	return strings.TrimSpace(v)
}

func isTrue(v string) bool {
	switch strings.ToLower(v) {
	case "1", "true", "yes", "on":
		return true
	}
	return false
}

func inList(list, id string) bool {
	if id == "" {
		return false
	}
	for _, x := range strings.Split(list, ",") {
		if strings.TrimSpace(x) == id {
			return true
		}
	}
	return false
}

// envPrefix is the variable prefix of a platform: api_server → API_SERVER.
func envPrefix(p string) string { return strings.ToUpper(strings.ReplaceAll(p, "-", "_")) }

// Allowed reports whether m's sender passes the checks, and by which.
func (a *Auth) Allowed(m platform.Message) (bool, string) {
	p := envPrefix(m.Platform)
	if isTrue(a.env(p + "_ALLOW_ALL_USERS")) {
		return true, p + "_ALLOW_ALL_USERS"
	}
	if m.ChatType != platform.DM && inList(a.env(p+"_ALLOWED_GROUPS"), m.ChatID) {
		return true, p + "_ALLOWED_GROUPS"
	}
	if a.Pairing != nil && m.UserID != "" {
		ok, err := a.Pairing.IsApproved(m.Platform, m.UserID)
		if err != nil && a.Logf != nil {
			a.Logf("pairing store: %v", err)
		}
		if ok {
			return true, "pairing"
		}
	}
	if inList(a.env(p+"_ALLOWED_USERS"), m.UserID) {
		return true, p + "_ALLOWED_USERS"
	}
	if inList(a.env("GATEWAY_ALLOWED_USERS"), m.UserID) {
		return true, "GATEWAY_ALLOWED_USERS"
	}
	if isTrue(a.env("GATEWAY_ALLOW_ALL_USERS")) {
		return true, "GATEWAY_ALLOW_ALL_USERS"
	}
	return false, ""
}

// dmBehavior is what an unknown user's direct message gets: pair or
// ignore.
func (a *Auth) dmBehavior(platformName string) string {
	own, gw := "", "pair"
	if a.DMBehavior != nil {
		own, gw = a.DMBehavior(platformName)
	}
	if own != "" {
		return own
	}
	p := envPrefix(platformName)
	if a.env(p+"_ALLOWED_USERS") != "" || a.env("GATEWAY_ALLOWED_USERS") != "" {
		return "ignore"
	}
	if gw == "" {
		return "pair"
	}
	return gw
}

// Decide is the core's Authorizer.
func (a *Auth) Decide(_ context.Context, m platform.Message) Decision {
	if ok, _ := a.Allowed(m); ok {
		return Decision{Allow: true}
	}
	if m.ChatType != platform.DM || a.Pairing == nil || a.dmBehavior(m.Platform) != "pair" {
		return Decision{}
	}
	code, err := a.Pairing.Request(m.Platform, m.UserID, m.UserName)
	switch {
	case err == nil:
		// the code goes to the user only; the log never sees it
		if a.Logf != nil {
			a.Logf("pairing requested on %s; approve with: hermes pairing approve %s <code>", m.Platform, m.Platform)
		}
		return Decision{Reply: fmt.Sprintf("I don't know you yet. Your pairing code is %s (valid 1 hour). "+
			"Ask the owner to run: hermes pairing approve %s %s", code, m.Platform, code)}
	case errors.Is(err, pairing.ErrTooSoon):
		return Decision{Reply: "A pairing code was sent to you less than 10 minutes ago; ask the owner to approve it."}
	case errors.Is(err, pairing.ErrTooManyPending):
		return Decision{Reply: "Too many pairing requests are pending; try again later."}
	default:
		if a.Logf != nil {
			a.Logf("pairing on %s: %v", m.Platform, err)
		}
		return Decision{}
	}
}
