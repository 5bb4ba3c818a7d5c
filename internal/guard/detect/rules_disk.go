package detect

import (
	"path"
	"regexp"
	"strings"
)

// Partition, volume and power rules of the hardline list: partition
// editors and volume tools on block devices, writes to
// /proc/sysrq-trigger, and power-off through systemd targets, loginctl
// and D-Bus.

func init() {
	addRule((*scanner).partitionRule, "fdisk", "sfdisk", "cfdisk", "gdisk", "cgdisk", "parted")
	addRule((*scanner).volumeRule, "cryptsetup", "nvme", "zpool", "lvremove", "vgremove", "pvremove")
	addRule((*scanner).hdparmRule, "hdparm")
	addRule((*scanner).loginctlRule, "loginctl")
	addRule((*scanner).dbusPowerRule, "busctl", "dbus-send", "gdbus", "qdbus", "qdbus6")
}

// blockDevice matches block device paths (and globs over them).
var blockDevice = regexp.MustCompile(`^/dev/(` +
	`(sd|hd|vd|xvd)[a-z*?\[]|nvme[0-9*?\[]|mmcblk[0-9*?\[]|md[0-9*?\[]|md/.|dm-[0-9*?\[]|` +
	`loop[0-9*?\[]|nbd[0-9*?\[]|zram[0-9*?\[]|rbd[0-9*?\[]|zd[0-9*?\[]|pmem[0-9*?\[]|bcache[0-9*?\[]|` +
	`drbd[0-9*?\[]|dasd[a-z*?\[]|mtdblock[0-9*?\[]|mtd[0-9*?\[]|sg[0-9*?\[]|ubd[a-z*?\[]|` +
	`root$|mapper/.|disk/by-[^/]+/.|block/.|zvol/.|vg[^/]*/.|disk[0-9]|rdisk[0-9])`)

// nonBlockDirs are the directories under /dev that hold no block devices;
// any other /dev/DIR/NAME may be a volume group's logical volume. /dev/tcp and
// /dev/udp are the shell's network redirections, not devices.
var nonBlockDirs = map[string]bool{
	"pts": true, "shm": true, "fd": true, "mqueue": true, "hugepages": true, "net": true, "input": true,
	"snd": true, "bus": true, "char": true, "cpu": true, "dri": true, "usb": true, "v4l": true, "serial": true,
	"vfio": true, "dma_heap": true, "tcp": true, "udp": true, "hugepages-1G": true, "lightnvm": true, "cpu_dma_latency": true,
}

// procRoot strips /proc/self/root, /proc/thread-self/root and
// /proc/PID/root prefixes: they name the root directory again.
var procRoot = regexp.MustCompile(`^/proc/(self|thread-self|[0-9]+)/root(/|$)`)

// kernelPath is p as the kernel resolves it, without symlinks.
func kernelPath(p string) string {
	c := path.Clean(p)
	for range 8 {
		loc := procRoot.FindStringIndex(c)
		if loc == nil {
			break
		}
		c = path.Clean("/" + c[loc[1]:])
	}
	return c
}

func isBlockDevice(p string) bool {
	if !strings.HasPrefix(p, "/") {
		return false
	}
	// The kernel reads //dev/sda, /dev/./sda and /sys/../dev/sda alike.
	c := kernelPath(p)
	if blockDevice.MatchString(c) {
		return true
	}
	rest, ok := strings.CutPrefix(c, "/dev/")
	if !ok {
		return false
	}
	dir, name, ok := strings.Cut(rest, "/")
	return ok && name != "" && !nonBlockDirs[dir] && !strings.ContainsAny(dir, "*?[")
}

// isSysrq reports /proc/sysrq-trigger, however written.
func isSysrq(p string) bool {
	return strings.HasPrefix(p, "/") && kernelPath(p) == "/proc/sysrq-trigger"
}

// partitionRule: partition editors on a block device, unless they only
// list or dump (fdisk -l, sfdisk -d, parted DEV print).
func (s *scanner) partitionRule(c *call) {
	if !anyBlockDevice(c.args) || hasFlag(c.args, "hvV", "--help", "--version") {
		return
	}
	switch c.name {
	case "fdisk":
		if hasFlag(c.args, "l", "--list", "--list-details") {
			return
		}
	case "sfdisk":
		if hasFlag(c.args, "ldJsgV", "--list", "--dump", "--json", "--show-size", "--show-geometry", "--verify", "--list-types", "--backup-pt-sectors") &&
			!hasFlag(c.args, "", "--delete", "--part-type", "--part-uuid", "--part-label", "--part-attrs", "--append", "--relocate") {
			return
		}
	case "parted":
		if readOnlyParted(c.args) {
			return
		}
	}
	s.add("hardline.partition_device", c.text)
}

