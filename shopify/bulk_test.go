package shopify_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/ritorno/ritorno"
	"github.com/ritorno/ritorno/shopify"
)

func TestRunBulkQuery(t *testing.T) {
	f, _, c := newGraphQL(t,
		ok(`{"bulkOperationRunQuery":{"bulkOperation":{"id":"gid://shopify/BulkOperation/720918","status":"CREATED"},"userErrors":[]}}`, costJSON(10, 990, 2000, 100)),
		ok(`{"bulkOperationRunQuery":{"bulkOperation":null,"userErrors":[{"field":null,"message":"A bulk query operation for this app and shop is already in progress: gid://shopify/BulkOperation/720918."}]}}`, costJSON(10, 980, 2000, 100)),
	)
	id, err := shopify.RunBulkQuery(context.Background(), c, shopify.BulkOrdersQuery)
	if err != nil || id != "gid://shopify/BulkOperation/720918" {
		t.Fatalf("id %q, %v", id, err)
	}
	req := f.calls()[0]
	if req.Variables["query"] != shopify.BulkOrdersQuery || !strings.Contains(req.Query, "bulkOperationRunQuery(query: $query, groupObjects: false)") {
		t.Fatalf("request %+v", req)
	}
	_, err = shopify.RunBulkQuery(context.Background(), c, shopify.BulkOrdersQuery)
	if ritorno.ErrorCode(err) != ritorno.EINVALID || !strings.Contains(ritorno.ErrorMessage(err), "already in progress") {
		t.Fatalf("user error: %v", err)
	}
}

func bulkNode(status, extra string) func(http.ResponseWriter) {
	return ok(fmt.Sprintf(`{"node":{"id":"gid://shopify/BulkOperation/1","status":%q,"errorCode":null,"objectCount":"0","url":null,"partialDataUrl":null%s}}`, status, extra), costJSON(1, 1000, 2000, 100))
}

