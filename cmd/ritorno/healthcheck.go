package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"
)

// runHealthcheck probes the local server's /healthz, for container HEALTHCHECKs: the
// runtime image has no shell or curl, so the binary checks itself.
func runHealthcheck(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	fs := newFlagSet("healthcheck")
	if err := parseFlags(ctx, fs, args, stdout, "Usage: ritorno healthcheck\n\nExits 0 if http://127.0.0.1<port of RITORNO_ADDR>/healthz answers 200 within 3 s, else 1.\n"); err != nil {
		return report(stderr, err)
	}
	if fs.NArg() > 0 {
		return report(stderr, usageErrorf("healthcheck takes no arguments"))
	}
	addr := getenv("RITORNO_ADDR")
	if addr == "" {
		addr = ":8080"
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		fmt.Fprintf(stderr, "healthcheck: RITORNO_ADDR %q is not host:port\n", addr)
		return exitUsage
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+net.JoinHostPort(host, port)+"/healthz", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		fmt.Fprintf(stderr, "healthcheck: %v\n", err)
		return exitFailure
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		fmt.Fprintf(stderr, "healthcheck: /healthz answered %d\n", resp.StatusCode)
		return exitFailure
	}
	return exitOK
}
