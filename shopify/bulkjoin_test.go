package shopify

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"reflect"
	"runtime"
	"strings"
	"testing"

	"github.com/ritorno/ritorno"
)

// These tests sit inside the package to turn the read-buffer size and the line limit
// down (readBulkReverse's knobs) so that lines cross buffer boundaries everywhere.

// emission is what fn got for one root: ids only, plus the resume offset.
type emission struct {
	Root     string
	Offset   int64
	Children []string
	Resume   int64
}

// mustReadReverse reads data[0:end) with the given buffer size and records every root.
func mustReadReverse(t *testing.T, data []byte, end int64, chunk int) []emission {
	t.Helper()
	out, err := readReverse(data, end, chunk, MaxBulkLine)
	if err != nil {
		t.Fatalf("chunk %d, end %d: %v", chunk, end, err)
	}
	return out
}

func readReverse(data []byte, end int64, chunk, maxLine int) ([]emission, error) {
	var out []emission
	err := readBulkReverse(bytes.NewReader(data), end, chunk, maxLine, func(root BulkObject, children []BulkObject, resume int64) error {
		e := emission{Root: root.ID, Offset: root.Offset, Resume: resume}
		if !bytes.HasPrefix(data[root.Offset:], root.Raw) || root.ParentID != "" {
			return fmt.Errorf("root %s: Raw or Offset wrong", root.ID)
		}
		for _, c := range children {
			if !bytes.HasPrefix(data[c.Offset:], c.Raw) {
				return fmt.Errorf("child %s: Raw or Offset wrong", c.ID)
			}
			e.Children = append(e.Children, c.ID)
		}
		out = append(out, e)
		return nil
	})
	return out, err
}

// restartPoints says, for each emission, where a caller continues after it: the resume
// offset and how many roots a restart from there hands over again (the rule BackfillSource
// keeps in its cursor).
func restartPoints(ems []emission, end int64) (offsets []int64, skips []int) {
	prev, run := end, 0
	for _, e := range ems {
		if e.Resume != prev {
			prev, run = e.Resume, 0
		} else {
			run++
		}
		offsets, skips = append(offsets, e.Resume), append(skips, run)
	}
	return offsets, skips
}

// checkResumes restarts from every reported point and wants exactly the roots not yet
// handed over, each with the same children and resume offsets.
func checkResumes(t *testing.T, data []byte, ems []emission, chunk int) {
	t.Helper()
	offsets, skips := restartPoints(ems, int64(len(data)))
	for i := range ems {
		again := mustReadReverse(t, data, offsets[i], chunk)
		if len(again) < skips[i] {
			t.Fatalf("restart after root %d from %d: %d roots, fewer than the %d to skip", i, offsets[i], len(again), skips[i])
		}
		for _, e := range again[:skips[i]] {
			if e.Resume != offsets[i] {
				t.Fatalf("restart after root %d: a skipped root has resume %d, not %d", i, e.Resume, offsets[i])
			}
		}
		if skips[i] == 0 && ems[i].Resume != ems[i].Offset {
			t.Fatalf("root %d: nothing to skip but resume %d is not its offset %d", i, ems[i].Resume, ems[i].Offset)
		}
		got, want := again[skips[i]:], ems[i+1:]
		if len(got) == 0 && len(want) == 0 {
			continue
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("restart after root %d (%s) from %d skipping %d:\n got %v\nwant %v", i, ems[i].Root, offsets[i], skips[i], got, want)
		}
	}
}

func gid(typ string, n int) string { return fmt.Sprintf("gid://shopify/%s/%d", typ, n) }

// bulkFile renders lines of (id, parent) pairs as a bulk result.
func bulkFile(lines [][2]string, eol string) []byte {
	var b strings.Builder
	for _, l := range lines {
		if l[1] == "" {
			fmt.Fprintf(&b, `{"id":%q,"name":"n%d"}%s`, l[0], len(l[0]), eol)
		} else {
			fmt.Fprintf(&b, `{"id":%q,"qty":1,"__parentId":%q}%s`, l[0], l[1], eol)
		}
	}
	return []byte(b.String())
}

