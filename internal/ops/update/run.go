package update

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/hermes-go/hermes/internal/fileutil"
)

// lockName is the lock in the profile folder that keeps two updates
// from running at once.
const lockName = "update.lock"

// Run carries out p (from Check): backup, fetch or download, test, swap,
// gateway restart, doctor. Before the swap a failure changes nothing but
// the checkout; after it, a failure restores the previous binary (and
// its gateway) and returns a *RolledBack.
func Run(ctx context.Context, o Options, p *Plan) (*Result, error) {
	lock, err := fileutil.LockFile(ctx, filepath.Join(o.Home, lockName), fileutil.LockOptions{})
	if err != nil {
		return nil, fmt.Errorf("another update runs for this home (%v): wait for it to finish", err)
	}
	defer lock.Unlock()
	res := &Result{From: p.Current, PreviousBinary: Prev(p.Binary)}
	if !o.NoBackup {
		o.logf("backing up the home with the current binary (hermes backup --keep %d)", KeepBackups)
		b, err := o.Steps.Backup(ctx, p.Binary, KeepBackups)
		if err != nil {
			return nil, fmt.Errorf("pre-update backup: %w (nothing was changed; hermes update --no-backup skips it)", err)
		}
		res.Backup = &b
		o.logf("backup: %s (%d files, %d bytes, sha256 %s)", b.Path, b.Files, b.Size, b.SHA256)
	}
	before, berr := o.Steps.Doctor(ctx, p.Binary)
	if berr != nil {
		o.logf("the current binary's doctor did not run (%v): every failure of the new one counts", berr)
	}
	next, err := TempBinary(p.Binary)
	if err != nil {
		return nil, err
	}
	defer os.Remove(next) // gone after a successful install
	if err := fetch(ctx, o, p, next); err != nil {
		return nil, err
	}
	to, err := testBinary(ctx, o, next, before, berr == nil)
	if err == nil && p.Method == MethodRelease && to.Version != p.Available {
		err = fmt.Errorf("the release's VERSION says %s but its binary is %s: a broken release", p.Available, to.Version)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: the installed binary was not changed", err)
	}
	res.To = to
	// Whether a gateway runs now, not when the plan was made.
	p.Gateway = GatewayRunning(o.Home)
	if p.Gateway {
		gw, _ := o.Steps.GatewayStatus(ctx, p.Binary)
		o.logf("gateway running (pid %d, version %s): it will be restarted on the new binary", gw.PID, orUnknown(gw.Version))
	}
	if err := Install(p.Binary, next); err != nil {
		return nil, err
	}
	o.logf("installed %s %s; the previous binary is kept as %s", p.Binary, to.Version, Prev(p.Binary))
	// From here an interrupt must not leave a half-done update: the
	// checks and a rollback run to the end (each step has its timeout).
	ctx = context.WithoutCancel(ctx)
	if err := afterInstall(ctx, o, p, to, res); err != nil {
		o.logf("FAILED after the swap: %v", err)
		return res, rollback(ctx, o, p, err)
	}
	if rep, err := o.Steps.Doctor(ctx, p.Binary); err == nil {
		res.DoctorFailures, res.DoctorWarnings = rep.Failures, rep.Warnings
		o.logf("doctor: %d failure(s), %d warning(s)%s", rep.Failures, rep.Warnings, failedNames(rep.Failed()))
	} else {
		o.logf("doctor after the update: %v", err)
	}
	return res, nil
}

// fetch writes the new binary to next: a fast-forward and build of the
// checkout, or a verified download.
func fetch(ctx context.Context, o Options, p *Plan, next string) error {
	if p.Method == MethodGit {
		co := Checkout{Dir: p.Source, Env: o.Env}
		if p.Target.Commit != p.Target.Head {
			o.logf("git: fast-forwarding %s from %s to %s (%s)", p.Source, short(p.Target.Head), short(p.Target.Commit), p.Target.Upstream)
			if err := co.FastForward(ctx, *p.Target); err != nil {
				return err
			}
		}
		o.logf("building %s with go build (CGO_ENABLED=0, -tags goolm, -trimpath)", short(p.Target.Commit))
		ver, err := co.Build(ctx, next)
		if err != nil {
			return err
		}
		o.logf("built %s", ver)
		return nil
	}
	o.logf("downloading %s from %s", AssetName(), p.URL)
	sum, err := Release{URL: p.URL, Client: o.Client}.Download(ctx, next)
	if err != nil {
		return err
	}
	o.logf("checksum verified: sha256 %s", sum)
	return nil
}

