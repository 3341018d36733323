package shopify

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"

	"github.com/ritorno/ritorno"
)

// An ungrouped bulk result puts each child of a connection on its own line, after its
// parent but not necessarily right after it. Read forwards, joining them would mean
// holding every parent until the end of a file of gigabytes. Read backwards, every child
// comes before its parent: children wait in memory only until their parent's line, and
// a parent is complete the moment it is read.

// BulkObject is one line of a bulk result.
type BulkObject struct {
	Raw      json.RawMessage // the line as written (with its __parentId), without the line break
	ID       string          // its GID; "" when the query did not select id
	ParentID string          // __parentId; "" for a root
	Type     string          // the GID's type: "Order", "LineItem", "ProductVariant"…
	Offset   int64           // where the line starts in the file
}

// bulkReadChunk is how much ReadBulkReverse reads at a time.
const bulkReadChunk = 256 << 10

// ReadBulkReverse reads the bulk result r[0:end) from its end and calls fn for each root
// with its children (and their descendants) in file order. Roots come in reverse file
// order. Memory holds one read buffer and the children whose parent is not read yet.
//
// resume is where to continue after fn's root: pass it as end to a later call. It is the
// last offset at which no child was waiting for its parent (children waiting there would
// be lost by a restart from there): the root's own line start when nothing waits, else an
// earlier-reported offset. A restart from resume therefore hands over again the roots fn
// got with the same resume value before (those read since it was reached), in the same
// order, and then the rest; skip that many to continue exactly.
//
// fn's error stops the read and is returned as is. A line that is not a JSON object, a
// line longer than MaxBulkLine, and a child whose parent never appears (an orphan, named
// by its line number) are EINVALID. Blank lines and CRLF line ends are accepted.
func ReadBulkReverse(r io.ReaderAt, end int64, fn func(root BulkObject, children []BulkObject, resume int64) error) error {
	return readBulkReverse(r, end, bulkReadChunk, MaxBulkLine, fn)
}

func readBulkReverse(r io.ReaderAt, end int64, chunk, maxLine int, fn func(root BulkObject, children []BulkObject, resume int64) error) error {
	if end < 0 {
		return ritorno.Errorf(ritorno.EINVALID, "bulk result offset %d is negative", end)
	}
	lines := &reverseLines{r: r, bufStart: end, buf: make([]byte, 0, chunk), chunk: chunk, maxLine: maxLine}
	waiting := map[string][]BulkObject{} // children by parent id, as read (reverse file order)
	nWaiting := 0
	safe := end
	for {
		line, start, ok, err := lines.next()
		if err != nil {
			return err
		}
		if !ok {
			break
		}
		line = bytes.TrimSuffix(line, []byte{'\r'})
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		obj, err := parseBulkLine(line, start)
		if err != nil {
			return err
		}
		if obj.ParentID != "" {
			// A child joins its parent's queue with the descendants already waiting for it.
			if kids, ok := waiting[obj.ID]; ok && obj.ID != "" {
				delete(waiting, obj.ID)
				waiting[obj.ParentID] = append(waiting[obj.ParentID], kids...)
			}
			waiting[obj.ParentID] = append(waiting[obj.ParentID], obj)
			nWaiting++
			continue
		}
		var kids []BulkObject
		if obj.ID != "" {
			kids = waiting[obj.ID]
			delete(waiting, obj.ID)
		}
		nWaiting -= len(kids)
		slices.SortFunc(kids, func(a, b BulkObject) int { return cmp.Compare(a.Offset, b.Offset) })
		if nWaiting == 0 {
			safe = start
		}
		if err := fn(obj, kids, safe); err != nil {
			return err
		}
	}
	if len(waiting) > 0 {
		first := int64(-1)
		for _, kids := range waiting {
			for _, k := range kids {
				if first < 0 || k.Offset < first {
					first = k.Offset
				}
			}
		}
		n, err := lineNumber(r, first)
		if err != nil {
			return err
		}
		return ritorno.Errorf(ritorno.EINVALID, "bulk result line %d (byte %d) is a child whose parent is not before it", n, first)
	}
	return nil
}

