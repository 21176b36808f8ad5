package e2e

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"natter/server/webtest"
	"natter/shared"
)

// mustBuildNatter builds the server binary once for the test.
func mustBuildNatter(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "natter")
	goTool, err := exec.LookPath("go")
	if err != nil {
		goTool = "/usr/local/go/bin/go"
	}
	out, err := exec.Command(goTool, "build", "-o", bin, "natter/server/cmd/natter").CombinedOutput()
	if err != nil {
		t.Fatalf("go build natter: %v\n%s", err, out)
	}
	return bin
}

// natterProc is `natter serve` as a subprocess on a fixed loopback port.
type natterProc struct {
	bin, dsn, addr, url, logPath string
	cmd                          *exec.Cmd
	exited                       chan struct{}
	starts                       int
}

func mustNatterProc(t *testing.T, bin, dsn string) *natterProc {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("free port: %v", err)
	}
	addr := ln.Addr().String()
	ln.Close()
	p := &natterProc{bin: bin, dsn: dsn, addr: addr, url: "http://" + addr, logPath: filepath.Join(t.TempDir(), "natter.log")}
	t.Cleanup(func() {
		if p.cmd != nil && !p.done() {
			p.cmd.Process.Kill()
			<-p.exited
		}
		if t.Failed() {
			t.Logf("natter serve output (tail of %s):\n%s", p.logPath, p.tail(60))
		}
	})
	p.start(t)
	return p
}

func (p *natterProc) done() bool {
	select {
	case <-p.exited:
		return true
	default:
		return false
	}
}

// start runs natter serve and waits until /healthz answers 200.
func (p *natterProc) start(t *testing.T) {
	t.Helper()
	p.starts++
	log, err := os.OpenFile(p.logPath, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		t.Fatalf("natter log: %v", err)
	}
	defer log.Close()
	fmt.Fprintf(log, "=== start %d ===\n", p.starts)
	cmd := exec.Command(p.bin, "serve")
	cmd.Env = append(os.Environ(), "DATABASE_URL="+p.dsn, "NATTER_ADDR="+p.addr, "NATTER_WEB="+webtest.WebDir(),
		"NATTER_ACTION_RATE=1000", "NATTER_ACTION_BURST=5000", "NATTER_NODE=faults", "NATTER_PPROF=")
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		t.Fatalf("start natter serve: %v", err)
	}
	p.cmd, p.exited = cmd, make(chan struct{})
	go func() { cmd.Wait(); close(p.exited) }()
	hc := &http.Client{Timeout: time.Second}
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(faultWait)
	for {
		if res, err := hc.Get(p.url + shared.PathHealth); err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return
			}
		}
		select {
		case <-p.exited:
			t.Fatalf("natter serve (start %d) exited: %v\n%s", p.starts, cmd.ProcessState, p.tail(40))
		case <-deadline:
			t.Fatalf("natter serve (start %d) not healthy after %s\n%s", p.starts, faultWait, p.tail(40))
		case <-tick.C:
		}
	}
}

// signal sends sig and waits for the process to end; it returns the exit
// code (-1 when killed by a signal).
func (p *natterProc) signal(t *testing.T, sig syscall.Signal) int {
	t.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil {
		t.Fatalf("signal natter serve: %v", err)
	}
	select {
	case <-p.exited:
	case <-time.After(faultWait):
		p.cmd.Process.Kill()
		<-p.exited
		t.Fatalf("natter serve ignored %v for %s\n%s", sig, faultWait, p.tail(40))
	}
	return p.cmd.ProcessState.ExitCode()
}

// tail returns the last n lines of the server's output, with runs of
// lines that log the same message folded into one, so that hundreds of
// "action failed" lines during an outage do not hide what came before.
func (p *natterProc) tail(n int) string {
	b, err := os.ReadFile(p.logPath)
	if err != nil {
		return err.Error()
	}
	var out []string
	prev, same := "", 0
	for _, line := range strings.Split(strings.TrimRight(string(b), "\n"), "\n") {
		msg := line
		if i := strings.Index(line, " msg="); i >= 0 {
			msg = line[i:]
			if j := strings.Index(msg, "\" "); j >= 0 {
				msg = msg[:j]
			}
		}
		if msg == prev {
			same++
			continue
		}
		if same > 0 {
			out = append(out, fmt.Sprintf("    (%d more like the line above)", same))
		}
		out, prev, same = append(out, line), msg, 0
	}
	if same > 0 {
		out = append(out, fmt.Sprintf("    (%d more like the line above)", same))
	}
	return strings.Join(out[max(0, len(out)-n):], "\n")
}