// testBinary runs the new binary's version and doctor. Doctor failures
// block only when the current binary did not have them too.
func testBinary(ctx context.Context, o Options, bin string, before DoctorReport, haveBefore bool) (BinaryInfo, error) {
	o.logf("testing the new binary: hermes version")
	info, err := o.Steps.Version(ctx, bin)
	if err != nil {
		return info, fmt.Errorf("the new binary does not start: %w", err)
	}
	o.logf("new binary: hermes %s", info.Version)
	o.logf("testing the new binary: hermes doctor --json")
	rep, err := o.Steps.Doctor(ctx, bin)
	if err != nil {
		return info, fmt.Errorf("the new binary's doctor failed: %w", err)
	}
	old := map[string]bool{}
	for _, c := range before.Failed() {
		old[c.Name] = true
	}
	var fresh, known []DoctorCheck
	for _, c := range rep.Failed() {
		if haveBefore && old[c.Name] {
			known = append(known, c)
		} else {
			fresh = append(fresh, c)
		}
	}
	if len(known) > 0 {
		o.logf("doctor: failing before the update too, not blocking:%s", failedNames(known))
	}
	if len(fresh) > 0 {
		return info, fmt.Errorf("the new binary's doctor reports new failure(s):%s", failedNames(fresh))
	}
	o.logf("doctor: no new failures (%d warning(s))", rep.Warnings)
	return info, nil
}

func failedNames(cs []DoctorCheck) string {
	var b strings.Builder
	for _, c := range cs {
		fmt.Fprintf(&b, "\n  ✗ %s: %s", c.Name, c.Message)
		if c.Fix != "" {
			fmt.Fprintf(&b, " (fix: %s)", c.Fix)
		}
	}
	return b.String()
}

// afterInstall checks the installed binary starts and, when a gateway
// ran, restarts it on the new binary and checks it is healthy on the new
// version.
func afterInstall(ctx context.Context, o Options, p *Plan, to BinaryInfo, res *Result) error {
	got, err := o.Steps.Version(ctx, p.Binary)
	if err != nil {
		return fmt.Errorf("the installed binary does not start: %w", err)
	}
	if got.Version != to.Version {
		return fmt.Errorf("the installed binary reports %s, not %s", got.Version, to.Version)
	}
	if !p.Gateway {
		return nil
	}
	o.logf("restarting the gateway on the new binary")
	st, err := restartGateway(ctx, o, p.Binary, to.Version)
	if err != nil {
		return err
	}
	res.GatewayPID = st.PID
	o.logf("gateway healthy on %s (pid %d, http://%s/healthz)", st.Version, st.PID, st.Health)
	return nil
}

// restartGateway restarts the gateway with bin and checks it runs,
// answers /healthz and reports version want.
func restartGateway(ctx context.Context, o Options, bin, want string) (GatewayStatus, error) {
	if err := o.Steps.GatewayRestart(ctx, bin); err != nil {
		return GatewayStatus{}, fmt.Errorf("gateway restart: %w", err)
	}
	st, err := o.Steps.GatewayStatus(ctx, bin)
	switch {
	case err != nil:
		return st, fmt.Errorf("gateway status: %w", err)
	case !st.Running:
		return st, errors.New("the gateway is not running after the restart")
	case st.Version != want:
		return st, fmt.Errorf("the gateway runs version %s, not %s", orUnknown(st.Version), want)
	}
	if err := Healthz(ctx, st.Health); err != nil {
		return st, fmt.Errorf("the gateway is not healthy: %w", err)
	}
	return st, nil
}

func orUnknown(v string) string {
	if v == "" {
		return "unknown"
	}
	return v
}

// rollback restores the previous binary after cause, and its gateway
// when one ran.
func rollback(ctx context.Context, o Options, p *Plan, cause error) error {
	o.logf("rolling back: restoring %s", Prev(p.Binary))
	if err := Restore(p.Binary); err != nil {
		return &RolledBack{Cause: cause, Rollback: err}
	}
	o.logf("restored %s %s", p.Binary, p.Current.Version)
	if !p.Gateway {
		return &RolledBack{Cause: cause}
	}
	o.logf("restarting the gateway on the previous binary")
	st, err := restartGateway(ctx, o, p.Binary, p.Current.Version)
	if err != nil {
		return &RolledBack{Cause: cause, Rollback: err}
	}
	o.logf("gateway healthy on %s again (pid %d)", st.Version, st.PID)
	return &RolledBack{Cause: cause}
}

// Rollback is `hermes update --rollback`: it exchanges the binary and
// <binary>.prev (so a second rollback undoes the first) and restarts a
// running gateway on the restored binary.
func Rollback(ctx context.Context, o Options) (BinaryInfo, error) {
	lock, err := fileutil.LockFile(ctx, filepath.Join(o.Home, lockName), fileutil.LockOptions{})
	if err != nil {
		return BinaryInfo{}, fmt.Errorf("another update runs for this home (%v): wait for it to finish", err)
	}
	defer lock.Unlock()
	prev, err := o.Steps.Version(ctx, Prev(o.Binary))
	if err != nil {
		return BinaryInfo{}, fmt.Errorf("the previous binary %s: %w: not restored", Prev(o.Binary), err)
	}
	if err := Swap(o.Binary); err != nil {
		return BinaryInfo{}, err
	}
	o.logf("restored %s %s; the replaced binary is now %s", o.Binary, prev.Version, Prev(o.Binary))
	if !GatewayRunning(o.Home) {
		return prev, nil
	}
	o.logf("restarting the gateway on the restored binary")
	st, err := restartGateway(ctx, o, o.Binary, prev.Version)
	if err != nil {
		return prev, err
	}
	o.logf("gateway healthy on %s (pid %d)", st.Version, st.PID)
	return prev, nil
}
