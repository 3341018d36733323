package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/ritorno/ritorno/store/storetest"
)

const testKey = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"

// envFrom turns a map into a getenv function.
func envFrom(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

// embeddedEnv is the environment of a server on the embedded database in a temp folder.
func embeddedEnv(t *testing.T) map[string]string {
	t.Helper()
	// The demo shop is off: tests make the shops they need (demo_test.go turns it on).
	return map[string]string{"RITORNO_ADDR": "127.0.0.1:0", "RITORNO_DATA_DIR": filepath.Join(t.TempDir(), "data"), "RITORNO_DEMO": "false"}
}

// waitFor polls cond until it holds or the deadline passes (no fixed sleeps).
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	// Generous: under -race on two busy cores the demo shop's first model took over 15 s.
	deadline := time.Now().Add(60 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// servedRoutes lists the routes the real server registers, wired as serve wires them (used
// by the shopify.app.toml test).
func servedRoutes(t *testing.T) []gin.RouteInfo {
	t.Helper()
	cfg, err := loadConfig(envFrom(embeddedEnv(t)))
	if err != nil {
		t.Fatal(err)
	}
	m := &Main{cfg: cfg, log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if err := m.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.receiver.Close(); m.listener.Close(); m.db.Close() })
	return m.handler.Routes()
}

// TestSIGTERMLetsInFlightRequestFinish boots the real server in-process, starts a slow
// request, sends this process SIGTERM, and checks that the request completes, new
// connections are refused, and serve returns without error.
func TestSIGTERMLetsInFlightRequestFinish(t *testing.T) {
	cfg, err := loadConfig(envFrom(embeddedEnv(t)))
	if err != nil {
		t.Fatal(err)
	}
	entered, release := make(chan struct{}), make(chan struct{})
	addrCh := make(chan string, 1)
	hooks := serveHooks{
		onListen: func(addr string) { addrCh <- addr },
		extraRoutes: func(r *gin.Engine) {
			r.GET("/test/slow", func(c *gin.Context) {
				close(entered)
				<-release
				c.String(http.StatusOK, "finished")
			})
		},
	}
	var logs syncBuffer
	served := make(chan error, 1)
	go func() {
		served <- runServe(context.Background(), cfg, nil, newLogger(&logs, slog.LevelInfo), io.Discard, hooks)
	}()
	var addr string
	select {
	case addr = <-addrCh:
	case err := <-served:
		t.Fatalf("serve ended early: %v", err)
	}

	type result struct {
		status int
		body   string
		err    error
	}
	slow := make(chan result, 1)
	go func() {
		resp, err := http.Get("http://" + addr + "/test/slow")
		if err != nil {
			slow <- result{err: err}
			return
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		slow <- result{status: resp.StatusCode, body: string(b)}
	}()
	<-entered
	if err := syscall.Kill(os.Getpid(), syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the listener to close", func() bool {
		c := &http.Client{Timeout: 200 * time.Millisecond, Transport: &http.Transport{DisableKeepAlives: true}}
		resp, err := c.Get("http://" + addr + "/healthz")
		if err == nil {
			resp.Body.Close()
		}
		return err != nil
	})
	select {
	case err := <-served:
		t.Fatalf("serve returned (%v) while a request was still running", err)
	default:
	}
	close(release)
	r := <-slow
	if r.err != nil || r.status != http.StatusOK || r.body != "finished" {
		t.Fatalf("in-flight request = %d %q, %v; want 200 finished", r.status, r.body, r.err)
	}
	if err := <-served; err != nil {
		t.Fatalf("serve returned %v, want nil", err)
	}
	if !strings.Contains(logs.String(), `"msg":"stopped"`) {
		t.Fatalf("no clean stop in the log:\n%s", logs.String())
	}
}

// syncBuffer is a bytes.Buffer safe for the server's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// buildBinary compiles ritorno once per test run.
var buildOnce = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "ritorno-bin")
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "ritorno")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		return "", &buildError{out: string(out), err: err}
	}
	return bin, nil
})

type buildError struct {
	out string
	err error
}

func (e *buildError) Error() string { return e.err.Error() + ": " + e.out }

func binary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin, err := buildOnce()
	if err != nil {
		t.Fatal(err)
	}
	return bin
}

