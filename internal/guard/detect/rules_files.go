package detect

import (
	"strconv"
	"strings"

	"mvdan.cc/sh/v3/syntax"
)

// chmodRule: world-writable modes, recursive chmod of critical
// directories, and chmod +x targets (remembered for exec.chmod_run).
func (s *scanner) chmodRule(c *call) {
	ops := operands(c.args, "")
	if len(ops) < 2 || hasFlag(c.args, "", "--reference") {
		return
	}
	mode, files := ops[0], ops[1:]
	if worldWritable(mode) {
		s.add("perm.world_writable", c.text)
	}
	if hasFlag(c.args, "R", "--recursive") {
		for _, f := range files {
			if s.critical(f) != "" {
				s.add("perm.recursive_system", c.text)
				break
			}
		}
	}
	if addsExec(mode) {
		for _, f := range files {
			s.execs[execKey(f)] = true
			if !strings.Contains(f, "/") {
				s.execs[execKey("./"+f)] = true
			}
		}
	}
}

// worldWritable reports a chmod mode that grants write to others.
func worldWritable(mode string) bool {
	if n, err := strconv.ParseUint(mode, 8, 32); err == nil {
		return n&0o002 != 0
	}
	for _, clause := range strings.Split(mode, ",") {
		who := strings.TrimLeft(clause, "ugoa")
		whoSet := clause[:len(clause)-len(who)]
		if who == "" || (who[0] != '+' && who[0] != '=') {
			continue
		}
		if strings.ContainsAny(whoSet, "oa") && strings.Contains(who, "w") {
			return true
		}
	}
	return false
}

// addsExec reports a chmod mode that makes a file executable.
func addsExec(mode string) bool {
	if n, err := strconv.ParseUint(mode, 8, 32); err == nil {
		return n&0o111 != 0
	}
	for _, clause := range strings.Split(mode, ",") {
		rest := strings.TrimLeft(clause, "ugoa")
		if rest != "" && (rest[0] == '+' || rest[0] == '=') && strings.Contains(rest, "x") {
			return true
		}
	}
	return false
}

// chownRule: chown -R root, and recursive chown of critical directories.
func (s *scanner) chownRule(c *call) {
	if !hasFlag(c.args, "R", "--recursive") {
		return
	}
	ops := operands(c.args, "")
	if len(ops) < 2 || hasFlag(c.args, "", "--reference") {
		return
	}
	owner, _, _ := strings.Cut(ops[0], ":")
	owner, _, _ = strings.Cut(owner, ".")
	if c.name == "chown" && (owner == "root" || owner == "0") {
		s.add("perm.chown_root", c.text)
	}
	for _, f := range ops[1:] {
		if s.critical(f) != "" {
			s.add("perm.recursive_system", c.text)
			break
		}
	}
}

func anyBlockDevice(args []arg) bool {
	for _, a := range args {
		v := a.val
		if _, after, ok := strings.Cut(v, "="); ok && strings.HasPrefix(v, "-") {
			v = after
		}
		if isBlockDevice(v) {
			return true
		}
	}
	return false
}

// mkfsRule: mkfs and friends; hardline on a block device.
func (s *scanner) mkfsRule(c *call) {
	if anyBlockDevice(c.args) {
		s.add("hardline.mkfs_device", c.text)
		return
	}
	if len(c.args) > 0 && !hasFlag(c.args, "", "--help", "--version") {
		s.add("disk.mkfs", c.text)
	}
}

// wipeRule: wipefs -a, sgdisk -Z/-o, blkdiscard, shred; hardline on a
// block device, dangerous on anything else.
func (s *scanner) wipeRule(c *call) {
	dev := anyBlockDevice(c.args)
	switch c.name {
	case "wipefs":
		if !hasFlag(c.args, "ao", "--all", "--offset") {
			return
		}
		if dev {
			s.add("hardline.wipefs", c.text)
			return
		}
	case "sgdisk":
		if dev && hasFlag(c.args, "dnlcStx", "--delete", "--new", "--load-backup", "--change-name", "--sort", "--typecode", "--attributes", "--mbrtogpt", "--largest-new") {
			s.add("hardline.partition_device", c.text)
		}
		if !hasFlag(c.args, "Zzo", "--zap-all", "--zap", "--clear") {
			return
		}
		if dev {
			s.add("hardline.sgdisk_zap", c.text)
			return
		}
	case "blkdiscard":
		if dev {
			s.add("hardline.blkdiscard", c.text)
			return
		}
		if len(operands(c.args, "olp")) == 0 {
			return
		}
	case "shred":
		if dev {
			s.add("hardline.shred_device", c.text)
		}
		return
	}
	s.add("disk.wipe", c.text)
}

