package storefront

import (
	"bytes"
	"encoding/json"
	"io/fs"
	"os"
	"path"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/BurntSushi/toml"
)

// themeExtension is the Shopify theme app extension that ships the widget to Online Store 2.0
// themes.
const themeExtension = "../extensions/ritorno-recommendations"

// themeLayout is Shopify CLI's rule for a theme extension (reference §8.1, from the CLI's
// theme specification): which folders may exist and which files each may hold.
var themeLayout = map[string][]string{
	"assets":   {".jpg", ".jpeg", ".json", ".js", ".css", ".png", ".svg", ".wasm"},
	"blocks":   {".liquid"},
	"snippets": {".liquid"},
	"locales":  {".json"},
}

const (
	themeMaxBytes  = 10 << 20  // the whole extension
	themeMaxLiquid = 500 << 10 // blocks and snippets together
)

type blockSchema struct {
	Name       string `json:"name"`
	Target     string `json:"target"`
	JavaScript string `json:"javascript"`
	Stylesheet string `json:"stylesheet"`
	EnabledOn  *struct {
		Templates []string `json:"templates"`
	} `json:"enabled_on"`
	Settings []blockSetting `json:"settings"`
}

type blockSetting struct {
	Type    string          `json:"type"`
	ID      string          `json:"id"`
	Label   string          `json:"label"`
	Info    string          `json:"info"`
	Default json.RawMessage `json:"default"`
	Min     *float64        `json:"min"`
	Max     *float64        `json:"max"`
	Step    *float64        `json:"step"`
	Unit    string          `json:"unit"`
}

var schemaTag = regexp.MustCompile(`(?s)\{%-?\s*schema\s*-?%\}(.*?)\{%-?\s*endschema\s*-?%\}`)

func mustBlockSchema(t *testing.T, liquid []byte) blockSchema {
	t.Helper()
	m := schemaTag.FindAllSubmatch(liquid, -1)
	if len(m) != 1 {
		t.Fatalf("want exactly one {%% schema %%} tag, found %d", len(m))
	}
	dec := json.NewDecoder(bytes.NewReader(m[0][1]))
	dec.DisallowUnknownFields() // a misspelt key would be silently ignored by Shopify
	var s blockSchema
	if err := dec.Decode(&s); err != nil {
		t.Fatalf("schema is not valid JSON of a block: %v", err)
	}
	return s
}

func TestThemeExtensionConfig(t *testing.T) {
	var cfg struct {
		Name string `toml:"name"`
		Type string `toml:"type"`
	}
	md, err := toml.DecodeFile(themeExtension+"/shopify.extension.toml", &cfg)
	if err != nil {
		t.Fatalf("shopify.extension.toml does not parse: %v", err)
	}
	if u := md.Undecoded(); len(u) > 0 {
		t.Errorf("shopify.extension.toml has keys this test does not know: %v", u)
	}
	if cfg.Type != "theme" {
		t.Errorf("type = %q, want theme", cfg.Type)
	}
	if cfg.Name == "" || len(cfg.Name) > 30 {
		t.Errorf("name %q: required, at most 30 characters", cfg.Name)
	}
}

