package main

import (
	"bufio"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
)

// The server's garbage collector. A server holding recommendation models keeps hundreds of
// megabytes of long-lived, pointer-rich memory; with Go's default GOGC=100 every request's
// garbage soon triggers a collection that re-marks all of it (about 2 CPU-seconds for the
// 50,000-product benchmark shop), which `ritorno bench storefront` measured as a p99 of 28 ms
// at 2,000 requests/s, against 5.6 ms with GOGC=400. So serve collects when the heap has grown
// by four times the live heap, and bounds the total at three quarters of the memory it may
// use, unless GOGC or GOMEMLIMIT say otherwise (the Go runtime reads those itself).

// serverGCPercent is serve's GOGC when the environment sets none.
const serverGCPercent = 400

// gcSettings decides serve's collector settings: 0 leaves the runtime's own.
func gcSettings(getenv func(string) string, memory int64) (percent int, limit int64) {
	if getenv("GOGC") == "" {
		percent = serverGCPercent
	}
	if getenv("GOMEMLIMIT") == "" && memory > 0 {
		limit = memory / 4 * 3
	}
	return percent, limit
}

// applyGC sets the collector for serve; it reports what it set.
func applyGC(percent int, limit int64) {
	if percent > 0 {
		debug.SetGCPercent(percent)
	}
	if limit > 0 {
		debug.SetMemoryLimit(limit)
	}
}

// availableMemory is the memory this process may use: the cgroup's limit when there is one
// (a container), else the machine's; 0 when neither can be read.
func availableMemory() int64 {
	total := memTotal()
	if b, err := os.ReadFile("/sys/fs/cgroup/memory.max"); err == nil {
		if n, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64); err == nil && n > 0 && (total == 0 || n < total) {
			return n
		}
	}
	return total
}

func memTotal() int64 {
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if fields := strings.Fields(sc.Text()); len(fields) >= 2 && fields[0] == "MemTotal:" {
			if kb, err := strconv.ParseInt(fields[1], 10, 64); err == nil {
				return kb * 1024
			}
		}
	}
	return 0
}
