package shopifytest

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// orderWindow is how far back orders export without the read_all_orders scope.
const orderWindow = 60 * 24 * time.Hour

// bulkOp is one bulk query operation. Its result is rendered when it starts, so what it
// exports is the shop's data at that moment.
type bulkOp struct {
	gid         string
	status      string // CREATED, RUNNING, COMPLETED, FAILED
	errorCode   string
	failWith    string // errorCode to fail with when it ends; "" completes
	polls       int
	createdAt   time.Time
	completedAt time.Time
	body        []byte
	objects     int // lines, children included (Shopify's objectCount)
	roots       int
	url         string
}

func (op *bulkOp) running() bool { return op.status == "CREATED" || op.status == "RUNNING" }

// FailBulk makes the shop's next bulk operation end FAILED with errorCode (ACCESS_DENIED,
// INTERNAL_SERVER_ERROR, TIMEOUT) instead of COMPLETED.
func (s *Server) FailBulk(domain, errorCode string) {
	s.withShop("FailBulk", domain, func(sh *shop) { sh.failBulk = errorCode })
}

// FinishBulk ends the shop's bulk operation in progress now, without waiting for polls (for
// an app that waits for the bulk_operations/finish webhook), and returns its id; "" when
// none is running.
func (s *Server) FinishBulk(domain string) string {
	var id string
	s.withShop("FinishBulk", domain, func(sh *shop) {
		if op := sh.current; op != nil {
			s.finish(sh, op)
			id = op.gid
		}
	})
	return id
}

// runBulk answers bulkOperationRunQuery. Like Shopify before API 2026-01, a shop runs one
// bulk query at a time. Call with mu held.
func (s *Server) runBulk(sh *shop, vars map[string]any) (map[string]any, []map[string]any) {
	query, _ := vars["query"].(string)
	if query == "" {
		return nil, gqlError("Variable $query of type String! was provided invalid value", "INVALID_VARIABLE")
	}
	refuse := func(field []string, message string) (map[string]any, []map[string]any) {
		var f any
		if field != nil {
			f = field
		}
		return map[string]any{"bulkOperationRunQuery": map[string]any{
			"bulkOperation": nil,
			"userErrors":    []map[string]any{{"field": f, "message": message}},
		}}, nil
	}
	if op := sh.current; op != nil {
		return refuse(nil, "A bulk query operation for this app and shop is already in progress: "+op.gid+".")
	}
	root := bulkRoot(query)
	if root != "products" && root != "customers" && root != "orders" {
		return refuse([]string{"query"}, "Invalid bulk query: shopifytest exports products, customers or orders")
	}
	s.serial++
	now := s.now()
	op := &bulkOp{gid: gid("BulkOperation", 4400000000+s.serial), status: "CREATED", createdAt: now, failWith: sh.failBulk}
	sh.failBulk = ""
	entries := s.export(sh, root)
	op.body, op.objects = interleave(entries, rand.New(rand.NewPCG(sh.opts.Seed, uint64(s.serial))))
	op.roots = len(entries)
	sh.bulk = append(sh.bulk, op)
	sh.current = op
	s.stats.BulkStarted++
	return map[string]any{"bulkOperationRunQuery": map[string]any{
		"bulkOperation": map[string]any{"id": op.gid, "status": op.status},
		"userErrors":    []map[string]any{},
	}}, nil
}

