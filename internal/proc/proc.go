// Package proc reads what Linux's /proc says about a process: its CPU time, its children's,
// its parent and its peak resident set size (go run ./bench, BenchmarkConnectorUpdate).
package proc

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// clockTick is the unit of CPU times in /proc/<pid>/stat (USER_HZ, 100 on Linux).
const clockTick = 10 * time.Millisecond

// procStat is what /proc/<pid>/stat says about a process's CPU time.
type procStat struct {
	ppid                         int
	utime, stime, cutime, cstime int64 // clock ticks
}

func readStat(pid int) (procStat, bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return procStat{}, false
	}
	// The command name, in parentheses, may hold spaces: fields start after the last ')'.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return procStat{}, false
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 15 {
		return procStat{}, false
	}
	num := func(k int) int64 { v, _ := strconv.ParseInt(f[k], 10, 64); return v }
	// f[0] is field 3 (state): ppid is field 4, utime 14, stime 15, cutime 16, cstime 17.
	return procStat{ppid: int(num(1)), utime: num(11), stime: num(12), cutime: num(13), cstime: num(14)}, true
}

// CPUTime returns the CPU time pid has used, its own threads only.
func CPUTime(pid int) time.Duration {
	s, _ := readStat(pid)
	return time.Duration(s.utime+s.stime) * clockTick
}

// Parent returns the pid of pid's parent, 0 when unknown.
func Parent(pid int) int {
	s, _ := readStat(pid)
	return s.ppid
}

// TreeCPUTime returns the CPU time of pid and of its children, living and ended: that of
// a PostgreSQL server is the postmaster's with every backend's.
func TreeCPUTime(pid int) time.Duration {
	root, ok := readStat(pid)
	if !ok {
		return 0
	}
	total := root.utime + root.stime + root.cutime + root.cstime
	entries, _ := filepath.Glob("/proc/[0-9]*")
	for _, e := range entries {
		child, err := strconv.Atoi(filepath.Base(e))
		if err != nil || child == pid {
			continue
		}
		if s, ok := readStat(child); ok && s.ppid == pid {
			total += s.utime + s.stime
		}
	}
	return time.Duration(total) * clockTick
}

// ResetPeakRSS starts pid's peak resident set size afresh (Linux 4.0+); it reports whether
// the kernel let it.
func ResetPeakRSS(pid int) bool {
	return os.WriteFile("/proc/"+strconv.Itoa(pid)+"/clear_refs", []byte("5"), 0) == nil
}

// PeakRSS returns pid's peak resident set size (VmHWM) in bytes, 0 when unknown.
func PeakRSS(pid int) int64 {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0
	}
	for line := range strings.Lines(string(b)) {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}
