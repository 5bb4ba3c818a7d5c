package config

import "time"

// Built-in provider names; anything else in model.provider must name a
// providers entry.
var builtinProviders = []string{"openrouter", "openai", "anthropic", "ollama", "custom"}

// IsBuiltinProvider reports whether name is one of the providers hermes
// knows without a providers entry.
func IsBuiltinProvider(name string) bool {
	for _, p := range builtinProviders {
		if p == name {
			return true
		}
	}
	return false
}

func dur(d time.Duration) Duration { return Duration(d) }

// defaultToolsets is what every frontend gets unless config says otherwise.
var defaultToolsets = []string{"terminal", "file", "web", "memory", "skills", "session_search", "todo", "clarify", "delegation", "cronjob"}

// Default returns the configuration used for every key config.yaml leaves
// out. Each value here is the documented default.
func Default() *Config {
	ts := func(extra ...string) []string { return append(append([]string(nil), defaultToolsets...), extra...) }
	return &Config{
		Model: Model{
			Provider:     "openrouter",
			Default:      "anthropic/claude-sonnet-4",
			Streaming:    true,
			AutoFallback: true,
			Timeout:      dur(10 * time.Minute),
		},
		Agent: Agent{
			MaxTurns:          90,
			APIMaxRetries:     3,
			ParallelToolCalls: true,
			MaxParallelTools:  8,
			LoopGuard:         3,
			ToolOutputLimit:   100_000,
			Toolsets: Toolsets{
				CLI:       ts(),
				Gateway:   ts("send_message"),
				Cron:      ts("send_message"),
				APIServer: ts(),
				MCPServe:  []string{"terminal", "file", "memory"},
			},
		},
		Terminal: Terminal{
			Backend:         "auto",
			Network:         true,
			Timeout:         dur(180 * time.Second),
			MaxOutput:       1 << 20,
			PersistentShell: true,
			Docker: Docker{
				Image:     "debian:bookworm-slim",
				CPUs:      1,
				MemoryMB:  5120,
				PidsLimit: 256,
			},
			SSH:         SSH{Port: 22},
			Modal:       Modal{CPUs: 1, MemoryMB: 5120, Timeout: dur(time.Hour)},
			Singularity: Singularity{},
		},
		Approvals: Approvals{
			Mode:          "manual",
			Timeout:       dur(300 * time.Second),
			Unattended:    "deny",
			SmartBreaker:  3,
			ContainerSkip: true,
		},
		Security: Security{
			RedactSecrets:     true,
			ScanContextFiles:  true,
			ContextFileMaxKiB: 64,
		},
		Compression: Compression{Enabled: true, Threshold: 0.5, KeepFirst: 3, KeepLast: 20},
		Memory:      Memory{Enabled: true, MemoryCharLimit: 2200, UserCharLimit: 1375, FlushOnCompress: true},
		Skills:      Skills{Enabled: true, AllowManage: true},
		Delegation:  Delegation{Enabled: true, MaxParallel: 3, MaxTurns: 50, MaxDepth: 1},
		Display:     Display{Color: "auto", ToolProgress: "all", ShowUsage: false, Markdown: true},
		Platforms: Platforms{
			Telegram: Telegram{Chat: defaultChat()},
			Discord:  Discord{Chat: defaultChat(), RequireMention: true},
			Slack:    Slack{Chat: defaultChat(), RequireMention: true},
			Matrix:   Matrix{Chat: defaultChat()},
			Email: Email{Chat: Chat{GroupSessionsPerUser: true, UnauthorizedDMBehavior: "ignore"}, IMAPPort: 993, SMTPPort: 587,
				PollInterval: dur(time.Minute), TLS: "auto"},
			APIServer: APIServer{
				Listen:    "127.0.0.1:8642",
				ModelName: "hermes",
			},
		},
		Gateway: Gateway{
			HealthListen:           "127.0.0.1:8643",
			UnauthorizedDMBehavior: "pair",
			BusyMode:               "queue",
			RestartDelay:           dur(5 * time.Second),
			DeliveryRetries:        5,
			DrainTimeout:           dur(30 * time.Second),
		},
		Cron: Cron{
			Enabled:         true,
			Timeout:         dur(600 * time.Second),
			OutputKeep:      50,
			DeliveryRetries: 5,
			Concurrency:     "forbid",
		},
		Sessions: Sessions{AutoTitle: true},
		Update:   Update{Method: "auto", URL: "https://github.com/hermes-go/hermes/releases/latest/download"},
		Logging:  Logging{Level: "info", MaxSizeMB: 10, Keep: 5},
	}
}

func defaultChat() Chat { return Chat{GroupSessionsPerUser: true} }

// elementDefaults fills a new map or list element with its defaults before
// the user's keys are applied, so `mcp_servers: {x: {command: y}}` is
// enabled and has its timeouts.
func elementDefaults(v any) {
	switch e := v.(type) {
	case *MCPServer:
		e.Enabled = true
		e.Trust = "auto"
		e.Timeout = dur(120 * time.Second)
		e.ConnectTimeout = dur(30 * time.Second)
	case *WebhookRoute:
		e.Auth = "hmac"
		e.Deliver = "local"
	case *Provider:
		e.APIMode = "chat_completions"
	}
}
