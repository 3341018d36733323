package ritorno_test

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/moby/buildkit/frontend/dockerfile/parser"
)

// No Docker engine runs in CI, so the Dockerfile is checked by parsing it with buildkit's
// own parser and checking what a build would need.
func TestDockerfile(t *testing.T) {
	f, err := os.Open("Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	res, err := parser.Parse(f)
	if err != nil {
		t.Fatalf("Dockerfile does not parse: %v", err)
	}
	var stages int
	var user, exposed, healthcheck, cgoOff string
	var lastStageUser string
	var env map[string]string // the runtime stage's ENV
	for _, n := range res.AST.Children {
		args := []string{}
		for a := n.Next; a != nil; a = a.Next {
			args = append(args, a.Value)
		}
		switch strings.ToLower(n.Value) {
		case "from":
			stages++
			lastStageUser = ""
			env = map[string]string{}
		case "env":
			// The parser gives ENV's arguments as name, value, name, value...
			for i := 0; i+1 < len(args); i += 2 {
				env[args[i]] = args[i+1]
			}
		case "user":
			user, lastStageUser = strings.Join(args, " "), strings.Join(args, " ")
		case "expose":
			exposed = strings.Join(args, " ")
		case "healthcheck":
			healthcheck = n.Original
		case "run":
			if strings.Contains(n.Original, "CGO_ENABLED=0") && strings.Contains(n.Original, "go build") {
				cgoOff = n.Original
			}
		case "copy", "add":
			from := false
			for _, fl := range n.Flags {
				from = from || strings.HasPrefix(fl, "--from=")
			}
			if from || len(args) < 2 {
				continue
			}
			for _, src := range args[:len(args)-1] {
				matches, err := filepath.Glob(filepath.Clean(src))
				if err != nil || len(matches) == 0 {
					t.Errorf("line %d copies %q, which does not exist in the repository", n.StartLine, src)
				}
			}
		}
	}
	if stages < 2 {
		t.Errorf("want a multi-stage build, found %d stage(s)", stages)
	}
	if lastStageUser == "" || strings.HasPrefix(lastStageUser, "root") || strings.HasPrefix(lastStageUser, "0") {
		t.Errorf("the runtime stage must run as a non-root user, USER is %q", user)
	}
	if exposed == "" || healthcheck == "" {
		t.Errorf("EXPOSE (%q) and HEALTHCHECK (%q) are required", exposed, healthcheck)
	}
	if !strings.Contains(healthcheck, "healthcheck") {
		t.Errorf("HEALTHCHECK must run the binary's own probe (no shell in the image): %s", healthcheck)
	}
	// The demo shop's pages are public: a container is a deployment, so the demo is off there
	// unless the operator turns it on (RITORNO_DEMO's "auto" would turn it on with /data).
	if v, ok := env["RITORNO_DEMO"]; !ok || strings.ToLower(v) != "false" {
		t.Errorf("the runtime stage must set ENV RITORNO_DEMO=false (got %q, set %v)", v, ok)
	}
	if cgoOff == "" {
		t.Error("the binary must be built with CGO_ENABLED=0 (static, no libc in the runtime image)")
	}
}

// The build context must keep what the Dockerfile copies.
func TestDockerignoreKeepsTheSources(t *testing.T) {
	f, err := os.Open(".dockerignore")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		for _, needed := range []string{"go.mod", "go.sum", "cmd", "migrations", "*.go", "."} {
			if line == needed || line == "/"+needed {
				t.Errorf(".dockerignore excludes %s, which the build needs", needed)
			}
		}
	}
}
