// Package config owns config.yaml and .env: the typed schema with its
// documented defaults, strict loading that reports every problem with its
// file, line and column, comment-preserving edits (`hermes config set`), the
// JSON Schema export for editors, and the .env parser for secrets.
//
// The schema is the Go types in this file. Struct tags carry everything the
// loader, the editor and the JSON Schema need:
//
//	yaml:"name"      the key in config.yaml
//	desc:"..."       one line for `config schema` and the docs
//	enum:"a,b,c"     the allowed values of a string
//	min:"N" max:"N"  the inclusive range of a number
//	format:"..."     url, envname, cwd, timezone, hostport, keyname, glob
//
// Defaults live in Default(); the loader starts from them, so a key the user
// leaves out keeps its documented value.
package config

// Config is the whole of config.yaml.
type Config struct {
	Model             Model                `yaml:"model" desc:"the primary model and its provider"`
	Providers         map[string]Provider  `yaml:"providers" desc:"named custom endpoints, usable as model.provider or in fallback_providers" format:"keyname"`
	FallbackProviders []Endpoint           `yaml:"fallback_providers" desc:"ordered providers tried when the primary fails; the next turn starts on the primary again"`
	Auxiliary         Auxiliary            `yaml:"auxiliary" desc:"provider and model of each side task; unset means the main provider, then the fallback chain"`
	Agent             Agent                `yaml:"agent" desc:"the conversation loop"`
	Terminal          Terminal             `yaml:"terminal" desc:"where shell commands run"`
	Approvals         Approvals            `yaml:"approvals" desc:"dangerous-command approval"`
	Security          Security             `yaml:"security" desc:"secret redaction and context scanning"`
	Compression       Compression          `yaml:"compression" desc:"context compression when the prompt grows"`
	Memory            Memory               `yaml:"memory" desc:"MEMORY.md and USER.md"`
	Skills            Skills               `yaml:"skills" desc:"SKILL.md trees"`
	Delegation        Delegation           `yaml:"delegation" desc:"child agents started by delegate_task"`
	Display           Display              `yaml:"display" desc:"how the terminal frontend shows things"`
	Platforms         Platforms            `yaml:"platforms" desc:"messaging platforms the gateway connects to; tokens live in .env"`
	Gateway           Gateway              `yaml:"gateway" desc:"the messaging gateway process"`
	Cron              Cron                 `yaml:"cron" desc:"the job scheduler"`
	MCPServers        map[string]MCPServer `yaml:"mcp_servers" desc:"MCP servers whose tools become the toolset mcp-<name>" format:"keyname"`
	Sessions          Sessions             `yaml:"sessions" desc:"the session store"`
	Update            Update               `yaml:"update" desc:"where hermes update gets new versions"`
	CommandAllowlist  []string             `yaml:"command_allowlist" desc:"commands (exact text or glob) approved permanently; never applies to compound commands"`
	Logging           Logging              `yaml:"logging" desc:"the log files under logs/ that hermes logs reads"`
}

// Model selects the primary provider and model.
type Model struct {
	Provider      string   `yaml:"provider" desc:"openrouter, openai, anthropic, ollama, custom, or the name of a providers entry"`
	Default       string   `yaml:"default" desc:"the model name sent to the provider"`
	BaseURL       string   `yaml:"base_url" desc:"the endpoint; required for custom, optional override for the others" format:"url"`
	APIMode       string   `yaml:"api_mode" desc:"wire format of a custom endpoint" enum:"chat_completions,anthropic_messages"`
	KeyEnv        string   `yaml:"key_env" desc:"the variable (in .env or the environment) that holds the key" format:"envname"`
	Streaming     bool     `yaml:"streaming" desc:"stream responses when the endpoint supports it"`
	AutoFallback  bool     `yaml:"auto_fallback" desc:"when the primary fails, continue the turn on fallback_providers (hermes fallback auto on|off)"`
	ContextLength int      `yaml:"context_length" desc:"context window in tokens; 0 looks it up or uses 128000" min:"0" max:"10000000"`
	MaxTokens     int      `yaml:"max_tokens" desc:"cap on tokens generated per response; 0 lets the provider decide" min:"0" max:"1000000"`
	Temperature   *float64 `yaml:"temperature" desc:"sampling temperature; unset lets the provider decide" min:"0" max:"2"`
	Timeout       Duration `yaml:"timeout" desc:"time allowed for one model request" min:"1s" max:"1h"`
}

