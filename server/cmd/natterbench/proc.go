package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// server is a child process under test (natter serve, or natterbench as the
// baseline hub), run apart so its RSS and CPU can be read alone.
type server struct {
	name        string
	cmd         *exec.Cmd
	addr        string // 127.0.0.1:port
	metricsAddr string // where /metrics is served (NATTER_METRICS_ADDR); addr when empty
	logPath     string
	exited      chan struct{}
	waitErr     error
}

// wsURL and origin are what clients dial with.
func (s *server) wsURL() string  { return "ws://" + s.addr + "/ws" }
func (s *server) origin() string { return "http://" + s.addr }
func (s *server) pid() int       { return s.cmd.Process.Pid }

// freeAddr picks a free loopback port. Another process could take it before
// the server binds it; on loopback in a benchmark that is a risk we accept.
func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("natterbench: free port: %w", err)
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// buildNatter builds the server binary from the repository.
func buildNatter(ctx context.Context, repo, out string) error {
	cmd := exec.CommandContext(ctx, "go", "build", "-o", out, "./server/cmd/natter")
	cmd.Dir = repo
	b, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("natterbench: go build ./server/cmd/natter: %v\n%s", err, b)
	}
	return nil
}

// startServer runs bin with args and env, its output in root/<name>.log,
// and waits until GET /healthz answers. The child dies with us (Pdeathsig).
func startServer(ctx context.Context, name, root, bin, addr string, args, env []string) (*server, error) {
	logPath := filepath.Join(root, name+".log")
	f, err := os.Create(logPath)
	if err != nil {
		return nil, fmt.Errorf("natterbench: %w", err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Dir = root
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = f, f
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		f.Close()
		return nil, fmt.Errorf("natterbench: start %s: %w", name, err)
	}
	s := &server{name: name, cmd: cmd, addr: addr, logPath: logPath, exited: make(chan struct{})}
	go func() {
		s.waitErr = cmd.Wait()
		f.Close()
		close(s.exited)
	}()
	ctx, cancel := context.WithTimeout(ctx, 90*time.Second)
	defer cancel()
	for {
		req, _ := http.NewRequestWithContext(ctx, "GET", "http://"+addr+"/healthz", nil)
		if resp, err := loopbackClient.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s, nil
			}
		}
		select {
		case <-s.exited:
			return nil, fmt.Errorf("natterbench: %s exited before it was healthy (%v):\n%s", name, s.waitErr, s.logTail(20))
		case <-ctx.Done():
			s.stop()
			return nil, fmt.Errorf("natterbench: %s not healthy in time: %w\n%s", name, ctx.Err(), s.logTail(20))
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// stop asks the server to stop (SIGTERM), then kills it after 15 s.
func (s *server) stop() {
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.exited:
	case <-time.After(15 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.exited
	}
}

func (s *server) logTail(n int) string {
	b, _ := os.ReadFile(s.logPath)
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// rssKiB reads VmRSS from /proc.
func (s *server) rssKiB() (int64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", s.pid()))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			return strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		}
	}
	return 0, fmt.Errorf("natterbench: no VmRSS for %d", s.pid())
}

// metrics scrapes /metrics (Prometheus text) into name → value.
func (s *server) metrics(ctx context.Context) map[string]float64 {
	out := map[string]float64{}
	addr := s.addr
	if s.metricsAddr != "" {
		addr = s.metricsAddr
	}
	req, _ := http.NewRequestWithContext(ctx, "GET", "http://"+addr+"/metrics", nil)
	resp, err := loopbackClient.Do(req)
	if err != nil {
		return out
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	for _, line := range bytes.Split(b, []byte{'\n'}) {
		if len(line) == 0 || line[0] == '#' {
			continue
		}
		name, val, ok := bytes.Cut(line, []byte{' '})
		if !ok {
			continue
		}
		if v, err := strconv.ParseFloat(string(val), 64); err == nil {
			out[string(name)] = v
		}
	}
	return out
}

// gcLine is the Go runtime's view after one collection (GODEBUG=gctrace=1).
type gcLine struct {
	n       int     // collections so far
	at      float64 // seconds since the process started
	liveMB  int64   // heap live after the collection
	stackMB int64   // goroutine stacks scanned
}

var gcRe = regexp.MustCompile(`^gc (\d+) @([0-9.]+)s .* (\d+)->(\d+)->(\d+) MB, (\d+) MB goal, (\d+) MB stacks`)

// lastGC returns the newest gctrace line in the server's log.
func (s *server) lastGC() (gcLine, bool) {
	b, err := os.ReadFile(s.logPath)
	if err != nil {
		return gcLine{}, false
	}
	lines := bytes.Split(b, []byte{'\n'})
	for i := len(lines) - 1; i >= 0; i-- {
		m := gcRe.FindSubmatch(lines[i])
		if m == nil {
			continue
		}
		var g gcLine
		g.n, _ = strconv.Atoi(string(m[1]))
		g.at, _ = strconv.ParseFloat(string(m[2]), 64)
		g.liveMB, _ = strconv.ParseInt(string(m[5]), 10, 64)
		g.stackMB, _ = strconv.ParseInt(string(m[7]), 10, 64)
		return g, true
	}
	return gcLine{}, false
}

// perf records a CPU profile of pid for d with Linux perf into out, when
// dir is set; the returned func waits for it. Go binaries keep frame
// pointers, so `perf report` shows Go call stacks.
func perf(dir, name string, pid int, d time.Duration) func() {
	if dir == "" {
		return func() {}
	}
	out := filepath.Join(dir, name+".perf.data")
	cmd := exec.Command("perf", "record", "-F", "499", "-g", "-p", strconv.Itoa(pid), "-o", out,
		"--", "sleep", strconv.FormatFloat(d.Seconds(), 'f', 1, 64))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		logf("perf %s: %v", name, err)
		return func() {}
	}
	return func() {
		if err := cmd.Wait(); err != nil {
			logf("perf %s: %v: %s", name, err, stderr.String())
			return
		}
		logf("perf profile of %s: %s", name, out)
	}
}
