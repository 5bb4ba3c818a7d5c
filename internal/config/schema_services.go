package config

// Platforms holds the settings of each messaging adapter. Tokens and
// passwords are read from .env (TELEGRAM_BOT_TOKEN, DISCORD_BOT_TOKEN, ...),
// never from here.
type Platforms struct {
	Telegram  Telegram  `yaml:"telegram" desc:"Telegram (token: TELEGRAM_BOT_TOKEN)"`
	Discord   Discord   `yaml:"discord" desc:"Discord (token: DISCORD_BOT_TOKEN)"`
	Slack     Slack     `yaml:"slack" desc:"Slack (tokens: SLACK_BOT_TOKEN, SLACK_APP_TOKEN)"`
	Matrix    Matrix    `yaml:"matrix" desc:"Matrix (token: MATRIX_ACCESS_TOKEN or MATRIX_PASSWORD)"`
	Email     Email     `yaml:"email" desc:"email: IMAP in, SMTP out (password: EMAIL_PASSWORD)"`
	APIServer APIServer `yaml:"api_server" desc:"an OpenAI-compatible API server (key: API_SERVER_KEY)"`
	Webhooks  Webhooks  `yaml:"webhooks" desc:"inbound webhooks at /webhooks/<route>"`
}

// Chat holds what every chat platform shares.
type Chat struct {
	Enabled                bool   `yaml:"enabled" desc:"connect this platform when the gateway runs"`
	HomeChannel            string `yaml:"home_channel" desc:"where cron results for this platform go"`
	BaseURL                string `yaml:"base_url" desc:"API base URL; empty is the platform's own" format:"url"`
	GroupSessionsPerUser   bool   `yaml:"group_sessions_per_user" desc:"in groups, one session per participant"`
	UnauthorizedDMBehavior string `yaml:"unauthorized_dm_behavior" desc:"what an unknown user's direct message gets; empty follows gateway" enum:"pair,ignore"`
}

// Telegram configures the Telegram adapter.
type Telegram struct {
	Chat `yaml:",inline"`
}

// Discord configures the Discord adapter.
type Discord struct {
	Chat           `yaml:",inline"`
	RequireMention bool `yaml:"require_mention" desc:"in servers, answer only when mentioned"`
}

// Slack configures the Slack adapter.
type Slack struct {
	Chat           `yaml:",inline"`
	RequireMention bool   `yaml:"require_mention" desc:"in channels, answer only when mentioned"`
	Mode           string `yaml:"mode" desc:"socket (Socket Mode, needs SLACK_APP_TOKEN; no public URL) or events (the Events API posts to events_listen; needs SLACK_SIGNING_SECRET)" enum:"socket,events"`
	EventsListen   string `yaml:"events_listen" desc:"where the Events API listener binds in events mode; empty is 127.0.0.1:8646" format:"hostport"`
}

// Matrix configures the Matrix adapter.
type Matrix struct {
	Chat       `yaml:",inline"`
	Homeserver string `yaml:"homeserver" desc:"the homeserver's client-server API URL (base_url, when set, overrides it)" format:"url"`
	UserID     string `yaml:"user_id" desc:"the bot's user id, @name:server"`
	Encryption bool   `yaml:"encryption" desc:"end-to-end encryption: answer in encrypted rooms (needs a hermes built with -tags goolm, as make build does)"`
}

// Email configures the email adapter.
type Email struct {
	Chat         `yaml:",inline"`
	Address      string   `yaml:"address" desc:"the agent's address"`
	IMAPHost     string   `yaml:"imap_host" desc:"IMAP server"`
	IMAPPort     int      `yaml:"imap_port" desc:"IMAP port" min:"1" max:"65535"`
	SMTPHost     string   `yaml:"smtp_host" desc:"SMTP server"`
	SMTPPort     int      `yaml:"smtp_port" desc:"SMTP port" min:"1" max:"65535"`
	PollInterval Duration `yaml:"poll_interval" desc:"how often the inbox is read when the server has no IDLE (and the longest an IDLE waits before a fresh look)" min:"5s" max:"24h"`
	TLS          string   `yaml:"tls" desc:"auto is implicit TLS on ports 993 and 465 and STARTTLS elsewhere; none (plain text) only to a loopback host" enum:"auto,implicit,starttls,none"`
	Username     string   `yaml:"username" desc:"login name for IMAP and SMTP; empty is address"`
	AuthservID   string   `yaml:"authserv_id" desc:"trust only the Authentication-Results headers with this authserv-id (your server's name); empty trusts the topmost one"`
}

// APIServer configures the OpenAI-compatible API server.
type APIServer struct {
	Enabled     bool     `yaml:"enabled" desc:"serve /v1/chat/completions, /v1/responses and /v1/models"`
	Listen      string   `yaml:"listen" desc:"address to listen on; loopback unless you mean otherwise" format:"hostport"`
	CORSOrigins []string `yaml:"cors_origins" desc:"origins allowed to call from a browser"`
	ModelName   string   `yaml:"model_name" desc:"the model name the server announces"`
}