// Provider is a named endpoint under providers:.
type Provider struct {
	BaseURL string `yaml:"base_url" desc:"the endpoint" format:"url"`
	APIMode string `yaml:"api_mode" desc:"wire format" enum:"chat_completions,anthropic_messages"`
	KeyEnv  string `yaml:"key_env" desc:"the variable that holds the key" format:"envname"`
	Model   string `yaml:"model" desc:"default model when this provider is used without one"`
}

// Endpoint is one provider and model: a fallback entry or an auxiliary task.
type Endpoint struct {
	Provider string   `yaml:"provider" desc:"openrouter, openai, anthropic, ollama, custom, or a providers entry"`
	Model    string   `yaml:"model" desc:"the model name"`
	BaseURL  string   `yaml:"base_url" desc:"the endpoint (custom providers)" format:"url"`
	APIMode  string   `yaml:"api_mode" desc:"wire format of a custom endpoint" enum:"chat_completions,anthropic_messages"`
	KeyEnv   string   `yaml:"key_env" desc:"the variable that holds the key" format:"envname"`
	Timeout  Duration `yaml:"timeout" desc:"time allowed for one request; 0 uses model.timeout" min:"0s" max:"1h"`
}

// Auxiliary holds the endpoint of each side task.
type Auxiliary struct {
	Compression   Endpoint `yaml:"compression" desc:"summarises the middle of a long conversation"`
	Vision        Endpoint `yaml:"vision" desc:"describes images"`
	WebExtract    Endpoint `yaml:"web_extract" desc:"condenses fetched pages over 8000 characters; unset returns pages whole"`
	Title         Endpoint `yaml:"title" desc:"names sessions"`
	SessionSearch Endpoint `yaml:"session_search" desc:"summarises session search hits above them; unset returns the hits alone"`
	Approval      Endpoint `yaml:"approval" desc:"answers smart-mode approvals"`
}

// Agent configures the conversation loop.
type Agent struct {
	MaxTurns          int      `yaml:"max_turns" desc:"iteration budget of one turn" min:"1" max:"10000"`
	APIMaxRetries     int      `yaml:"api_max_retries" desc:"retries of a failed model request before falling back" min:"0" max:"20"`
	ParallelToolCalls bool     `yaml:"parallel_tool_calls" desc:"run independent tool calls at once"`
	MaxParallelTools  int      `yaml:"max_parallel_tools" desc:"tool calls running at once" min:"1" max:"64"`
	LoopGuard         int      `yaml:"loop_guard" desc:"identical failing tool calls in a row that stop the turn; 0 turns the guard off" min:"0" max:"100"`
	ToolOutputLimit   int      `yaml:"tool_output_limit" desc:"characters of one tool result the model sees" min:"1000" max:"10000000"`
	Toolsets          Toolsets `yaml:"toolsets" desc:"toolsets enabled per frontend"`
}

// Toolsets lists the toolsets of each frontend.
type Toolsets struct {
	CLI       []string `yaml:"cli" desc:"interactive and one-shot chat"`
	Gateway   []string `yaml:"gateway" desc:"messaging platforms"`
	Cron      []string `yaml:"cron" desc:"scheduled jobs"`
	APIServer []string `yaml:"api_server" desc:"the OpenAI-compatible API server"`
	MCPServe  []string `yaml:"mcp_serve" desc:"hermes mcp serve"`
}

// Terminal configures the shell tool's backend.
type Terminal struct {
	Backend         string      `yaml:"backend" desc:"where commands run; auto is bubblewrap when it works on this machine, else local with a warning" enum:"auto,local,bubblewrap,docker,ssh,singularity,modal"`
	Cwd             string      `yaml:"cwd" desc:"starting directory; empty is the directory hermes was started in" format:"cwd"`
	Timeout         Duration    `yaml:"timeout" desc:"time a foreground command may run" min:"1s" max:"24h"`
	MaxOutput       int         `yaml:"max_output" desc:"bytes of output kept per command" min:"1024" max:"104857600"`
	PersistentShell bool        `yaml:"persistent_shell" desc:"keep one shell per session so cd and exports carry over"`
	EnvPassthrough  []string    `yaml:"env_passthrough" desc:"extra variables passed to commands; never re-allows a blocked credential" format:"envname"`
	Network         bool        `yaml:"network" desc:"the bubblewrap sandbox (auto or bubblewrap) shares the host network; false leaves only its own loopback"`
	Expose          []string    `yaml:"expose" desc:"credential paths the bubblewrap sandbox shows read-only instead of hiding" enum:"~/.ssh,~/.aws,~/.gnupg,~/.config/gcloud,~/.kube,~/.netrc,~/.docker/config.json"`
	Docker          Docker      `yaml:"docker" desc:"the docker backend"`
	Bubblewrap      Bubblewrap  `yaml:"bubblewrap" desc:"the bubblewrap backend"`
	SSH             SSH         `yaml:"ssh" desc:"the ssh backend"`
	Singularity     Singularity `yaml:"singularity" desc:"the singularity/apptainer backend"`
	Modal           Modal       `yaml:"modal" desc:"the modal backend"`
}