// bulkRoot is the first field of a bulk query ("orders" in "{ orders { edges … } }").
func bulkRoot(query string) string {
	_, rest, ok := strings.Cut(query, "{")
	if !ok {
		return ""
	}
	rest = strings.TrimSpace(rest)
	end := strings.IndexFunc(rest, func(r rune) bool {
		return !(r == '_' || 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9')
	})
	if end < 0 {
		return rest
	}
	return rest[:end]
}

// pollBulk answers a status poll of op, which moves it on: RUNNING, then after BulkPolls
// polls its end. Call with mu held.
func (s *Server) pollBulk(sh *shop, op *bulkOp) map[string]any {
	if op.running() {
		op.polls++
		if op.polls >= sh.opts.BulkPolls {
			s.finish(sh, op)
		} else {
			op.status = "RUNNING"
		}
	}
	n := map[string]any{
		"id": op.gid, "status": op.status, "errorCode": orNil(op.errorCode),
		"objectCount": "0", "rootObjectCount": "0", "fileSize": nil,
		"url": orNil(op.url), "partialDataUrl": nil,
		"createdAt": ts(op.createdAt), "completedAt": ts(op.completedAt), "type": "QUERY",
	}
	if op.status == "COMPLETED" {
		n["objectCount"], n["rootObjectCount"] = strconv.Itoa(op.objects), strconv.Itoa(op.roots)
		if op.url != "" {
			n["fileSize"] = strconv.Itoa(len(op.body))
		}
	}
	return n
}

// finish ends op, publishes its result (Shopify gives no url when nothing matched) and
// sends bulk_operations/finish to the webhook URL, if one is set. Call with mu held.
func (s *Server) finish(sh *shop, op *bulkOp) {
	op.completedAt = s.now()
	if op.failWith != "" {
		op.status, op.errorCode = "FAILED", op.failWith
	} else {
		op.status = "COMPLETED"
		if op.objects > 0 {
			name := randomHex(16) + ".jsonl"
			s.results[name] = op.body
			op.url = s.URL + "/bulk/" + name
		}
	}
	if sh.current == op {
		sh.current = nil
	}
	if s.webhookURL == "" {
		return
	}
	payload, _ := json.Marshal(map[string]any{
		"admin_graphql_api_id": op.gid,
		"completed_at":         ts(op.completedAt),
		"created_at":           ts(op.createdAt),
		"error_code":           orNil(strings.ToLower(op.errorCode)),
		"status":               strings.ToLower(op.status),
		"type":                 "query",
	})
	// Sent apart from the request that ended the operation, as Shopify does; New's
	// cleanup waits for it.
	target, domain := s.webhookURL, sh.domain
	s.wg.Go(func() { s.deliver(target, domain, "bulk_operations/finish", payload) })
}

// handleBulkResult serves a finished operation's JSONL, as Shopify's storage URL would.
func (s *Server) handleBulkResult(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	body, ok := s.results[r.PathValue("file")]
	if ok {
		s.stats.BulkDownloads++
	}
	s.mu.Unlock()
	if !ok {
		http.Error(w, "NoSuchKey", http.StatusNotFound)
		return
	}
	w.Header().Set("Content-Type", "application/jsonl")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.Write(body)
}

// entry is one exported object as a JSONL line, with its children's lines.
type entry struct {
	line     []byte
	children [][]byte
}

// export renders the shop's objects under root, ungrouped: each child a line of its own
// with __parentId. Call with mu held.
func (s *Server) export(sh *shop, root string) []entry {
	var out []entry
	switch root {
	case "products":
		for _, p := range sh.opts.Products {
			if !p.DeletedAt.IsZero() {
				continue
			}
			e := entry{line: jsonLine(productJSON(p), "")}
			parent := gid("Product", p.PlatformID)
			for _, v := range p.Variants {
				e.children = append(e.children, jsonLine(variantJSON(v, sh.opts.Currency), parent))
			}
			out = append(out, e)
		}
	case "customers":
		for _, c := range sh.opts.Customers {
			if c.DeletedAt.IsZero() {
				out = append(out, entry{line: jsonLine(customerJSON(c), "")})
			}
		}
	case "orders":
		for _, o := range s.visibleOrders(sh) {
			cur := sh.currency(o)
			e := entry{line: jsonLine(orderJSON(o, cur), "")}
			parent := gid("Order", o.PlatformID)
			for _, li := range o.LineItems {
				e.children = append(e.children, jsonLine(lineItemJSON(li, cur), parent))
			}
			out = append(out, e)
		}
	}
	return out
}

// visibleOrders are the orders the app may read: not deleted, and placed within the last
// 60 days unless the shop granted read_all_orders (protocols §3.2). Call with mu held.
func (s *Server) visibleOrders(sh *shop) []Order {
	all := sh.hasScope("read_all_orders")
	since := s.now().Add(-orderWindow)
	var out []Order
	for _, o := range sh.opts.Orders {
		if o.DeletedAt.IsZero() && (all || !o.PlacedAt().Before(since)) {
			out = append(out, o)
		}
	}
	return out
}

// currency is the currency an order's amounts are in: its own, else the shop's.
func (sh *shop) currency(o Order) string {
	if o.Currency != "" {
		return o.Currency
	}
	return sh.opts.Currency
}

// interleave writes the entries as JSONL with every child after its parent but apart
// from it: a parent's children become eligible only once the next parent is out, and
// each step emits a random number of eligible children, so readers that assume
// adjacency fail. It returns the file and its line count.
func interleave(entries []entry, rng *rand.Rand) ([]byte, int) {
	var buf bytes.Buffer
	lines := 0
	var pool, pending [][]byte
	take := func(k int) {
		for ; k > 0 && len(pool) > 0; k-- {
			i := rng.IntN(len(pool))
			buf.Write(pool[i])
			buf.WriteByte('\n')
			lines++
			pool[i] = pool[len(pool)-1]
			pool = pool[:len(pool)-1]
		}
	}
	for _, e := range entries {
		buf.Write(e.line)
		buf.WriteByte('\n')
		lines++
		pool = append(pool, pending...)
		pending = e.children
		take(rng.IntN(len(pool) + 1))
	}
	pool = append(pool, pending...)
	take(len(pool))
	return buf.Bytes(), lines
}

// jsonLine renders obj as one line, with __parentId last as Shopify writes it.
func jsonLine(obj map[string]any, parent string) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.Encode(obj) // maps of strings, numbers and times' strings cannot fail
	b := bytes.TrimRight(buf.Bytes(), "\n")
	if parent == "" {
		return b
	}
	p, _ := json.Marshal(parent)
	return append(append(append(b[:len(b)-1], `,"__parentId":`...), p...), '}')
}

// gid is a Shopify global id.
func gid(kind string, id int64) string {
	return "gid://shopify/" + kind + "/" + strconv.FormatInt(id, 10)
}