// ddRule: dd onto a block device is hardline, any dd if= is dangerous.
func (s *scanner) ddRule(c *call) {
	for _, a := range c.args {
		if of, ok := strings.CutPrefix(a.val, "of="); ok && isBlockDevice(of) {
			s.add("hardline.dd_device", c.text)
		} else if ok {
			for _, k := range s.sensitiveWrite(of) {
				s.add(k, c.text)
			}
		}
	}
	// dd writing to its standard output (dd if=/dev/urandom count=1 | xxd)
	// changes nothing; a dd that writes a file or reads a disk is raw.
	for _, a := range c.args {
		of, isOf := strings.CutPrefix(a.val, "of=")
		in, isIf := strings.CutPrefix(a.val, "if=")
		if isOf && of != "/dev/null" && of != "/dev/stdout" || isIf && isBlockDevice(in) {
			s.add("disk.dd", c.text)
			return
		}
	}
	if len(c.redirOut) > 0 {
		s.add("disk.dd", c.text)
	}
}

// writeRule: tee, cp, mv, install, ln, rsync, sed -i, perl -i and
// truncate writing to block devices or sensitive files.
func (s *scanner) writeRule(c *call) {
	var targets []string
	switch c.name {
	case "tee":
		targets = operands(c.args, "")
	case "truncate":
		targets = operands(c.args, "sr")
	case "cp", "mv", "install", "ln", "rsync":
		short := map[string]string{"cp": "tS", "mv": "tS", "install": "tSgmo", "ln": "tS", "rsync": "efT"}[c.name]
		if t, ok := targetDir(c.args); ok {
			targets = []string{t}
		} else if ops := operands(c.args, short); len(ops) >= 2 {
			targets = ops[len(ops)-1:]
		}
	case "sed":
		if !inPlace(c.args, "sed") {
			return
		}
		ops := operands(c.args, "ef")
		if !hasFlag(c.args, "ef", "--expression", "--file") && len(ops) > 0 {
			ops = ops[1:] // the script
		}
		targets = ops
	case "perl":
		if !inPlace(c.args, "perl") {
			return
		}
		targets = operands(c.args, "eEIMmx")
		if !hasFlag(c.args, "eE") && len(targets) > 0 {
			targets = targets[1:] // the program file
		}
	}
	for _, t := range targets {
		for _, k := range s.sensitiveWrite(t) {
			s.add(k, c.text)
		}
	}
}

// targetDir returns the value of -t/--target-directory.
func targetDir(args []arg) (string, bool) {
	for i, a := range args {
		switch v := a.val; {
		case v == "-t" || v == "--target-directory":
			if i+1 < len(args) {
				return args[i+1].val, true
			}
		case strings.HasPrefix(v, "--target-directory="):
			return strings.TrimPrefix(v, "--target-directory="), true
		}
	}
	return "", false
}

// inPlace reports sed -i / perl -i (also in clusters such as -pi, -ni).
func inPlace(args []arg, prog string) bool {
	for _, a := range args {
		v := a.val
		if v == "--" {
			return false
		}
		if v == "--in-place" || strings.HasPrefix(v, "--in-place=") {
			return true
		}
		if len(v) < 2 || v[0] != '-' || v[1] == '-' {
			continue
		}
		stop := "ef" // sed: the rest of the cluster is a value
		if prog == "perl" {
			stop = "eEIMmx"
		}
		for j := 1; j < len(v); j++ {
			if v[j] == 'i' {
				return true
			}
			if strings.IndexByte(stop, v[j]) >= 0 {
				break
			}
		}
	}
	return false
}

// redirects checks the output redirections of a statement.
func (s *scanner) redirects(lv *level, st *syntax.Stmt, text string) {
	s.redirFamilies(lv, st, text)
	for _, r := range st.Redirs {
		switch r.Op {
		case syntax.RdrOut, syntax.AppOut, syntax.RdrClob, syntax.RdrAll, syntax.AppAll, syntax.RdrInOut, syntax.DplOut:
		default:
			continue
		}
		t := s.word(lv, r.Word)
		if r.Op == syntax.DplOut && (t.val == "-" || isDigits(t.val)) {
			continue
		}
		for _, k := range s.sensitiveWrite(t.val) {
			s.add(k, text)
		}
		if metadataRef(t.val) {
			s.add("net.cloud_metadata", text)
		}
	}
}

func isDigits(v string) bool {
	if v == "" {
		return false
	}
	for i := 0; i < len(v); i++ {
		if v[i] < '0' || v[i] > '9' {
			return false
		}
	}
	return true
}
