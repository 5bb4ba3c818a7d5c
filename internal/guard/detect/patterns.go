package detect

import "sort"

// Pattern describes one key Scan can report, for documentation and
// `--json` output.
type Pattern struct {
	Key         string `json:"key"`
	Category    string `json:"category"`
	Description string `json:"description"`
	Hardline    bool   `json:"hardline"`
}

// Categories of keys.
const (
	catHardline    = "hardline"
	catDelete      = "delete"
	catPermissions = "permissions"
	catDisk        = "disk"
	catDatabase    = "database"
	catSystem      = "system"
	catRemoteCode  = "remote_code"
	catNetwork     = "network"
	catDecodeExec  = "decode_exec"
	catSensitive   = "sensitive_write"
	catPackages    = "packages"
	catSelf        = "hermes"
	catContainers  = "containers"
	catGit         = "git"
	catPrivilege   = "privilege"
	catExec        = "exec"
	catOpaque      = "opaque"
)

// patterns is the table of every key. Keys are stable: they are written
// into users' command_allowlist, so never rename one.
var patterns = map[string]Pattern{
	// Hardline: blocked in every mode.
	"hardline.rm_root":             {Category: catHardline, Description: "recursive delete of the root filesystem"},
	"hardline.rm_system":           {Category: catHardline, Description: "recursive delete of a system directory"},
	"hardline.rm_home":             {Category: catHardline, Description: "recursive delete of the home directory"},
	"hardline.rm_no_preserve_root": {Category: catHardline, Description: "rm with --no-preserve-root"},
	"hardline.mkfs_device":         {Category: catHardline, Description: "create a filesystem on a block device"},
	"hardline.wipefs":              {Category: catHardline, Description: "wipe the signatures of a block device"},
	"hardline.sgdisk_zap":          {Category: catHardline, Description: "destroy the partition table of a block device"},
	"hardline.hdparm_erase":        {Category: catHardline, Description: "hdparm secure erase, TRIM of sector ranges or raw sector writes on a block device"},
	"hardline.blkdiscard":          {Category: catHardline, Description: "discard every block of a block device"},
	"hardline.shred_device":        {Category: catHardline, Description: "shred a block device"},
	"hardline.dd_device":           {Category: catHardline, Description: "dd writing onto a block device"},
	"hardline.write_device":        {Category: catHardline, Description: "redirect, tee or copy into a block device"},
	"hardline.fork_bomb":           {Category: catHardline, Description: "fork bomb: a function that spawns itself without bound"},
	"hardline.kill_all":            {Category: catHardline, Description: "kill every process (kill -1)"},
	"hardline.shutdown":            {Category: catHardline, Description: "shut down, reboot or halt the machine"},
	"hardline.init_halt":           {Category: catHardline, Description: "switch to runlevel 0 or 6 (halt or reboot)"},
	"hardline.systemctl_power":     {Category: catHardline, Description: "systemctl or loginctl poweroff, reboot, halt or kexec (also by starting or isolating poweroff.target, reboot.target, ...)"},
	"hardline.partition_device":    {Category: catHardline, Description: "edit the partition table of a block device (fdisk, sfdisk, parted, gdisk)"},
	"hardline.luks_format":         {Category: catHardline, Description: "cryptsetup luksFormat or erase: the volume's data becomes unreadable"},
	"hardline.nvme_format":         {Category: catHardline, Description: "nvme format, sanitize or namespace deletion erases the drive"},
	"hardline.zpool_destroy":       {Category: catHardline, Description: "zpool destroy or labelclear destroys a ZFS pool"},
	"hardline.volume_remove":       {Category: catHardline, Description: "lvremove, vgremove or pvremove deletes LVM volumes"},
	"hardline.sysrq":               {Category: catHardline, Description: "write to /proc/sysrq-trigger (immediate reboot, power-off or crash)"},
	"hardline.dbus_power":          {Category: catHardline, Description: "power off or reboot through D-Bus (busctl, dbus-send, gdbus: PowerOff, Reboot, ...)"},

	// Deletion.
	"rm.recursive":          {Category: catDelete, Description: "recursive delete"},
	"rm.system_path":        {Category: catDelete, Description: "delete a file under a system directory"},
	"delete.find_delete":    {Category: catDelete, Description: "find -delete removes every file it matches"},
	"delete.find_exec_rm":   {Category: catDelete, Description: "find -exec rm removes every file it matches"},
	"delete.xargs_rm":       {Category: catDelete, Description: "xargs rm deletes a computed list of files"},
	"perm.world_writable":   {Category: catPermissions, Description: "make files writable by every user (chmod 777/666/o+w)"},
	"perm.chown_root":       {Category: catPermissions, Description: "recursively give files to root (chown -R root)"},
	"perm.recursive_system": {Category: catPermissions, Description: "recursive chmod or chown of a system or home directory"},

	// Disks.
	"disk.mkfs": {Category: catDisk, Description: "create a filesystem"},
	"disk.dd":   {Category: catDisk, Description: "raw copy with dd"},
	"disk.wipe": {Category: catDisk, Description: "wipe a disk or its partition table"},

	// Databases.
	"sql.drop":       {Category: catDatabase, Description: "SQL DROP of a table, database or schema"},
	"sql.truncate":   {Category: catDatabase, Description: "SQL TRUNCATE"},
	"sql.delete_all": {Category: catDatabase, Description: "SQL DELETE without a WHERE clause"},

	// System services and processes.
	"service.stop":         {Category: catSystem, Description: "stop, restart, disable or mask a system service"},
	"process.pkill_force":  {Category: catSystem, Description: "pkill -9 kills matching processes without cleanup"},
	"process.killall":      {Category: catSystem, Description: "killall kills every process with a name"},
	"remote.pipe_shell":    {Category: catRemoteCode, Description: "download piped into a shell or interpreter"},
	"remote.proc_subst":    {Category: catRemoteCode, Description: "shell reading a download through process substitution"},
	"remote.cmd_subst":     {Category: catRemoteCode, Description: "eval or sh -c of a download"},
	"net.cloud_metadata":   {Category: catNetwork, Description: "access to a cloud instance metadata endpoint"},
	"decode.pipe_shell":    {Category: catDecodeExec, Description: "decoded data piped into a shell or interpreter"},
	"decode.subst":         {Category: catDecodeExec, Description: "eval, sh -c or source of decoded data"},
	"write.etc":            {Category: catSensitive, Description: "write into /etc"},
	"write.ssh":            {Category: catSensitive, Description: "write into an .ssh directory"},
	"write.hermes_secrets": {Category: catSensitive, Description: "write to the hermes home's .env, auth.json or config.yaml"},
	"write.shell_rc":       {Category: catSensitive, Description: "write to a shell startup file"},
	"write.credentials":    {Category: catSensitive, Description: "write to a credentials file (.netrc, .pgpass, .npmrc, .pypirc)"},
	"write.dotenv":         {Category: catSensitive, Description: "write to a .env file"},

	// Packages.
	"pkg.install":    {Category: catPackages, Description: "install or upgrade system packages"},
	"pkg.remove":     {Category: catPackages, Description: "remove system packages"},
	"pkg.npm_global": {Category: catPackages, Description: "global npm/yarn/pnpm package change"},
	"pkg.pip_system": {Category: catPackages, Description: "pip install into the system Python (sudo or --break-system-packages)"},
	"pkg.gem_system": {Category: catPackages, Description: "gem install under sudo"},

	// Hermes itself.
	"hermes.update": {Category: catSelf, Description: "hermes updating itself"},
	"hermes.stop":   {Category: catSelf, Description: "stopping the hermes gateway or service"},
	"hermes.kill":   {Category: catSelf, Description: "killing hermes processes"},

	// Containers.
	"container.destructive":  {Category: catContainers, Description: "stop, kill or remove containers, images or volumes"},
	"container.compose_down": {Category: catContainers, Description: "compose down removes a project's containers"},
	"container.remote_host":  {Category: catContainers, Description: "point docker at another daemon (-H / DOCKER_HOST)"},

	// Git.
	"git.reset_hard":    {Category: catGit, Description: "git reset --hard discards uncommitted work"},
	"git.push_force":    {Category: catGit, Description: "git push --force rewrites remote history"},
	"git.clean_force":   {Category: catGit, Description: "git clean -f deletes untracked files"},
	"git.branch_delete": {Category: catGit, Description: "git branch -D deletes an unmerged branch"},

	// Privilege.
	"priv.sudo_stdin":   {Category: catPrivilege, Description: "sudo -S reads a password from stdin"},
	"priv.sudo_shell":   {Category: catPrivilege, Description: "sudo -s / -i opens a root shell"},
	"priv.sudo_askpass": {Category: catPrivilege, Description: "sudo -A runs an askpass helper"},
	"priv.su_login":     {Category: catPrivilege, Description: "su - opens a login shell as another user"},

	// Execution.
	"exec.chmod_run": {Category: catExec, Description: "make a file executable and run it in the same command"},

	// Opaque: what runs is decided only at run time.
	"opaque.command":     {Category: catOpaque, Description: "the command name is computed at run time and cannot be checked"},
	"opaque.args":        {Category: catOpaque, Description: "arguments computed at run time decide what a destructive command does"},
	"opaque.eval":        {Category: catOpaque, Description: "eval, sh -c or source of text known only at run time"},
	"opaque.shell_input": {Category: catOpaque, Description: "a shell or interpreter runs data whose source is not a literal"},
}

func init() {
	for k, p := range patterns {
		p.Key = k
		p.Hardline = p.Category == catHardline
		patterns[k] = p
	}
}

// Patterns returns every key Scan can report, sorted by key.
func Patterns() []Pattern {
	out := make([]Pattern, 0, len(patterns))
	for _, p := range patterns {
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}