func TestThemeExtensionLayout(t *testing.T) {
	var total, liquid int64
	err := fs.WalkDir(os.DirFS(themeExtension), ".", func(p string, e fs.DirEntry, err error) error {
		if err != nil || p == "." {
			return err
		}
		dir, _, nested := strings.Cut(p, "/")
		if e.IsDir() {
			if _, ok := themeLayout[p]; !ok {
				t.Errorf("folder %s is not allowed in a theme extension (only assets, blocks, snippets, locales, one level deep)", p)
			}
			return nil
		}
		info, err := e.Info()
		if err != nil {
			return err
		}
		total += info.Size()
		if !nested {
			if p != "shopify.extension.toml" {
				t.Errorf("file %s is not allowed at the top of a theme extension", p)
			}
			return nil
		}
		if !slices.Contains(themeLayout[dir], strings.ToLower(path.Ext(p))) {
			t.Errorf("%s: %s may only hold %v", p, dir, themeLayout[dir])
		}
		if dir == "blocks" || dir == "snippets" {
			liquid += info.Size()
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("theme extension: %d bytes, of which Liquid %d", total, liquid)
	if total > themeMaxBytes || liquid > themeMaxLiquid {
		t.Errorf("extension %d bytes (max %d), Liquid %d bytes (max %d)", total, themeMaxBytes, liquid, themeMaxLiquid)
	}
}

// TestThemeExtensionBlocks checks each app block: its schema, that it loads the widget, that
// it talks to the app proxy that shopify.app.toml declares, and that its output is escaped.
func TestThemeExtensionBlocks(t *testing.T) {
	var app struct {
		AppProxy struct{ Prefix, Subpath string } `toml:"app_proxy"`
	}
	if _, err := toml.DecodeFile("../shopify.app.toml", &app); err != nil {
		t.Fatal(err)
	}
	proxy := app.AppProxy.Prefix + "/" + app.AppProxy.Subpath + "/"
	var locales map[string]any
	if b, err := os.ReadFile(themeExtension + "/locales/en.default.json"); err != nil {
		t.Fatal(err)
	} else if err := json.Unmarshal(b, &locales); err != nil {
		t.Fatalf("locales/en.default.json: %v", err)
	}

	cases := []struct {
		file, template, placement string
	}{
		{"product_recommendations.liquid", "product", "product"},
		{"cart_recommendations.liquid", "cart", "cart"},
	}
	for _, tc := range cases {
		t.Run(tc.file, func(t *testing.T) {
			liquid, err := os.ReadFile(themeExtension + "/blocks/" + tc.file)
			if err != nil {
				t.Fatal(err)
			}
			s := mustBlockSchema(t, liquid)
			if s.Name == "" || len(s.Name) > 25 {
				t.Errorf("name %q: required, at most 25 characters", s.Name)
			}
			if s.Target != "section" {
				t.Errorf("target = %q, want section (an app block the merchant places)", s.Target)
			}
			for _, asset := range []string{s.JavaScript, s.Stylesheet} {
				if _, err := os.Stat(themeExtension + "/assets/" + asset); asset == "" || err != nil {
					t.Errorf("asset %q is not in assets/", asset)
				}
			}
			if s.JavaScript != "ritorno.js" || s.Stylesheet != "ritorno.css" {
				t.Errorf("javascript %q, stylesheet %q: want the widget's ritorno.js and ritorno.css", s.JavaScript, s.Stylesheet)
			}
			if s.EnabledOn == nil || !slices.Equal(s.EnabledOn.Templates, []string{tc.template}) {
				t.Errorf("enabled_on should be the %s template", tc.template)
			}
			checkBlockSettings(t, s.Settings)

			body := string(schemaTag.ReplaceAll(liquid, nil))
			for _, want := range []string{
				`class="ritorno-recs"`, `data-platform="shopify"`, `data-placement="` + tc.placement + `"`,
				`'` + proxy + `recommendations'`, `'` + proxy + `events'`, "routes.root_url",
				"shop.currency", "request.locale.iso_code", "block.settings.count", "block.settings.heading",
				`style="min-height: {{ block.settings.height }}px"`, "block.shopify_attributes",
			} {
				if !strings.Contains(body, want) {
					t.Errorf("block does not contain %s", want)
				}
			}
			checkLiquidOutputs(t, body, locales)
		})
	}
}

func checkBlockSettings(t *testing.T, settings []blockSetting) {
	t.Helper()
	byID := map[string]blockSetting{}
	for _, st := range settings {
		if st.ID == "" || st.Label == "" || st.Type == "" {
			t.Errorf("setting %+v lacks id, label or type", st)
		}
		if _, dup := byID[st.ID]; dup {
			t.Errorf("setting id %s twice", st.ID)
		}
		byID[st.ID] = st
		if st.Type != "range" {
			continue
		}
		var def float64
		if st.Min == nil || st.Max == nil || st.Step == nil || json.Unmarshal(st.Default, &def) != nil {
			t.Errorf("range %s needs min, max, step and a numeric default", st.ID)
			continue
		}
		// Shopify refuses a range with more than 101 steps or a default outside it.
		if steps := (*st.Max - *st.Min) / *st.Step; steps > 101 || steps < 1 || def < *st.Min || def > *st.Max {
			t.Errorf("range %s: %v..%v step %v default %v is not a valid Shopify range", st.ID, *st.Min, *st.Max, *st.Step, def)
		}
	}
	want := []struct {
		id, typ  string
		min, max float64 // ranges only
	}{
		{"heading", "text", 0, 0},
		{"count", "range", 2, 8},
		{"height", "range", 100, 1000},
	}
	for _, w := range want {
		st, ok := byID[w.id]
		switch {
		case !ok:
			t.Errorf("setting %s is missing", w.id)
		case st.Type != w.typ:
			t.Errorf("setting %s is a %s, want %s", w.id, st.Type, w.typ)
		case w.typ == "range" && w.id == "count" && (*st.Min != w.min || *st.Max != w.max):
			t.Errorf("count ranges %v..%v, want 2..8", *st.Min, *st.Max)
		case w.typ == "range" && (*st.Min < w.min || *st.Max > w.max):
			t.Errorf("setting %s ranges %v..%v, outside %v..%v", w.id, *st.Min, *st.Max, w.min, w.max)
		}
	}
}

// checkLiquidOutputs requires every {{ output }} to be escaped unless it is a number or
// Shopify's own editor attributes, and every translation key to exist.
func checkLiquidOutputs(t *testing.T, body string, locales map[string]any) {
	t.Helper()
	safe := map[string]bool{"product.id": true, "block.settings.count": true, "block.settings.height": true,
		"block.shopify_attributes": true}
	for _, m := range regexp.MustCompile(`\{\{-?\s*(.*?)\s*-?\}\}`).FindAllStringSubmatch(body, -1) {
		expr := m[1]
		if !safe[expr] && !regexp.MustCompile(`\|\s*escape\s*$`).MatchString(expr) {
			t.Errorf("output {{ %s }} is not escaped", expr)
		}
		if k := regexp.MustCompile(`^'([a-z_.]+)'\s*\|\s*t\b`).FindStringSubmatch(expr); k != nil {
			var v any = locales
			for _, part := range strings.Split(k[1], ".") {
				obj, _ := v.(map[string]any)
				v = obj[part]
			}
			if s, ok := v.(string); !ok || s == "" {
				t.Errorf("translation %s is missing from locales/en.default.json", k[1])
			}
		}
	}
}
