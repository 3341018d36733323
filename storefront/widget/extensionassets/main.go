// Command extensionassets copies the widget (storefront/widget/, the one source) into the
// Shopify theme app extension, which must ship its own copy of its assets. It is run by
// `go generate ./storefront` from the storefront folder; TestThemeExtensionAssetsMatchWidget
// fails when the copies differ.
package main

import (
	"fmt"
	"os"
	"path/filepath"
)

// Paths are relative to the storefront folder, where go generate runs the command.
const (
	source = "widget"
	target = "../extensions/ritorno-recommendations/assets"
)

func main() {
	for _, name := range []string{"ritorno.js", "ritorno.css"} {
		b, err := os.ReadFile(filepath.Join(source, name))
		if err == nil {
			err = os.WriteFile(filepath.Join(target, name), b, 0o644)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "extensionassets:", err)
			os.Exit(1)
		}
	}
}