// parseBulkLine reads the id and __parentId of a line; the line is copied, since the read
// buffer is reused.
func parseBulkLine(line []byte, start int64) (BulkObject, error) {
	var keys struct {
		ID       string `json:"id"`
		ParentID string `json:"__parentId"`
	}
	trimmed := bytes.TrimSpace(line)
	if trimmed[0] != '{' || json.Unmarshal(trimmed, &keys) != nil {
		return BulkObject{}, ritorno.Errorf(ritorno.EINVALID, "bulk result line at byte %d is not a JSON object with string ids", start)
	}
	return BulkObject{Raw: bytes.Clone(trimmed), ID: keys.ID, ParentID: keys.ParentID, Type: gidType(keys.ID), Offset: start}, nil
}

// lineNumber counts the lines before offset; only error messages need it.
func lineNumber(r io.ReaderAt, offset int64) (int64, error) {
	n := int64(1)
	buf := make([]byte, 64<<10)
	for pos := int64(0); pos < offset; {
		m, err := r.ReadAt(buf[:min(int64(len(buf)), offset-pos)], pos)
		n += int64(bytes.Count(buf[:m], []byte{'\n'}))
		pos += int64(m)
		if err != nil && pos < offset {
			return 0, fmt.Errorf("%w: %w", ritorno.Errorf(ritorno.EUNAVAILABLE, "bulk result unreadable at byte %d", pos), err)
		}
	}
	return n, nil
}

// reverseLines yields the lines of r[0:end) last first.
type reverseLines struct {
	r        io.ReaderAt
	buf      []byte   // r[bufStart:bufStart+len(buf)); bytes from len(buf) on are consumed
	bufStart int64    // file offset of buf[0]
	tail     [][]byte // the current line's later pieces from earlier reads, last piece first
	tailLen  int
	chunk    int
	maxLine  int
	done     bool
}

// next returns the line before the last one returned and its start offset; ok is false
// after the first line of the file. line is valid until the next call.
func (l *reverseLines) next() (line []byte, start int64, ok bool, err error) {
	if l.done {
		return nil, 0, false, nil
	}
	for {
		if j := bytes.LastIndexByte(l.buf, '\n'); j >= 0 {
			start = l.bufStart + int64(j) + 1
			line, err = l.assemble(l.buf[j+1:], start)
			l.buf = l.buf[:j] // the line break belongs to the line before
			return line, start, err == nil, err
		}
		if l.bufStart == 0 {
			l.done = true
			line, err = l.assemble(l.buf, 0)
			return line, 0, err == nil, err
		}
		// The line goes on before this buffer: keep its piece and read further back.
		if len(l.buf) > 0 {
			l.tail = append(l.tail, bytes.Clone(l.buf))
			l.tailLen += len(l.buf)
			if l.tailLen > l.maxLine {
				return nil, 0, false, ritorno.Errorf(ritorno.EINVALID, "bulk result line before byte %d is longer than %d bytes", l.bufStart+int64(l.tailLen), l.maxLine)
			}
		}
		n := int64(l.chunk)
		if l.bufStart < n {
			n = l.bufStart
		}
		l.bufStart -= n
		l.buf = l.buf[:n]
		m, err := l.r.ReadAt(l.buf, l.bufStart)
		if m < len(l.buf) {
			if err == nil || errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF
			}
			return nil, 0, false, fmt.Errorf("%w: %w", ritorno.Errorf(ritorno.EUNAVAILABLE, "bulk result unreadable at byte %d", l.bufStart), err)
		}
	}
}

// assemble joins head, the start of a line, to its pieces read before.
func (l *reverseLines) assemble(head []byte, start int64) ([]byte, error) {
	if len(head)+l.tailLen > l.maxLine {
		return nil, ritorno.Errorf(ritorno.EINVALID, "bulk result line at byte %d is longer than %d bytes", start, l.maxLine)
	}
	if len(l.tail) == 0 {
		return head, nil
	}
	line := make([]byte, 0, len(head)+l.tailLen)
	line = append(line, head...)
	for i := len(l.tail) - 1; i >= 0; i-- {
		line = append(line, l.tail[i]...)
	}
	l.tail, l.tailLen = l.tail[:0], 0
	return line, nil
}
