package main

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"os"
	"sort"

	"github.com/ritorno/ritorno"
)

// openInput opens a command's input file. Its errors say what is wrong and where once
// ("file F does not exist", "file F is empty", "file F is not text") and never echo the
// file's bytes.
func openInput(path string) (*os.File, error) {
	f, err := os.Open(path)
	if err != nil {
		var pe *fs.PathError
		switch {
		case errors.Is(err, fs.ErrNotExist):
			return nil, ritorno.Errorf(ritorno.EINVALID, "file %s does not exist", path)
		case errors.Is(err, fs.ErrPermission):
			return nil, ritorno.Errorf(ritorno.EINVALID, "file %s cannot be read: permission denied", path)
		case errors.As(err, &pe):
			return nil, ritorno.Errorf(ritorno.EINVALID, "file %s cannot be read: %v", path, pe.Err)
		}
		return nil, err
	}
	info, err := f.Stat()
	switch {
	case err != nil:
		f.Close()
		return nil, ritorno.Errorf(ritorno.EINVALID, "file %s cannot be read", path)
	case info.IsDir():
		f.Close()
		return nil, ritorno.Errorf(ritorno.EINVALID, "%s is a folder, not a file", path)
	case info.Mode().IsRegular() && info.Size() == 0:
		f.Close()
		return nil, ritorno.Errorf(ritorno.EINVALID, "file %s is empty", path)
	}
	head := make([]byte, 512)
	n, _ := io.ReadFull(f, head)
	head = head[:n]
	if isGzip(head) {
		head = gunzipPeek(head)
	}
	if looksBinary(head) {
		f.Close()
		return nil, ritorno.Errorf(ritorno.EINVALID, "file %s is not text (a CSV or JSON export): it holds binary data", path)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		f.Close()
		return nil, ritorno.Errorf(ritorno.EINVALID, "file %s cannot be read from the start (a pipe?)", path)
	}
	return f, nil
}

// looksBinary reports whether the start of a file is not text: a NUL byte, or more than
// one in ten bytes a control character other than tab, CR, LF or form feed. Latin-1 text
// passes (data sets exported by spreadsheets often are).
func looksBinary(head []byte) bool {
	if bytes.IndexByte(head, 0) >= 0 {
		return true
	}
	ctl := 0
	for _, b := range head {
		if b < 0x20 && b != '\t' && b != '\r' && b != '\n' && b != '\f' {
			ctl++
		}
	}
	return ctl*10 > len(head)
}

// mostCommon names the reason counted most often, for a one-line error.
func mostCommon(counts map[string]int64) string {
	keys := make([]string, 0, len(counts))
	for k := range counts {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(a, b int) bool {
		if counts[keys[a]] != counts[keys[b]] {
			return counts[keys[a]] > counts[keys[b]]
		}
		return keys[a] < keys[b]
	})
	if len(keys) == 0 {
		return ""
	}
	return keys[0]
}
