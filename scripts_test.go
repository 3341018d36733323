package ritorno_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// aptCall is a direct package install or list refresh.
var aptCall = regexp.MustCompile(`\bapt(-get)?\s+(-\S+\s+)*(install|update)\b`)

// Every script installs through scripts/apt-install.sh, which waits for the dpkg and apt
// locks: a direct apt-get failed on a lock held by another script (php-check.sh beside
// browser-deps.sh).
func TestScriptsInstallThroughOneHelper(t *testing.T) {
	files, err := filepath.Glob("scripts/*.sh")
	if err != nil {
		t.Fatal(err)
	}
	files = append(files, ".ci/run", "Makefile", "Dockerfile")
	for _, path := range files {
		if path == filepath.Join("scripts", "apt-install.sh") {
			continue
		}
		raw, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		for i, line := range strings.Split(string(raw), "\n") {
			if strings.HasPrefix(strings.TrimSpace(line), "#") {
				continue
			}
			if aptCall.MatchString(line) {
				t.Errorf("%s:%d calls apt directly: use scripts/apt-install.sh PKG...", path, i+1)
			}
		}
	}
	helper, err := os.ReadFile(filepath.Join("scripts", "apt-install.sh"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(helper), "DPkg::Lock::Timeout") {
		t.Error("scripts/apt-install.sh must wait for the dpkg lock (DPkg::Lock::Timeout)")
	}
}
