package docker

import (
	"context"
	"errors"
	"fmt"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/client"
)

// Reap removes the throwaway containers this package made (label
// hermes.managed=true, hermes.persistent not "true") that were created
// more than olderThan ago: those a crashed or killed session left. host is
// the daemon as in terminal.docker.host ("" is DOCKER_HOST). It returns
// how many it removed.
func Reap(ctx context.Context, host string, olderThan time.Duration) (int, error) {
	cli, _, err := connect(ctx, host)
	if err != nil {
		return 0, err
	}
	defer func() { _ = cli.Close() }()
	list, err := cli.ContainerList(ctx, client.ContainerListOptions{
		All:     true,
		Filters: make(client.Filters).Add("label", LabelManaged+"=true"),
	})
	if err != nil {
		return 0, fmt.Errorf("docker backend: listing containers to reap: %w", err)
	}
	cutoff := time.Now().Add(-olderThan)
	n := 0
	var errs []error
	for _, c := range list.Items {
		if c.Labels[LabelPersistent] == "true" || !time.Unix(c.Created, 0).Before(cutoff) {
			continue
		}
		_, err := cli.ContainerRemove(ctx, c.ID, client.ContainerRemoveOptions{Force: true, RemoveVolumes: true})
		switch {
		case err == nil:
			n++
		case cerrdefs.IsNotFound(err) || cerrdefs.IsConflict(err):
			// Gone already, or being removed by its own session.
		default:
			errs = append(errs, fmt.Errorf("docker backend: reaping container %.12s: %w", c.ID, err))
		}
	}
	return n, errors.Join(errs...)
}
