// Package modal is the Modal terminal backend (terminal.backend: modal): it
// runs every command of a session in one Modal sandbox, a cloud container
// reached through Modal's official Go SDK
// (github.com/modal-labs/libmodal/modal-go), never the modal CLI.
//
// The package owns that sandbox's life. New reads MODAL_TOKEN_ID and
// MODAL_TOKEN_SECRET from the hermes home's .env, else from the parent
// environment, looks up or creates the app terminal.modal.app ("hermes"),
// builds the image terminal.modal.image (a registry reference) and creates
// one sandbox with terminal.modal.cpus, memory_mb and timeout and the
// working directory /workspace, then waits until a first exec runs in it.
// Close terminates the sandbox. The host workspace is not copied or
// mounted: /workspace is the sandbox's own folder, and nothing of the hermes
// home (its .env above all) ever leaves the machine except the two Modal
// credentials, which go only into the SDK's request headers.
//
// Every command is an exec of `sh -c WRAPPER PIDFILE COMMAND`: the wrapper
// records its pid in /tmp and runs the command with stderr joined to
// stdout, so the two keep their order. A timeout, a cancelled ctx or Kill
// runs a second exec that kills the process group the pid file names and
// every process below the wrapper (found through /proc), so a command that
// started its own session dies too. The command's variables (the filtered
// parent environment, terminal.env_passthrough and Spec.Env; never a
// sandbox.Blocked name, never MODAL_*) travel in the request, never in the
// command text: this SDK version turns an exec's Env into an ephemeral
// Modal secret (SecretGetOrCreate with env_dict) whose id the exec request
// carries. The API endpoint is the SDK's: MODAL_SERVER_URL or the active
// profile of ~/.modal.toml, else https://api.modal.com.
//
// Tested here: the tests run a fake Modal control plane, a gRPC server on
// 127.0.0.1 built from the SDK's own generated modal_proto service, that
// records every request and runs each exec as a local process (under
// bubblewrap, with a folder bound at /workspace, for the shared
// sandboxtest.Contract). They drive the real backend through the real SDK
// end to end: the app, image, cpu, memory, timeout and workdir in the
// requests, the credentials in the headers and nowhere else, variables only
// in the secret request, exit codes, output, stdin, timeouts, cancellation,
// background processes and Close's terminate.
//
// Cost: the SDK brings gRPC and Modal's whole generated API; linking this
// package into cmd/hermes grew the static binary (CGO_ENABLED=0) from
// 61.2 MB to 73.6 MB when it was added.
//
// Not run here: a real Modal account and the network to reach it. Whether
// Modal's runtime makes an exec a process-group leader (the /proc walk
// covers it when it does not), how fast its exec output streams end after a
// kill, and image builds of real registry references were checked against
// the SDK's source only.
package modal
