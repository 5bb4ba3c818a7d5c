// Package webhooks serves inbound webhooks at /webhooks/ROUTE on the
// gateway's listener, one route per platforms.webhooks.routes entry.
//
// A request is checked in this order: POST only (405), a known route
// (404), a body of at most 1 MiB (413), the route's signature or token
// (401; nothing runs), a replayed delivery (200 with a note; nothing
// runs), 30 accepted deliveries a minute per route (429 with
// Retry-After). An accepted delivery is answered 202 with a run id; the
// turn then runs through Deps.Agent with the route's prompt template
// rendered from the payload, and its answer goes to the route's deliver
// targets.
//
// Schemes: under `auth: hmac` the headers pick Standard Webhooks
// (webhook-id, webhook-timestamp, webhook-signature), GitHub
// (X-Hub-Signature-256) or hermes' own (X-Hermes-Timestamp and
// X-Hermes-Signature-256 over "timestamp.body"); under `auth: token`,
// GitLab (X-Gitlab-Token) or Authorization: Bearer. Every comparison is
// constant-time. Delivery ids are remembered, hashed, in StateDir/seen.log
// so a restart does not forget them. docs/webhooks.md is the user's page.
package webhooks
