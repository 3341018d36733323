package main

import "testing"

func TestGCSettings(t *testing.T) {
	for _, tc := range []struct {
		name    string
		env     map[string]string
		memory  int64
		percent int
		limit   int64
	}{
		{"serve's defaults", nil, 8 << 30, serverGCPercent, 6 << 30},
		{"GOGC from the environment wins", map[string]string{"GOGC": "100"}, 8 << 30, 0, 6 << 30},
		{"GOMEMLIMIT from the environment wins", map[string]string{"GOMEMLIMIT": "2GiB"}, 8 << 30, serverGCPercent, 0},
		{"memory unknown: no limit", nil, 0, serverGCPercent, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			percent, limit := gcSettings(func(k string) string { return tc.env[k] }, tc.memory)
			if percent != tc.percent || limit != tc.limit {
				t.Fatalf("gcSettings = %d, %d; want %d, %d", percent, limit, tc.percent, tc.limit)
			}
		})
	}
	if availableMemory() <= 0 {
		t.Error("availableMemory found neither a cgroup limit nor /proc/meminfo on Linux")
	}
}
