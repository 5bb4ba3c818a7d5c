package detect

import (
	"regexp"
	"strings"
)

// SQL is text, not shell: these few regular expressions are the one
// place a parse tree cannot help.

var sqlClients = []string{"psql", "mysql", "mariadb", "sqlite3", "sqlite", "sqlcmd", "clickhouse-client", "clickhouse", "cockroach", "duckdb", "mongosh", "cqlsh", "pgcli", "mycli", "litecli", "usql"}

var sqlClientSet = func() map[string]bool {
	m := map[string]bool{}
	for _, n := range sqlClients {
		m[n] = true
	}
	return m
}()

var (
	sqlDrop     = regexp.MustCompile(`(?is)\bdrop\s+(table|database|schema|view|materialized\s+view|index|user|role|keyspace|collection)\b`)
	sqlTruncate = regexp.MustCompile(`(?is)\btruncate\s+(table\s+)?[\w."` + "`" + `\[]`)
	sqlDelete   = regexp.MustCompile(`(?is)^\s*delete\s+from\s+\S+`)
	sqlWhere    = regexp.MustCompile(`(?is)\bwhere\b`)
	// A WHERE that is always true deletes everything too.
	sqlTautology = regexp.MustCompile(`(?is)\bwhere\s+(not\s+false|true|1|1\s*=\s*1|0\s*=\s*0|'1'\s*=\s*'1'|1\s*<>\s*0)\s*;?\s*$|\bor\s+(true|1\s*=\s*1)\b`)
)

// sqlRule looks at the SQL a client is given on its command line (psql
// -c, mysql -e, sqlite3 db "SQL", ...).
func (s *scanner) sqlRule(c *call) {
	for _, a := range c.args {
		s.sqlText(a.val, c.text)
	}
}

// sqlText reports DROP, TRUNCATE and DELETE without WHERE in sql.
func (s *scanner) sqlText(sql, text string) {
	if len(sql) < 8 {
		return
	}
	if sqlDrop.MatchString(sql) {
		s.add("sql.drop", text)
	}
	if sqlTruncate.MatchString(sql) {
		s.add("sql.truncate", text)
	}
	for _, stmt := range strings.Split(sql, ";") {
		if sqlDelete.MatchString(stmt) && (!sqlWhere.MatchString(stmt) || sqlTautology.MatchString(stmt)) {
			s.add("sql.delete_all", text)
			break
		}
	}
}