var interleaved = [][2]string{
	{gid("Order", 1), ""},
	{gid("Order", 2), ""},
	{gid("LineItem", 11), gid("Order", 1)},
	{gid("LineItem", 21), gid("Order", 2)},
	{gid("Order", 3), ""},
	{gid("LineItem", 12), gid("Order", 1)},
	{gid("LineItem", 31), gid("Order", 3)},
	{gid("LineItem", 22), gid("Order", 2)},
	{gid("Order", 4), ""},
	{gid("LineItem", 41), gid("Order", 4)},
}

func TestReadBulkReverseJoinsInterleavedChildren(t *testing.T) {
	data := bulkFile(interleaved, "\n")
	end := int64(len(data))
	lineStart := func(i int) int64 { return int64(len(bulkFile(interleaved[:i], "\n"))) }
	want := []emission{
		{Root: gid("Order", 4), Offset: lineStart(8), Children: []string{gid("LineItem", 41)}, Resume: lineStart(8)},
		// Order 3 is read while the children of 1 and 2 still wait: not a safe restart point.
		{Root: gid("Order", 3), Offset: lineStart(4), Children: []string{gid("LineItem", 31)}, Resume: lineStart(8)},
		{Root: gid("Order", 2), Offset: lineStart(1), Children: []string{gid("LineItem", 21), gid("LineItem", 22)}, Resume: lineStart(8)},
		{Root: gid("Order", 1), Offset: 0, Children: []string{gid("LineItem", 11), gid("LineItem", 12)}, Resume: 0},
	}
	for chunk := 1; chunk <= len(data)+1; chunk++ {
		got := mustReadReverse(t, data, end, chunk)
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("chunk %d:\n got %v\nwant %v", chunk, got, want)
		}
	}
	checkResumes(t, data, want, 7)

	// The public entry point, and the object fields.
	var first BulkObject
	var kids []BulkObject
	err := ReadBulkReverse(bytes.NewReader(data), end, func(root BulkObject, children []BulkObject, _ int64) error {
		if first.ID == "" {
			first, kids = root, children
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if first.Type != "Order" || first.ParentID != "" || string(first.Raw) != `{"id":"gid://shopify/Order/4","name":"n21"}` ||
		kids[0].Type != "LineItem" || kids[0].ParentID != gid("Order", 4) {
		t.Errorf("objects: %+v %+v", first, kids)
	}
}

func TestReadBulkReverseLineEnds(t *testing.T) {
	reference := mustReadReverse(t, bulkFile(interleaved, "\n"), int64(len(bulkFile(interleaved, "\n"))), 64)
	ids := func(ems []emission) []emission {
		out := make([]emission, len(ems))
		for i, e := range ems {
			out[i] = emission{Root: e.Root, Children: e.Children}
		}
		return out
	}
	crlf := bulkFile(interleaved, "\r\n")
	blanks := []byte("\n\r\n  \n" + strings.ReplaceAll(string(bulkFile(interleaved, "\n")), "\n", "\n\n \t\r\n") + "\n\n")
	noFinalBreak := bytes.TrimSuffix(bulkFile(interleaved, "\n"), []byte("\n"))
	for name, data := range map[string][]byte{"CRLF": crlf, "blank lines": blanks, "no final line break": noFinalBreak} {
		t.Run(name, func(t *testing.T) {
			for _, chunk := range []int{1, 2, 3, 5, 64, 1 << 16} {
				got := mustReadReverse(t, data, int64(len(data)), chunk)
				if !reflect.DeepEqual(ids(got), ids(reference)) {
					t.Fatalf("chunk %d:\n got %v\nwant %v", chunk, got, reference)
				}
				checkResumes(t, data, got, chunk)
			}
		})
	}
}

func TestReadBulkReverseErrors(t *testing.T) {
	good := bulkFile(interleaved, "\n")
	orphan := bulkFile(append([][2]string{{gid("LineItem", 99), gid("Order", 9)}}, interleaved...), "\n")
	childFirst := bulkFile([][2]string{{gid("LineItem", 11), gid("Order", 1)}, {gid("Order", 1), ""}}, "\n")
	grandchildFirst := bulkFile([][2]string{{gid("Order", 1), ""}, {gid("Thing", 111), gid("LineItem", 11)}, {gid("LineItem", 11), gid("Order", 1)}}, "\n")
	cases := []struct {
		name    string
		data    []byte
		maxLine int
		want    string // in the message
	}{
		{"truncated last line", append(append([]byte{}, good...), `{"id":"gid://shopify/Order/5","na`...), MaxBulkLine, fmt.Sprintf("byte %d", len(good))},
		{"not an object", append(append([]byte{}, good...), "[1,2]\n"...), MaxBulkLine, "not a JSON object"},
		{"null line", append([]byte("null\n"), good...), MaxBulkLine, "byte 0 is not a JSON object"},
		{"id not a string", append([]byte(`{"id":5}`+"\n"), good...), MaxBulkLine, "not a JSON object with string ids"},
		{"orphan", orphan, MaxBulkLine, "line 1 (byte 0) is a child whose parent is not before it"},
		{"child before its parent", childFirst, MaxBulkLine, "line 1 (byte 0)"},
		{"grandchild before its parent", grandchildFirst, MaxBulkLine, "line 2"},
		{"line too long", good, 40, "longer than 40 bytes"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for _, chunk := range []int{3, 1 << 16} {
				_, err := readReverse(tc.data, int64(len(tc.data)), chunk, tc.maxLine)
				if ritorno.ErrorCode(err) != ritorno.EINVALID || !strings.Contains(ritorno.ErrorMessage(err), tc.want) {
					t.Fatalf("chunk %d: %v, want EINVALID with %q", chunk, err, tc.want)
				}
			}
		})
	}
	// A line of exactly the limit is fine.
	longest := 0
	for _, l := range strings.Split(string(good), "\n") {
		longest = max(longest, len(l))
	}
	if _, err := readReverse(good, int64(len(good)), 5, longest); err != nil {
		t.Errorf("lines at the limit: %v", err)
	}

	stop := errors.New("stop")
	err := ReadBulkReverse(bytes.NewReader(good), int64(len(good)), func(BulkObject, []BulkObject, int64) error { return stop })
	if err != stop {
		t.Errorf("fn's error: %v, want it as is", err)
	}
	err = ReadBulkReverse(bytes.NewReader(good), int64(len(good))+10, func(BulkObject, []BulkObject, int64) error { return nil })
	if ritorno.ErrorCode(err) != ritorno.EUNAVAILABLE {
		t.Errorf("end beyond the file: %v", err)
	}
	if err := ReadBulkReverse(bytes.NewReader(good), -1, nil); ritorno.ErrorCode(err) != ritorno.EINVALID {
		t.Errorf("negative end: %v", err)
	}
}

// randomBulk generates a bulk file: roots with children and some grandchildren, in a
// random order in which every object comes after its parent, with random line ends and
// blank lines. It returns, by root, the descendants in file order.
func randomBulk(r *rand.Rand) ([]byte, []string, map[string][]string) {
	type obj struct{ id, parent string }
	var pending []obj // objects whose parent is written, waiting to be written themselves
	nextID := 0
	newObj := func(typ, parent string) obj { nextID++; return obj{gid(typ, nextID), parent} }
	for range r.IntN(30) {
		pending = append(pending, newObj("Order", ""))
	}
	rootOf := map[string]string{}
	desc := map[string][]string{}
	var roots []string
	var b strings.Builder
	for len(pending) > 0 {
		// Mostly the oldest pending object (Shopify's usual order), sometimes any.
		i := 0
		if r.IntN(3) == 0 {
			i = r.IntN(len(pending))
		}
		o := pending[i]
		pending = append(pending[:i], pending[i+1:]...)
		eol := "\n"
		if r.IntN(4) == 0 {
			eol = "\r\n"
		}
		if r.IntN(8) == 0 {
			b.WriteString(" \n")
		}
		if o.parent == "" {
			fmt.Fprintf(&b, `{"id":%q,"note":"%s"}%s`, o.id, strings.Repeat("x", r.IntN(40)), eol)
			roots = append(roots, o.id)
			rootOf[o.id] = o.id
			for range r.IntN(5) {
				pending = append(pending, newObj("LineItem", o.id))
			}
			continue
		}
		fmt.Fprintf(&b, `{"id":%q,"__parentId":%q}%s`, o.id, o.parent, eol)
		root := rootOf[o.parent]
		rootOf[o.id] = root
		desc[root] = append(desc[root], o.id)
		if gidType(o.parent) == "Order" && r.IntN(6) == 0 {
			pending = append(pending, newObj("Discount", o.id))
		}
	}
	return []byte(b.String()), roots, desc
}

func TestReadBulkReverseRandomFiles(t *testing.T) {
	unsafe, grandchildren := 0, 0 // the cases worth generating must occur
	for seed := range uint64(150) {
		r := rand.New(rand.NewPCG(seed, 7))
		data, roots, desc := randomBulk(r)
		chunk := 1 + r.IntN(96)
		ems := mustReadReverse(t, data, int64(len(data)), chunk)
		if len(ems) != len(roots) {
			t.Fatalf("seed %d: %d roots, want %d", seed, len(ems), len(roots))
		}
		for i, e := range ems {
			want := roots[len(roots)-1-i] // last first
			if e.Root != want || !reflect.DeepEqual(e.Children, desc[want]) {
				t.Fatalf("seed %d root %d: %v, want %s with %v", seed, i, e, want, desc[want])
			}
		}
		checkResumes(t, data, ems, chunk)
		_, skips := restartPoints(ems, int64(len(data)))
		for _, k := range skips {
			if k > 0 {
				unsafe++
			}
		}
		grandchildren += bytes.Count(data, []byte("Discount"))
	}
	if unsafe == 0 || grandchildren == 0 {
		t.Errorf("the files had %d unsafe restart points and %d grandchildren", unsafe, grandchildren)
	}
	t.Logf("%d unsafe restart points, %d grandchildren", unsafe, grandchildren)
}

// virtualBulk is a large bulk file that exists only as a rule: line i is a fixed-width
// root (even i) or the child of the line before it (odd i).
type virtualBulk struct{ lines int64 }

const virtualWidth = 96

func (v virtualBulk) line(i int64) []byte {
	var s string
	if i%2 == 0 {
		s = fmt.Sprintf(`{"id":"gid://shopify/Order/%d"}`, i)
	} else {
		s = fmt.Sprintf(`{"id":"gid://shopify/LineItem/%d","__parentId":"gid://shopify/Order/%d"}`, i, i-1)
	}
	return []byte(s + strings.Repeat(" ", virtualWidth-1-len(s)) + "\n")
}

func (v virtualBulk) ReadAt(p []byte, off int64) (int, error) {
	n := 0
	for n < len(p) {
		pos := off + int64(n)
		i := pos / virtualWidth
		if i >= v.lines {
			return n, io.EOF
		}
		n += copy(p[n:], v.line(i)[pos%virtualWidth:])
	}
	return n, nil
}

func TestReadBulkReverseMemoryIsBoundedByWaitingChildren(t *testing.T) {
	if testing.Short() {
		t.Skip("reads 96 MB")
	}
	v := virtualBulk{lines: 1 << 20}
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	base, peak := ms.HeapAlloc, uint64(0)
	roots := 0
	err := ReadBulkReverse(v, v.lines*virtualWidth, func(root BulkObject, children []BulkObject, _ int64) error {
		roots++
		if len(children) != 1 {
			return fmt.Errorf("root %s: %d children", root.ID, len(children))
		}
		if roots%50000 == 0 {
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapAlloc)
		}
		return nil
	})
	if err != nil || roots != 1<<19 {
		t.Fatalf("%d roots, %v", roots, err)
	}
	if grew := int64(peak) - int64(base); grew > 32<<20 {
		t.Errorf("heap grew by %d MB reading a %d MB file", grew>>20, v.lines*virtualWidth>>20)
	}
}