// Docker configures the docker backend.
type Docker struct {
	Image         string   `yaml:"image" desc:"the container image"`
	Host          string   `yaml:"host" desc:"the daemon (unix:///path or tcp://127.0.0.1:port); empty uses DOCKER_HOST"`
	Network       bool     `yaml:"network" desc:"give the container a network; false runs it with --network none"`
	CPUs          float64  `yaml:"cpus" desc:"CPU limit" min:"0.1" max:"256"`
	MemoryMB      int      `yaml:"memory_mb" desc:"memory limit in MB" min:"64" max:"1048576"`
	PidsLimit     int      `yaml:"pids_limit" desc:"process limit" min:"16" max:"65536"`
	Persistent    bool     `yaml:"persistent" desc:"keep the container (and its workspace) between sessions"`
	RunAsHostUser bool     `yaml:"run_as_host_user" desc:"run as the calling user's uid:gid instead of root"`
	Volumes       []string `yaml:"volumes" desc:"extra host:container[:ro] mounts"`
}

// Bubblewrap configures the bubblewrap backend.
type Bubblewrap struct {
	ROBinds []string `yaml:"ro_binds" desc:"extra host paths visible read-only"`
	RWBinds []string `yaml:"rw_binds" desc:"extra host paths visible read-write"`
}

// SSH configures the ssh backend.
type SSH struct {
	Host           string `yaml:"host" desc:"the remote host"`
	Port           int    `yaml:"port" desc:"the remote port" min:"1" max:"65535"`
	User           string `yaml:"user" desc:"the remote user; empty is the local user name"`
	KeyFile        string `yaml:"key_file" desc:"private key; empty uses the ssh agent and default keys"`
	KnownHostsFile string `yaml:"known_hosts_file" desc:"known_hosts to verify the host against; empty is ~/.ssh/known_hosts"`
	RemoteDir      string `yaml:"remote_dir" desc:"working directory on the remote host"`
}

// Singularity configures the singularity/apptainer backend.
type Singularity struct {
	Image      string `yaml:"image" desc:"a SIF file or docker:// reference"`
	Executable string `yaml:"executable" desc:"apptainer or singularity; empty finds whichever is installed"`
	Network    bool   `yaml:"network" desc:"share the host network; false adds --net --network none"`
}

// Modal configures the modal backend.
type Modal struct {
	Image    string   `yaml:"image" desc:"the image the sandbox starts from"`
	App      string   `yaml:"app" desc:"the Modal app the sandboxes belong to"`
	CPUs     float64  `yaml:"cpus" desc:"CPU request" min:"0.125" max:"64"`
	MemoryMB int      `yaml:"memory_mb" desc:"memory request in MB" min:"128" max:"262144"`
	Timeout  Duration `yaml:"timeout" desc:"lifetime of a sandbox" min:"1m" max:"24h"`
	Network  bool     `yaml:"network" desc:"let the sandbox reach the network; false blocks all network access"`
}

// Approvals configures dangerous-command approval.
type Approvals struct {
	Mode          string   `yaml:"mode" desc:"manual asks for every dangerous command; smart lets an auxiliary model decide the clear cases; off approves all but the hardline blocklist" enum:"manual,smart,off"`
	Timeout       Duration `yaml:"timeout" desc:"an approval not answered in this time is a deny" min:"1s" max:"24h"`
	Unattended    string   `yaml:"unattended" desc:"what dangerous commands get where nobody can answer (cron, -q, API server, webhooks)" enum:"deny,smart,allow"`
	Deny          []string `yaml:"deny" desc:"globs of commands always refused, matched case-insensitively" format:"glob"`
	SmartBreaker  int      `yaml:"smart_breaker" desc:"smart-mode denials in a row after which every command asks a human" min:"1" max:"100"`
	ContainerSkip bool     `yaml:"container_skip" desc:"skip detection in containers without host mounts (hardline and deny still apply)"`
}

// Security configures redaction and scanning.
type Security struct {
	RedactSecrets     bool     `yaml:"redact_secrets" desc:"mask secrets in logs, tool output, the session DB and deliveries; read once at start"`
	RedactPatterns    []string `yaml:"redact_patterns" desc:"extra regular expressions to mask; they can only add"`
	ScanContextFiles  bool     `yaml:"scan_context_files" desc:"block context files that look like prompt injection"`
	ContextFileMaxKiB int      `yaml:"context_file_max_kib" desc:"largest project context file loaded, in KiB" min:"1" max:"4096"`
}

