//go:build browser

// Package browsertest starts Debian's Chromium for tests (scripts/browser-deps.sh installs
// it; nothing is ever downloaded) and holds the measurements the storefront's browser tests
// share. Built only with -tags browser.
package browsertest

import (
	"context"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// BrowserPath is Debian's Chromium.
const BrowserPath = "/usr/bin/chromium"

// Start starts Chromium with a fresh profile; it skips when the browser is missing,
// unless RITORNO_TEST_REQUIRE_BROWSER=1. It also returns the console messages so far.
func Start(t testing.TB) (context.Context, func() []chromedp.ConsoleMessage) {
	t.Helper()
	if _, err := os.Stat(BrowserPath); err != nil {
		msg := BrowserPath + " is missing: run scripts/browser-deps.sh (Debian package chromium)"
		if os.Getenv("RITORNO_TEST_REQUIRE_BROWSER") == "1" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(BrowserPath),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 1200),
	)
	ctx, cancel := chromedp.NewContext(allocCtx)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	if err := chromedp.Do(ctx); err != nil { // starts the browser, without a deadline (see chromedp.Run)
		t.Fatalf("start %s: %v", BrowserPath, err)
	}
	var mu sync.Mutex
	var messages []chromedp.ConsoleMessage
	go func() {
		for m, err := range chromedp.Console(ctx) {
			if err != nil {
				return
			}
			mu.Lock()
			messages = append(messages, m)
			mu.Unlock()
		}
	}()
	return ctx, func() []chromedp.ConsoleMessage {
		mu.Lock()
		defer mu.Unlock()
		return append([]chromedp.ConsoleMessage(nil), messages...)
	}
}

// Step runs one action with a deadline, failing the test on error.
func Step[T any](t testing.TB, ctx context.Context, what string, a chromedp.Action[T]) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	return v
}

// SettledCLS waits until images have loaded and two frames have been drawn, then sums the
// page's layout shifts (those not caused by input) from the buffered entries.
const SettledCLS = `(async () => {
  await Promise.all([...document.images].map(i => i.complete ? 0 : new Promise(r => { i.onload = i.onerror = r; })));
  await new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
  const po = new PerformanceObserver(() => {});
  po.observe({type: 'layout-shift', buffered: true});
  const entries = po.takeRecords();
  po.disconnect();
  return entries.filter(e => !e.hadRecentInput).reduce((sum, e) => sum + e.value, 0);
})()`

// QuietConsole fails on anything the page wrote to the console or threw; the browser's own
// network log (a 404 favicon, the stub's deliberate 500) is not the widget's output.
func QuietConsole(t testing.TB, messages []chromedp.ConsoleMessage) {
	t.Helper()
	for _, m := range messages {
		if m.Source == "network" {
			continue
		}
		t.Errorf("console: %s (%s:%d)", m, m.URL, m.Line)
	}
}