// Webhooks configures inbound webhooks.
type Webhooks struct {
	Enabled bool                    `yaml:"enabled" desc:"serve /webhooks/<route> on the gateway's listener"`
	Routes  map[string]WebhookRoute `yaml:"routes" desc:"one entry per route" format:"keyname"`
}

// WebhookRoute is one inbound webhook.
type WebhookRoute struct {
	Auth      string `yaml:"auth" desc:"hmac checks an HMAC-SHA256 signature (GitHub, Standard Webhooks or X-Hermes-Signature-256, picked by the headers); token checks X-Gitlab-Token or an Authorization: Bearer token" enum:"hmac,token"`
	SecretEnv string `yaml:"secret_env" desc:"the .env variable holding the secret" format:"envname"`
	Prompt    string `yaml:"prompt" desc:"prompt template; {{.Body}} and {{.Field.path}} are filled from the request"`
	Deliver   string `yaml:"deliver" desc:"where the answer goes: local, a platform, platform:chat_id, or a comma list"`
}

// Gateway configures the gateway process.
type Gateway struct {
	HealthListen           string   `yaml:"health_listen" desc:"address of /healthz and /metrics" format:"hostport"`
	UnauthorizedDMBehavior string   `yaml:"unauthorized_dm_behavior" desc:"pair answers an unknown user with a pairing code; ignore drops the message" enum:"pair,ignore"`
	BusyMode               string   `yaml:"busy_mode" desc:"a message that arrives while the agent runs: queue it or interrupt the run" enum:"queue,interrupt"`
	RestartDelay           Duration `yaml:"restart_delay" desc:"pause before a restarted platform reconnects" min:"0s" max:"10m"`
	DeliveryRetries        int      `yaml:"delivery_retries" desc:"attempts to send a reply before it is recorded as failed" min:"1" max:"50"`
	DrainTimeout           Duration `yaml:"drain_timeout" desc:"on stop or restart, time running turns get to finish; the rest are cut off and answered after the restart" min:"0s" max:"1h"`
}

// Cron configures the scheduler.
type Cron struct {
	Enabled              bool     `yaml:"enabled" desc:"run scheduled jobs (in the gateway or hermes cron daemon)"`
	Timezone             string   `yaml:"timezone" desc:"IANA zone for schedules and naive timestamps; empty is the machine's" format:"timezone"`
	Timeout              Duration `yaml:"timeout" desc:"time one run may take" min:"10s" max:"24h"`
	OutputKeep           int      `yaml:"output_keep" desc:"outputs kept per job" min:"1" max:"10000"`
	DeliveryRetries      int      `yaml:"delivery_retries" desc:"attempts to deliver a result before it is recorded as delivery_failed" min:"1" max:"50"`
	Concurrency          string   `yaml:"concurrency" desc:"a run due while the last is still running" enum:"forbid,allow,replace"`
	AllowAgentScheduling bool     `yaml:"allow_agent_scheduling" desc:"offer the cronjob tool inside cron runs (a job may schedule jobs)"`
	WebhookSecretEnv     string   `yaml:"webhook_secret_env" desc:"the variable (in .env or the environment) whose value signs webhook deliveries (X-Hermes-Signature-256)" format:"envname"`
}

// MCPServer is one entry of mcp_servers: a stdio server (command) or an
// HTTP server (url).
type MCPServer struct {
	Command        string            `yaml:"command" desc:"the program of a stdio server"`
	Args           []string          `yaml:"args" desc:"its arguments"`
	Env            map[string]string `yaml:"env" desc:"variables for a stdio server; ${VAR} is read from .env; nothing else of hermes' environment is passed" format:"envname"`
	Cwd            string            `yaml:"cwd" desc:"working directory of a stdio server"`
	URL            string            `yaml:"url" desc:"the endpoint of a streamable HTTP or SSE server" format:"url"`
	Transport      string            `yaml:"transport" desc:"empty picks stdio for command and streamable HTTP for url" enum:"stdio,http,sse"`
	Headers        map[string]string `yaml:"headers" desc:"HTTP headers; ${VAR} is read from .env"`
	Timeout        Duration          `yaml:"timeout" desc:"time allowed for one tool call" min:"1s" max:"1h"`
	ConnectTimeout Duration          `yaml:"connect_timeout" desc:"time allowed to start and list tools" min:"1s" max:"10m"`
	Enabled        bool              `yaml:"enabled" desc:"start this server"`
	Include        []string          `yaml:"include" desc:"only these tools (globs)" format:"glob"`
	Exclude        []string          `yaml:"exclude" desc:"never these tools (globs)" format:"glob"`
	Trust          string            `yaml:"trust" desc:"ask sends each call through the approval rules" enum:"auto,ask"`
}