// Compression configures context compression.
type Compression struct {
	Enabled   bool    `yaml:"enabled" desc:"summarise the middle of the conversation when it grows"`
	Threshold float64 `yaml:"threshold" desc:"fraction of the context window that triggers compression" min:"0.1" max:"0.95"`
	KeepFirst int     `yaml:"keep_first" desc:"messages kept verbatim at the start" min:"1" max:"100"`
	KeepLast  int     `yaml:"keep_last" desc:"messages kept verbatim at the end" min:"2" max:"500"`
}

// Memory configures the memory files.
type Memory struct {
	Enabled         bool `yaml:"enabled" desc:"inject MEMORY.md and USER.md and offer the memory tool"`
	MemoryCharLimit int  `yaml:"memory_char_limit" desc:"characters of MEMORY.md before the oldest entries are archived" min:"100" max:"100000"`
	UserCharLimit   int  `yaml:"user_char_limit" desc:"characters of USER.md before the oldest entries are archived" min:"100" max:"100000"`
	FlushOnCompress bool `yaml:"flush_on_compress" desc:"let the agent save memories before compression"`
}

// Skills configures skills.
type Skills struct {
	Enabled      bool     `yaml:"enabled" desc:"offer skills to the agent"`
	ExternalDirs []string `yaml:"external_dirs" desc:"extra skill trees, scanned before use"`
	Disabled     []string `yaml:"disabled" desc:"skill names not offered"`
	AllowManage  bool     `yaml:"allow_manage" desc:"let the agent create and patch skills"`
}

// Delegation configures child agents.
type Delegation struct {
	Enabled     bool     `yaml:"enabled" desc:"offer delegate_task"`
	MaxParallel int      `yaml:"max_parallel" desc:"children running at once" min:"1" max:"16"`
	MaxTurns    int      `yaml:"max_turns" desc:"iteration budget of each child" min:"1" max:"1000"`
	MaxDepth    int      `yaml:"max_depth" desc:"how deep children may delegate" min:"1" max:"5"`
	Toolsets    []string `yaml:"toolsets" desc:"toolsets of children; empty inherits the parent's"`
	Model       Endpoint `yaml:"model" desc:"provider and model of children; unset uses the parent's"`
}

// Display configures the terminal frontend.
type Display struct {
	Color         string `yaml:"color" desc:"colour output; auto colours a terminal unless NO_COLOR is set or TERM is dumb" enum:"auto,always,never"`
	ToolProgress  string `yaml:"tool_progress" desc:"tool progress lines" enum:"all,new,off"`
	ShowReasoning bool   `yaml:"show_reasoning" desc:"show the model's reasoning when it sends it"`
	ShowUsage     bool   `yaml:"show_usage" desc:"print token usage and cost after each turn"`
	Timestamps    bool   `yaml:"timestamps" desc:"prefix answers and progress lines with the time"`
	Markdown      bool   `yaml:"markdown" desc:"style markdown in answers (headings, bold, code, lists) when colour is on; off prints it raw"`
}

// Update configures `hermes update`.
type Update struct {
	Method string `yaml:"method" desc:"auto builds from the git checkout the binary was built from (or update.source) when there is one, else downloads a release" enum:"auto,git,release"`
	Source string `yaml:"source" desc:"the hermes git checkout to build from; empty is the one the binary recorded when it was built" format:"cwd"`
	URL    string `yaml:"url" desc:"the directory of release files (VERSION, SHA256SUMS, hermes-<os>-<arch>); https, or http on a loopback address" format:"url"`
}

// Logging configures the rotated, redacted log files of the long-running
// commands (gateway run, cron daemon, chat).
type Logging struct {
	Level     string `yaml:"level" desc:"the lowest level written to logs/hermes.log" enum:"debug,info,warn,error"`
	MaxSizeMB int    `yaml:"max_size_mb" desc:"size in MB at which hermes.log is rotated to hermes.log.1" min:"1" max:"1024"`
	Keep      int    `yaml:"keep" desc:"rotated files kept (hermes.log.1 ... hermes.log.N)" min:"1" max:"100"`
}

// Sessions configures the session store.
type Sessions struct {
	AutoTitle      bool `yaml:"auto_title" desc:"name new sessions after their first message (with the auxiliary.title model when one is set)"`
	PruneAfterDays int  `yaml:"prune_after_days" desc:"delete ended sessions older than this; 0 keeps them" min:"0" max:"36500"`
}
