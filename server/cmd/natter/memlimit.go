package main

import (
	"log/slog"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
)

// cgroupMemoryMax is where cgroup v2 says how much memory this process's
// group may use ("max" when unbounded).
const cgroupMemoryMax = "/sys/fs/cgroup/memory.max"

// applyMemoryLimit gives the garbage collector a soft memory limit. Go reads
// GOMEMLIMIT (and GOGC) from the environment itself; when GOMEMLIMIT is
// unset and the server runs in a container with a memory limit, the soft
// limit becomes 90% of that, so that near the container's limit the
// collector works harder instead of the kernel killing the server. Most of
// an idle server's memory is the collector's headroom over the live heap
// (GOGC=100 lets the heap double before collecting): GOMEMLIMIT is the
// operator's way to trade CPU for memory. It logs what applies.
func applyMemoryLimit(log *slog.Logger) {
	if v := os.Getenv("GOMEMLIMIT"); v != "" {
		log.Info("memory limit from GOMEMLIMIT", "GOMEMLIMIT", v, "bytes", debug.SetMemoryLimit(-1))
		return
	}
	b, err := os.ReadFile(cgroupMemoryMax)
	if err != nil {
		return // not in a cgroup v2 container: no limit, as Go's default
	}
	limit, ok := softLimit(string(b))
	if !ok {
		return
	}
	debug.SetMemoryLimit(limit)
	log.Info("memory limit from the container", "cgroup_max", strings.TrimSpace(string(b)), "soft_limit_bytes", limit)
}

// softLimit turns the content of cgroup v2's memory.max into the soft limit
// for the collector: 90% of it, leaving room for what Go does not count
// (the embedded PostgreSQL runs in its own processes but may share the
// group). It reports false for "max" (unbounded) and for anything it
// cannot read.
func softLimit(memoryMax string) (int64, bool) {
	s := strings.TrimSpace(memoryMax)
	if s == "" || s == "max" {
		return 0, false
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 {
		return 0, false
	}
	return n / 10 * 9, true
}