func environ(m map[string]string) []string {
	env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")}
	for k, v := range m {
		env = append(env, k+"="+v)
	}
	return env
}

// startServer runs the binary's serve command and returns its address once it listens.
func startServer(t *testing.T, env map[string]string) (*exec.Cmd, string, *syncBuffer) {
	t.Helper()
	cmd := exec.Command(binary(t), "serve")
	cmd.Env = environ(env)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	var logs syncBuffer
	addrCh := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			logs.Write(append(sc.Bytes(), '\n'))
			var line struct{ Msg, Addr string }
			if json.Unmarshal(sc.Bytes(), &line) == nil && line.Msg == "listening" {
				addrCh <- line.Addr
			}
		}
	}()
	select {
	case addr := <-addrCh:
		return cmd, addr, &logs
	case <-time.After(30 * time.Second):
		t.Fatalf("server did not start:\n%s", logs.String())
	}
	return nil, "", nil
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestBinaryServesAndStopsOnSIGTERM runs the real binary on each dialect: health, readiness
// and metrics answer, and SIGTERM ends it with status 0.
func TestBinaryServesAndStopsOnSIGTERM(t *testing.T) {
	storetest.DSNs(t, func(t *testing.T, dsn string) {
		env := embeddedEnv(t)
		env["SHOPIFY_API_SECRET"], env["SHOPIFY_API_SECRET_PREVIOUS"] = "shpss_CURRENT_SECRET", "shpss_PREVIOUS_SECRET"
		if strings.HasPrefix(dsn, "postgres") {
			// A password in the URL must be masked in the start-up log (trust auth ignores it).
			env["RITORNO_DATABASE_URL"] = strings.Replace(dsn, "postgres@", "postgres:DB_PASSWORD@", 1)
			env["RITORNO_ENCRYPTION_KEY"] = testKey
		}
		cmd, addr, logs := startServer(t, env)
		for _, path := range []string{"/healthz", "/readyz", "/metrics"} {
			if status, body := get(t, "http://"+addr+path); status != http.StatusOK {
				t.Fatalf("%s = %d %s", path, status, body)
			}
		}
		if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		if err := cmd.Wait(); err != nil {
			t.Fatalf("exit after SIGTERM: %v\n%s", err, logs.String())
		}
		for _, secret := range []string{testKey, "shpss_CURRENT_SECRET", "shpss_PREVIOUS_SECRET", "DB_PASSWORD"} {
			if strings.Contains(logs.String(), secret) {
				t.Fatalf("a secret appears in the log: %s", secret)
			}
		}
		if !strings.Contains(logs.String(), `"shopify_api_secret":"set"`) {
			t.Fatalf("the start-up log does not report the effective configuration:\n%s", logs.String())
		}
	})
}

// TestConcurrentMigrateProcesses starts two migrate processes at once against one
// PostgreSQL database: both must succeed and the schema must be applied once.
func TestConcurrentMigrateProcesses(t *testing.T) {
	dsn := storetest.PostgresDSN(t)
	bin := binary(t)
	env := environ(map[string]string{"RITORNO_DATABASE_URL": dsn, "RITORNO_ENCRYPTION_KEY": testKey})
	type outcome struct {
		out []byte
		err error
	}
	results := make(chan outcome, 2)
	start := make(chan struct{})
	for range 2 {
		go func() {
			<-start
			cmd := exec.Command(bin, "migrate")
			cmd.Env = env
			out, err := cmd.CombinedOutput()
			results <- outcome{out, err}
		}()
	}
	close(start)
	var outputs []string
	for range 2 {
		r := <-results
		if r.err != nil {
			t.Fatalf("a concurrent migrate failed: %v\n%s", r.err, r.out)
		}
		outputs = append(outputs, string(r.out))
	}
	joined := strings.Join(outputs, "")
	if strings.Count(joined, "applied 0001_init") != 1 || strings.Count(joined, "up to date") != 1 {
		t.Fatalf("want one process to apply and one to find the database up to date, got:\n%s", joined)
	}
	cmd := exec.Command(bin, "migrate", "--status")
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	if err != nil || !regexp.MustCompile(`0001\s+init\s+applied`).Match(out) {
		t.Fatalf("migrate --status = %v\n%s", err, out)
	}
}
