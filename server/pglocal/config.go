package pglocal

import (
	"bytes"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Files inside the cluster directory that this package owns.
const (
	confFile  = "natter.conf"  // our settings, rewritten at every start
	hbaFile   = "pg_hba.conf"  // who may connect: only the private socket
	logFile   = "postgres.log" // the server's stderr (pg_ctl -l)
	socketDir = "run"          // the unix socket's directory, mode 0700
	port      = "5432"         // only names the socket file; nothing listens on TCP
)

// includeLine is appended once to postgresql.conf so natter.conf, read last,
// overrides initdb's defaults.
const includeLine = "include = '" + confFile + "'"

// defaultSettings suit a small app on a small machine. Durability settings
// stay on: not losing what was sent is the product's promise.
func defaultSettings(sock string) map[string]string {
	return map[string]string{
		"listen_addresses":        "",
		"port":                    port,
		"unix_socket_directories": sock,
		"unix_socket_permissions": "0700",
		"max_connections":         "200",
		"shared_buffers":          "128MB",
		"fsync":                   "on",
		"synchronous_commit":      "on",
		"full_page_writes":        "on",
		"timezone":                "UTC",
		"log_timezone":            "UTC",
		"log_line_prefix":         "%m [%p] %q%u@%d ",
		"password_encryption":     "scram-sha-256",
	}
}

// writeConfig writes natter.conf (defaults overridden by extra), pg_hba.conf
// (hbaConf) when hba is set, and makes postgresql.conf include natter.conf.
// Every file goes to a.
func writeConfig(dir, sock string, extra map[string]string, a *account, hba bool) error {
	settings := defaultSettings(sock)
	maps.Copy(settings, extra)

	var b bytes.Buffer
	b.WriteString("# Written by natter at every start of the private cluster; edits are lost.\n")
	for _, k := range slices.Sorted(maps.Keys(settings)) {
		fmt.Fprintf(&b, "%s = %s\n", k, quoteConf(settings[k]))
	}
	if err := writeOwned(filepath.Join(dir, confFile), b.Bytes(), a); err != nil {
		return err
	}

	if hba {
		if err := writeOwned(filepath.Join(dir, hbaFile), []byte(hbaConf), a); err != nil {
			return err
		}
	}

	main := filepath.Join(dir, "postgresql.conf")
	cur, err := os.ReadFile(main)
	if err != nil {
		return fmt.Errorf("pglocal: read config: %w", err)
	}
	if !bytes.Contains(cur, []byte(includeLine)) {
		cur = append(cur, "\n# Added by natter: the private cluster's settings.\n"+includeLine+"\n"...)
		if err := writeOwned(main, cur, a); err != nil {
			return err
		}
	}
	return nil
}

// quoteConf quotes a postgresql.conf value; any setting accepts the quoted
// form, so quoting everything avoids guessing types.
func quoteConf(v string) string {
	return "'" + strings.ReplaceAll(v, "'", "''") + "'"
}

// writeOwned writes a private file and gives it to a, so PostgreSQL can read
// it when we are root.
func writeOwned(path string, data []byte, a *account) error {
	if err := os.WriteFile(path, data, 0o600); err != nil {
		return fmt.Errorf("pglocal: write %s: %w", path, err)
	}
	return a.chown(path)
}