func TestBulkOperationAndWait(t *testing.T) {
	f, clk, c := newGraphQL(t,
		bulkNode("CREATED", ""),
		bulkNode("RUNNING", `,"objectCount":"1200"`),
		bulkNode("COMPLETED", `,"objectCount":"12345","url":"https://storage.example/bulk.jsonl"`),
	)
	st, err := shopify.WaitBulk(context.Background(), c, "gid://shopify/BulkOperation/1", 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	want := shopify.BulkStatus{ID: "gid://shopify/BulkOperation/1", Status: "COMPLETED", ObjectCount: 12345, URL: "https://storage.example/bulk.jsonl"}
	if st != want {
		t.Fatalf("got %+v, want %+v", st, want)
	}
	if got := clk.waits(); !reflect.DeepEqual(got, []time.Duration{2 * time.Second, 2 * time.Second}) {
		t.Fatalf("waits %v", got)
	}
	if v := f.calls()[0].Variables["id"]; v != "gid://shopify/BulkOperation/1" {
		t.Fatalf("id variable %v", v)
	}
}

func TestWaitBulkFailures(t *testing.T) {
	cases := []struct {
		name string
		step func(http.ResponseWriter)
		code string
	}{
		{"access denied", bulkNode("FAILED", `,"errorCode":"ACCESS_DENIED","partialDataUrl":"https://storage.example/partial.jsonl"`), ritorno.EFORBIDDEN},
		{"timeout", bulkNode("FAILED", `,"errorCode":"TIMEOUT"`), ritorno.EUNAVAILABLE},
		{"canceled", bulkNode("CANCELED", ""), ritorno.EUNAVAILABLE},
		{"expired", bulkNode("EXPIRED", ""), ritorno.EUNAVAILABLE},
		{"unknown id", ok(`{"node":null}`, `{}`), ritorno.ENOTFOUND},
	}
	for _, tc := range cases {
		_, _, c := newGraphQL(t, tc.step)
		st, err := shopify.WaitBulk(context.Background(), c, "gid://shopify/BulkOperation/1", time.Second)
		if ritorno.ErrorCode(err) != tc.code {
			t.Errorf("%s: %v, want %s", tc.name, err, tc.code)
		}
		if tc.name == "access denied" && (st.ErrorCode != "ACCESS_DENIED" || st.PartialDataURL == "") {
			t.Errorf("%s: status %+v", tc.name, st)
		}
	}
}

type bulkLine struct {
	ID, Parent string
	Keys       []string
}

func readAll(t *testing.T, r io.Reader) ([]bulkLine, error) {
	t.Helper()
	var got []bulkLine
	err := shopify.ReadBulkJSONL(r, func(obj map[string]json.RawMessage, parentID string) error {
		var id string
		json.Unmarshal(obj["id"], &id)
		var keys []string
		for k := range obj {
			keys = append(keys, k)
		}
		got = append(got, bulkLine{ID: id, Parent: parentID, Keys: keys})
		return nil
	})
	return got, err
}

func TestReadBulkJSONL(t *testing.T) {
	// A child may come before or after its parent, and not right after it.
	long := strings.Repeat("x", 1<<20)
	in := strings.Join([]string{
		`{"id":"gid://shopify/LineItem/9","__parentId":"gid://shopify/Order/2"}`,
		`{"id":"gid://shopify/Order/1","name":"#1001"}`,
		`{"id":"gid://shopify/Order/2","name":"#1002"}`,
		``,
		`{"id":"gid://shopify/LineItem/11","title":"` + long + `","__parentId":"gid://shopify/Order/1"}`,
		"{\"id\":\"gid://shopify/LineItem/12\",\"__parentId\":\"gid://shopify/Order/2\"}\r",
	}, "\n") + "\n"
	got, err := readAll(t, strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	want := []bulkLine{
		{"gid://shopify/LineItem/9", "gid://shopify/Order/2", []string{"id"}},
		{"gid://shopify/Order/1", "", nil},
		{"gid://shopify/Order/2", "", nil},
		{"gid://shopify/LineItem/11", "gid://shopify/Order/1", nil},
		{"gid://shopify/LineItem/12", "gid://shopify/Order/2", []string{"id"}},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d objects, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i].ID != want[i].ID || got[i].Parent != want[i].Parent {
			t.Errorf("object %d: %+v, want %+v", i, got[i], want[i])
		}
		for _, k := range got[i].Keys {
			if k == "__parentId" {
				t.Errorf("object %d still has __parentId", i)
			}
		}
	}
}

// chunked yields its input a few bytes at a time, as a network body does.
type chunked struct{ r io.Reader }

func (c chunked) Read(p []byte) (int, error) { return c.r.Read(p[:min(len(p), 7)]) }

func TestReadBulkJSONLErrors(t *testing.T) {
	_, err := readAll(t, chunked{strings.NewReader("{\"id\":\"a\"}\n{\"id\":\"b\"}\n{\"id\": oops}\n{\"id\":\"c\"}\n")})
	if ritorno.ErrorCode(err) != ritorno.EINVALID || !strings.Contains(ritorno.ErrorMessage(err), "line 3") {
		t.Fatalf("malformed line: %v", err)
	}
	for _, bad := range []string{`[1,2]`, `"text"`, `null`, `{"id":"a","__parentId":7}`} {
		if _, err := readAll(t, strings.NewReader(bad+"\n")); ritorno.ErrorCode(err) != ritorno.EINVALID {
			t.Errorf("%s: %v", bad, err)
		}
	}
	huge := `{"id":"` + strings.Repeat("y", shopify.MaxBulkLine) + `"}`
	_, err = readAll(t, strings.NewReader("{\"id\":\"a\"}\n"+huge+"\n"))
	if ritorno.ErrorCode(err) != ritorno.EINVALID || !strings.Contains(ritorno.ErrorMessage(err), "line 2") {
		t.Fatalf("over-long line: %v", err)
	}
	// fn's error stops the read and keeps its code.
	stop := ritorno.Errorf(ritorno.ECONFLICT, "stop")
	err = shopify.ReadBulkJSONL(strings.NewReader("{}\n{}\n"), func(map[string]json.RawMessage, string) error { return stop })
	if !errors.Is(err, stop) || !strings.Contains(err.Error(), "line 1") {
		t.Fatalf("fn error: %v", err)
	}
	// A broken download is EUNAVAILABLE and keeps its cause.
	broken := io.MultiReader(strings.NewReader("{}\n"), errReader{io.ErrUnexpectedEOF})
	err = shopify.ReadBulkJSONL(broken, func(map[string]json.RawMessage, string) error { return nil })
	if ritorno.ErrorCode(err) != ritorno.EUNAVAILABLE || !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("broken reader: %v", err)
	}
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

// field is a node of a parsed selection set.
type field struct {
	name     string
	children []*field
}

func (f *field) child(name string) *field {
	for _, c := range f.children {
		if c.name == name {
			return c
		}
	}
	return nil
}

// parseSelection parses the selection sets of a bulk query (names, arguments, braces);
// enough to check the bulk rules, not a GraphQL parser.
func parseSelection(t *testing.T, q string) *field {
	t.Helper()
	root := &field{name: "query"}
	stack := []*field{root}
	var last *field
	for i := 0; i < len(q); i++ {
		switch ch := q[i]; {
		case ch == '{':
			if last == nil {
				last = root
				if len(stack) > 1 {
					t.Fatalf("selection without a field at %d", i)
				}
				continue
			}
			stack = append(stack, last)
		case ch == '}':
			if len(stack) == 1 {
				continue // the closing brace of the operation
			}
			stack = stack[:len(stack)-1]
		case ch == '(':
			for q[i] != ')' {
				i++
			}
		case ch == '_' || ch >= 'a' && ch <= 'z' || ch >= 'A' && ch <= 'Z':
			j := i
			for j < len(q) && (q[j] == '_' || q[j] >= 'a' && q[j] <= 'z' || q[j] >= 'A' && q[j] <= 'Z' || q[j] >= '0' && q[j] <= '9') {
				j++
			}
			last = &field{name: q[i:j]}
			parent := stack[len(stack)-1]
			parent.children = append(parent.children, last)
			i = j - 1
		}
	}
	if len(stack) != 1 {
		t.Fatalf("unbalanced braces")
	}
	return root
}

// bulkViolations lists how a parsed bulk query breaks Shopify's bulk rules: 1 to 5
// connections, nested at most 2 deep, read through edges { node }, each node selecting
// id, and no connection inside a list field.
func bulkViolations(root *field) []string {
	// Fields known to be lists (not connections) in the Admin schema.
	lists := map[string]bool{"refunds": true}
	var out []string
	connections, maxDepth := 0, 0
	var walk func(f *field, depth int, inList bool)
	walk = func(f *field, depth int, inList bool) {
		for _, c := range f.children {
			if c.child("nodes") != nil {
				out = append(out, c.name+" selects nodes, not edges { node }")
			}
			edges := c.child("edges")
			if edges == nil || edges.child("node") == nil {
				walk(c, depth, inList || lists[c.name])
				continue
			}
			connections++
			if inList {
				out = append(out, "connection "+c.name+" inside a list field")
			}
			node := edges.child("node")
			if node.child("id") == nil {
				out = append(out, c.name+" nodes do not select id")
			}
			maxDepth = max(maxDepth, depth+1)
			walk(node, depth+1, false)
		}
	}
	walk(root, 0, false)
	if connections < 1 || connections > 5 {
		out = append(out, fmt.Sprintf("%d connections", connections))
	}
	if maxDepth > 2 {
		out = append(out, fmt.Sprintf("connections nested %d deep", maxDepth))
	}
	return out
}

func TestBulkQueriesFollowTheBulkRules(t *testing.T) {
	for name, q := range map[string]string{
		"products": shopify.BulkProductsQuery, "customers": shopify.BulkCustomersQuery, "orders": shopify.BulkOrdersQuery,
	} {
		if v := bulkViolations(parseSelection(t, q)); len(v) > 0 {
			t.Errorf("%s: %v", name, v)
		}
	}
	// The checker catches the shapes Shopify refuses.
	for _, bad := range []string{
		`{ orders { edges { node { id refunds { refundLineItems { edges { node { quantity } } } } } } } }`,
		`{ products { nodes { id } } }`,
		`{ products { edges { node { title variants { edges { node { id } } } } } } }`,
		`{ collections { edges { node { id products { edges { node { id variants { edges { node { id } } } } } } } } } }`,
		`{ shop { name } }`,
	} {
		if v := bulkViolations(parseSelection(t, bad)); len(v) == 0 {
			t.Errorf("checker accepted %s", bad)
		}
	}
}
