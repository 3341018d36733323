// Package bench holds the load and throughput benchmarks behind `ritorno bench webhooks |
// import | storefront | soak` and the synthetic shop of the recommendation benchmarks. Each
// benchmark is an options struct and a function returning a JSON-ready report; what needs
// the whole server is handed in by cmd/ritorno as a function. bench may import any package
// of the module; nothing but cmd/ritorno imports it.
package bench

import (
	"os"
	"runtime"
	"runtime/pprof"
	"strings"
	"sync"
)

// Machine is the machine a report was measured on.
type Machine struct {
	CPUs      int    `json:"cpus"`
	CPUModel  string `json:"cpu_model"`
	GoVersion string `json:"go_version"`
	OS        string `json:"os"`
}

func machineInfo() Machine {
	m := Machine{CPUs: runtime.NumCPU(), GoVersion: runtime.Version(), OS: runtime.GOOS + "/" + runtime.GOARCH}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPUModel = strings.TrimSpace(v)
				break
			}
		}
	}
	return m
}

// startCPUProfile profiles this process into path until stop is called (at most once in
// effect); an empty path profiles nothing.
func startCPUProfile(path string) (stop func(), err error) {
	if path == "" {
		return func() {}, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return sync.OnceFunc(func() {
		pprof.StopCPUProfile()
		f.Close()
	}), nil
}
