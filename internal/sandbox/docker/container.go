package docker

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"slices"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"

	"github.com/hermes-go/hermes/internal/sandbox"
)

// Labels on every container this package creates.
const (
	LabelManaged    = "hermes.managed"    // "true"
	LabelSession    = "hermes.session"    // random id of the backend that created it
	LabelWorkspace  = "hermes.workspace"  // host path of the workspace
	LabelPersistent = "hermes.persistent" // "true" or "false"
	LabelConfig     = "hermes.config"     // hash of the container's settings, to notice a change
)

// Defaults for a zero config.Docker field.
const (
	defaultCPUs      = 1.0
	defaultMemoryMB  = 5120
	defaultPidsLimit = 256
)

// baseCaps are the capabilities a container keeps: enough for package
// managers and file ownership fixes as root, nothing more.
var baseCaps = []string{"DAC_OVERRIDE", "CHOWN", "FOWNER"}

// containerSpec is everything ensureContainer needs to make the container.
type containerSpec struct {
	name   string
	config *container.Config
	host   *container.HostConfig
	labels map[string]string
}

// buildSpec turns the options into the container's hardened settings.
// daemon is the daemon's address, whose socket must never be mounted.
func buildSpec(o sandbox.Options, ws, daemon, user string) (*containerSpec, error) {
	d := o.Terminal.Docker
	if err := checkMount(ws, o.HomeDir, daemon); err != nil {
		return nil, fmt.Errorf("docker backend: workspace: %w", err)
	}
	binds := []string{ws + ":" + Workdir}
	for _, v := range d.Volumes {
		bind, err := parseVolume(v, o.HomeDir, daemon)
		if err != nil {
			return nil, err
		}
		binds = append(binds, bind)
	}

	caps := slices.Clone(baseCaps)
	if !d.RunAsHostUser {
		caps = append(caps, "SETUID", "SETGID")
	}
	cpus := d.CPUs
	if cpus <= 0 {
		cpus = defaultCPUs
	}
	mem := int64(d.MemoryMB)
	if mem <= 0 {
		mem = defaultMemoryMB
	}
	pids := int64(d.PidsLimit)
	if pids <= 0 {
		pids = defaultPidsLimit
	}
	network := container.NetworkMode("none")
	if d.Network {
		network = "default"
	}
	useInit := true
	hc := &container.HostConfig{
		Binds:       binds,
		NetworkMode: network,
		CapDrop:     []string{"ALL"},
		CapAdd:      caps,
		SecurityOpt: []string{"no-new-privileges"},
		Tmpfs: map[string]string{
			"/tmp":     "rw,nosuid,nodev",
			"/var/tmp": "rw,noexec,nosuid,nodev",
			"/run":     "rw,noexec,nosuid,nodev",
		},
		Init: &useInit, // reaps the orphans of killed commands, which would else fill the pids limit
		Resources: container.Resources{
			NanoCPUs:  int64(math.Round(cpus * 1e9)),
			Memory:    mem << 20,
			PidsLimit: &pids,
		},
	}
	cfg := &container.Config{
		Image:      d.Image,
		User:       user,
		WorkingDir: Workdir,
		Entrypoint: []string{"tail"},
		Cmd:        []string{"-f", "/dev/null"},
		Labels:     map[string]string{},
	}
	persistent := "false"
	if d.Persistent {
		persistent = "true"
	}
	labels := map[string]string{
		LabelManaged:    "true",
		LabelSession:    randomHex(8),
		LabelWorkspace:  ws,
		LabelPersistent: persistent,
		LabelConfig:     configHash(cfg, hc),
	}
	cfg.Labels = labels
	name := "hermes-" + labels[LabelSession]
	if d.Persistent {
		sum := sha256.Sum256([]byte(ws))
		name = "hermes-ws-" + hex.EncodeToString(sum[:6])
	}
	return &containerSpec{name: name, config: cfg, host: hc, labels: labels}, nil
}

// configHash fingerprints the settings (labels aside), so a persistent
// container made with other settings is replaced, not reused.
func configHash(cfg *container.Config, hc *container.HostConfig) string {
	c := *cfg
	c.Labels = nil
	raw, _ := json.Marshal(struct {
		C container.Config
		H *container.HostConfig
	}{c, hc})
	sum := sha256.Sum256(raw)
	return hex.EncodeToString(sum[:8])
}

// ensureContainer creates and starts the container; a persistent one is
// found by its labels and reused when its settings still match.
func ensureContainer(ctx context.Context, cli *client.Client, s *containerSpec) (string, error) {
	if s.labels[LabelPersistent] == "true" {
		id, err := findPersistent(ctx, cli, s)
		if err != nil || id != "" {
			return id, err
		}
	}
	created, err := cli.ContainerCreate(ctx, client.ContainerCreateOptions{Name: s.name, Config: s.config, HostConfig: s.host})
	if err != nil && cerrdefs.IsConflict(err) && s.labels[LabelPersistent] == "true" {
		// Another session created it a moment ago.
		id, ferr := findPersistent(ctx, cli, s)
		if ferr == nil && id != "" {
			return id, nil
		}
	}
	if err != nil {
		return "", fmt.Errorf("docker backend: creating container: %w", err)
	}
	if _, err := cli.ContainerStart(ctx, created.ID, client.ContainerStartOptions{}); err != nil {
		_, _ = cli.ContainerRemove(context.WithoutCancel(ctx), created.ID, client.ContainerRemoveOptions{Force: true})
		return "", fmt.Errorf("docker backend: starting container: %w", err)
	}
	return created.ID, nil
}

// findPersistent returns the running persistent container for the
// workspace, starting it if it was stopped, or "" when there is none that
// matches (one with other settings is removed).
func findPersistent(ctx context.Context, cli *client.Client, s *containerSpec) (string, error) {
	f := make(client.Filters).
		Add("label", LabelManaged+"=true", LabelPersistent+"=true", LabelWorkspace+"="+s.labels[LabelWorkspace])
	list, err := cli.ContainerList(ctx, client.ContainerListOptions{All: true, Filters: f})
	if err != nil {
		return "", fmt.Errorf("docker backend: listing containers: %w", err)
	}
	for _, c := range list.Items {
		if c.Labels[LabelConfig] != s.labels[LabelConfig] {
			if _, err := cli.ContainerRemove(ctx, c.ID, client.ContainerRemoveOptions{Force: true}); err != nil && !cerrdefs.IsNotFound(err) {
				return "", fmt.Errorf("docker backend: replacing persistent container %.12s made with other settings: %w", c.ID, err)
			}
			continue
		}
		if c.State != container.StateRunning {
			if _, err := cli.ContainerStart(ctx, c.ID, client.ContainerStartOptions{}); err != nil {
				return "", fmt.Errorf("docker backend: restarting persistent container %.12s: %w", c.ID, err)
			}
		}
		return c.ID, nil
	}
	return "", nil
}