// hdparmDestroying are the hdparm options that erase or overwrite a
// drive's data: ATA secure erase, TRIM of sector ranges, raw sector writes.
var hdparmDestroying = map[string]bool{
	"--security-erase": true, "--security-erase-enhanced": true, "--trim-sector-ranges": true,
	"--trim-sector-ranges-stdin": true, "--write-sector": true,
}

// hdparmRule: hdparm erasing, trimming or writing sectors of a block
// device (reading its settings, hdparm -I, stays allowed).
func (s *scanner) hdparmRule(c *call) {
	if !anyBlockDevice(c.args) {
		return
	}
	for _, a := range c.args {
		name, _, _ := strings.Cut(a.val, "=")
		if hdparmDestroying[name] {
			s.add("hardline.hdparm_erase", c.text)
			return
		}
	}
}

// readOnlyParted reports parted -l, or a script of only print/help/unit.
func readOnlyParted(args []arg) bool {
	if hasFlag(args, "l", "--list") {
		return true
	}
	ops := operands(args, "a")
	if len(ops) < 2 {
		return false // interactive: anything may follow on stdin
	}
	for _, op := range ops[1:] {
		switch strings.ToLower(op) {
		case "print", "p", "help", "unit", "s", "b", "kb", "mb", "gb", "tb", "%", "cyl", "chs", "compact", "free", "all", "list", "devices":
		default:
			return false
		}
	}
	return true
}

// volumeRule: cryptsetup luksFormat / erase, nvme format / sanitize,
// zpool destroy / labelclear, lvremove, vgremove and pvremove.
func (s *scanner) volumeRule(c *call) {
	if hasFlag(c.args, "", "--help", "--version") {
		return
	}
	ops := operands(c.args, "cdhilsSbtT")
	verb := ""
	if len(ops) > 0 {
		verb = strings.ToLower(ops[0])
	}
	switch c.name {
	case "cryptsetup":
		// Long options with values (--type luks2) may come before the
		// action: any operand naming a destroying action counts.
		for _, op := range ops {
			switch strings.ToLower(op) {
			case "luksformat", "erase", "lukserase", "reencrypt":
				s.add("hardline.luks_format", c.text)
			}
		}
	case "nvme":
		switch verb {
		case "format", "sanitize", "delete-ns", "detach-ns":
			s.add("hardline.nvme_format", c.text)
		}
	case "zpool":
		switch verb {
		case "destroy", "labelclear":
			s.add("hardline.zpool_destroy", c.text)
		}
	default:
		s.add("hardline.volume_remove", c.text)
	}
}

// powerTargets are the systemd units that power the machine off.
var powerTargets = map[string]bool{
	"poweroff": true, "reboot": true, "halt": true, "kexec": true, "soft-reboot": true, "ctrl-alt-del": true,
	"rescue": true, "emergency": true, "shutdown": true, "final": true,
	"systemd-poweroff": true, "systemd-reboot": true, "systemd-halt": true, "systemd-kexec": true, "systemd-soft-reboot": true,
}

// isPowerUnit reports a unit name such as poweroff.target or
// systemd-reboot.service.
func isPowerUnit(u string) bool {
	u = strings.ToLower(strings.TrimPrefix(u, "string:"))
	for _, suffix := range []string{".target", ".service"} {
		u = strings.TrimSuffix(u, suffix)
	}
	return powerTargets[u]
}

// loginctlRule: loginctl poweroff, reboot, halt and kexec.
func (s *scanner) loginctlRule(c *call) {
	i := systemctlOpts.firstOperand(c.args, nil)
	if i < len(c.args) {
		switch c.args[i].val {
		case "poweroff", "reboot", "halt", "kexec", "soft-reboot":
			s.add("hardline.systemctl_power", c.text)
		}
	}
}

// dbusPowerMethods are the login1 and systemd1 methods that power off.
var dbusPowerMethods = map[string]bool{
	"poweroff": true, "reboot": true, "halt": true, "kexec": true, "softreboot": true,
	"poweroffwithflags": true, "rebootwithflags": true, "haltwithflags": true, "kexecwithflags": true,
}

// dbusPowerRule: busctl, dbus-send, gdbus and qdbus calling PowerOff,
// Reboot, Halt or KExec, or starting a power target.
func (s *scanner) dbusPowerRule(c *call) {
	start := false
	for _, a := range c.args {
		v := a.val
		if _, after, ok := strings.Cut(v, "="); ok && strings.HasPrefix(v, "--") {
			v = after
		}
		m := strings.ToLower(v)
		if i := strings.LastIndexByte(m, '.'); i >= 0 {
			m = m[i+1:]
		}
		if dbusPowerMethods[m] {
			s.add("hardline.dbus_power", c.text)
			return
		}
		if m == "startunit" || m == "startunitreplace" || m == "restartunit" {
			start = true
		}
	}
	if start {
		for _, a := range c.args {
			if isPowerUnit(a.val) {
				s.add("hardline.dbus_power", c.text)
				return
			}
		}
	}
}
