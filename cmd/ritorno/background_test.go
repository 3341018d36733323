package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestSIGTERMStopsEveryBackgroundTask boots the real server in-process, waits until every
// background task has started, sends this process SIGTERM, and checks that serve returns
// cleanly within the shutdown timeout with every task that started stopped before the
// database closed.
func TestSIGTERMStopsEveryBackgroundTask(t *testing.T) {
	env := embeddedEnv(t)
	env["RITORNO_SHUTDOWN_TIMEOUT"] = "10s"
	cfg, err := loadConfig(envFrom(env))
	if err != nil {
		t.Fatal(err)
	}
	addrCh := make(chan string, 1)
	var logs syncBuffer
	served := make(chan error, 1)
	go func() {
		served <- runServe(context.Background(), cfg, nil, newLogger(&logs, slog.LevelInfo),
			io.Discard, serveHooks{onListen: func(addr string) { addrCh <- addr }})
	}()
	select {
	case <-addrCh:
	case err := <-served:
		t.Fatalf("serve ended early: %v", err)
	}
	// The tasks serve lists; a task added later is checked as well (started == stopped).
	want := []string{"inbox", "inbox-purge", "backfill", "insights", "recommend", "recommend-warm"}
	waitFor(t, "every background task to start", func() bool {
		started, _ := taskEvents(t, logs.String())
		for _, name := range want {
			if !slices.Contains(started, name) {
				return false
			}
		}
		return true
	})

	sent := time.Now()
	if err := syscall.Kill(os.Getpid(), syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-served:
		if err != nil {
			t.Fatalf("serve returned %v, want nil", err)
		}
	case <-time.After(cfg.ShutdownTimeout + 5*time.Second):
		t.Fatalf("serve still running %s after SIGTERM", cfg.ShutdownTimeout+5*time.Second)
	}
	if took := time.Since(sent); took > cfg.ShutdownTimeout {
		t.Errorf("shutdown took %s, longer than the timeout %s", took, cfg.ShutdownTimeout)
	}
	started, stopped := taskEvents(t, logs.String())
	slices.Sort(started)
	slices.Sort(stopped)
	if !slices.Equal(started, stopped) {
		t.Errorf("tasks started %v, stopped %v", started, stopped)
	}
	out := logs.String()
	if last := strings.LastIndex(out, `"msg":"background task stopped"`); last < 0 || last > strings.Index(out, `"msg":"stopped"`) {
		t.Errorf("the server stopped before its background tasks:\n%s", out)
	}
}

// taskEvents reads the names of the background tasks started and stopped from serve's
// JSON log.
func taskEvents(t *testing.T, log string) (started, stopped []string) {
	t.Helper()
	sc := bufio.NewScanner(strings.NewReader(log))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var line struct{ Msg, Task string }
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			t.Fatalf("log line %q: %v", sc.Text(), err)
		}
		switch line.Msg {
		case "background task started":
			started = append(started, line.Task)
		case "background task stopped":
			stopped = append(stopped, line.Task)
		}
	}
	return started, stopped
}
