package main

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// clockTicks is USER_HZ, the unit of /proc CPU times; 100 on every Linux
// architecture Go supports.
const clockTicks = 100

// cpuSample is a point-in-time reading of CPU seconds spent by the server
// process, by the PostgreSQL cluster, by this process and by the whole
// machine (busy and total), so a phase can say who used the cores.
type cpuSample struct {
	wall                time.Time
	server, pg, self    float64
	machBusy, machTotal float64
}

// cpuUse is a phase's CPU in cores (1.0 is one core busy) and the machine's
// busy share (0..1), which includes everyone else on it.
type cpuUse struct {
	server, pg, self float64
	machine          float64
}

func sampleCPU(serverPID int, pgDir string) cpuSample {
	s := cpuSample{wall: time.Now()}
	if serverPID > 0 {
		if _, t, ok := procStat(serverPID); ok {
			s.server = t
		}
	}
	if pgDir != "" {
		s.pg = clusterCPU(pgDir)
	}
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) == nil {
		s.self = tv(ru.Utime) + tv(ru.Stime)
	}
	s.machBusy, s.machTotal = machineCPU()
	return s
}

func (a cpuSample) to(b cpuSample) cpuUse {
	wall := b.wall.Sub(a.wall).Seconds()
	if wall <= 0 {
		return cpuUse{}
	}
	u := cpuUse{server: (b.server - a.server) / wall, pg: (b.pg - a.pg) / wall, self: (b.self - a.self) / wall}
	if dt := b.machTotal - a.machTotal; dt > 0 {
		u.machine = (b.machBusy - a.machBusy) / dt
	}
	return u
}

func tv(t syscall.Timeval) float64 { return float64(t.Sec) + float64(t.Usec)/1e6 }

// procStat returns the parent pid and the CPU seconds (user+system) of pid.
func procStat(pid int) (ppid int, cpu float64, ok bool) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, 0, false
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, 0, false
	}
	f := strings.Fields(s[i+1:]) // state ppid pgrp ... utime(12) stime(13)
	if len(f) < 13 {
		return 0, 0, false
	}
	ppid, _ = strconv.Atoi(f[1])
	ut, _ := strconv.ParseFloat(f[11], 64)
	st, _ := strconv.ParseFloat(f[12], 64)
	return ppid, (ut + st) / clockTicks, true
}

// clusterCPU sums the CPU of the postmaster of pgDir and its children (the
// backends, the WAL writer, the checkpointer).
func clusterCPU(pgDir string) float64 {
	b, err := os.ReadFile(filepath.Join(pgDir, "postmaster.pid"))
	if err != nil {
		return 0
	}
	master, err := strconv.Atoi(strings.TrimSpace(strings.SplitN(string(b), "\n", 2)[0]))
	if err != nil {
		return 0
	}
	entries, _ := os.ReadDir("/proc")
	var total float64
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if ppid, t, ok := procStat(pid); ok && (pid == master || ppid == master) {
			total += t
		}
	}
	return total
}

// machineCPU reads the "cpu" line of /proc/stat, in seconds.
func machineCPU() (busy, total float64) {
	f, err := os.Open("/proc/stat")
	if err != nil {
		return 0, 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	if !sc.Scan() {
		return 0, 0
	}
	fields := strings.Fields(sc.Text())
	if len(fields) < 8 || fields[0] != "cpu" {
		return 0, 0
	}
	for i, v := range fields[1:] {
		if i >= 8 { // guest times are already in user
			break
		}
		n, _ := strconv.ParseFloat(v, 64)
		total += n
		if i != 3 && i != 4 { // idle, iowait
			busy += n
		}
	}
	return busy / clockTicks, total / clockTicks
}

// machineInfo describes where the figures were taken.
func machineInfo(pgBin string) string {
	model := "unknown CPU"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "model name" {
				model = strings.TrimSpace(v)
				break
			}
		}
	}
	mem := "?"
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(l, "MemTotal:"); ok {
				kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 64)
				mem = fmt.Sprintf("%.1f GiB", kb/(1<<20))
			}
		}
	}
	kernel, _ := os.ReadFile("/proc/sys/kernel/osrelease")
	load, _ := os.ReadFile("/proc/loadavg")
	pg := "?"
	if pgBin != "" {
		pg = filepath.Base(filepath.Dir(pgBin))
	}
	return fmt.Sprintf("%d × %s (nproc %d), %s RAM, Linux %s, %s, PostgreSQL %s; load average at start %s",
		runtime.NumCPU(), model, runtime.NumCPU(), mem, strings.TrimSpace(string(kernel)), runtime.Version(), pg,
		strings.Join(strings.Fields(string(load))[:3], " "))
}

// raiseFileLimit lifts RLIMIT_NOFILE for 10,000s of sockets; the server
// processes inherit it.
func raiseFileLimit(want uint64) (uint64, error) {
	var r syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &r); err != nil {
		return 0, err
	}
	if r.Cur >= want {
		return r.Cur, nil
	}
	n := syscall.Rlimit{Cur: want, Max: max(r.Max, want)}
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &n); err != nil {
		// Not allowed to raise the hard limit: take what it gives.
		n = syscall.Rlimit{Cur: r.Max, Max: r.Max}
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &n); err != nil {
			return r.Cur, err
		}
	}
	return n.Cur, nil
}
