//go:build !js

package shared_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestStandardLibraryOnly keeps shared compilable for the browser and free of
// server code: it may import nothing outside the standard library.
func TestStandardLibraryOnly(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", "natter/shared").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, dep := range strings.Fields(string(out)) {
		if dep != "natter/shared" {
			t.Errorf("shared depends on %s; it must use the standard library only", dep)
		}
	}
}
