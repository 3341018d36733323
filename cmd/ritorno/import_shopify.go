package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"

	"github.com/ritorno/ritorno"
	"github.com/ritorno/ritorno/history"
	"github.com/ritorno/ritorno/shopify"
	"github.com/ritorno/ritorno/store"
)

// isShopifyJSONL reports whether a file starts like a Shopify bulk export: a JSON object
// whose id is a Shopify GID.
func isShopifyJSONL(head []byte) bool {
	head = bytes.TrimLeft(head, " \t\r\n\ufeff")
	if !bytes.HasPrefix(head, []byte("{")) {
		return false
	}
	line, _, _ := bytes.Cut(head, []byte("\n"))
	return bytes.Contains(line, []byte(`"gid://shopify/`))
}

func isGzip(head []byte) bool { return len(head) >= 2 && head[0] == 0x1f && head[1] == 0x8b }

// gunzipPeek decompresses what it can of the first bytes of a gzip file.
func gunzipPeek(head []byte) []byte {
	zr, err := gzip.NewReader(bytes.NewReader(head))
	if err != nil {
		return nil
	}
	out := make([]byte, 512)
	n, _ := io.ReadFull(zr, out)
	return out[:n]
}

// importShopifyJSONL imports a Shopify bulk export: orders through im, products and
// customers through a history.RecordImporter. The file is read backwards, so that every
// child line (a variant, a line item) is met before its parent and each object is
// complete when written; memory holds only children whose parent is still ahead. A gzip
// file is first decompressed to a temporary file, since reading backwards needs one.
func importShopifyJSONL(ctx context.Context, f *os.File, db *store.DB, shop ritorno.Shop, im *history.Importer, sum *importSummary, prog *progress) error {
	src, cleanup, err := seekableInput(f)
	if err != nil {
		return err
	}
	defer cleanup()
	info, err := src.Stat()
	if err != nil {
		return err
	}
	size := info.Size()
	prog.total = size
	records := history.NewRecordImporter(db, shop.ID, 0)
	defer func() { sum.Products, sum.Customers = records.Counts() }()
	objects := int64(0)
	err = shopify.ReadBulkReverse(src, size, func(root shopify.BulkObject, children []shopify.BulkObject, resume int64) error {
		sum.Lines += 1 + int64(len(children))
		if err := importBulkObject(ctx, shop, root, children, im, records, sum); err != nil {
			return err
		}
		if objects++; objects%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
			prog.update(size-resume, sum.Lines, im.Counts())
		}
		return nil
	})
	if err != nil {
		return err
	}
	return records.Flush(ctx)
}

// importBulkObject decodes one object of a bulk export and queues it; one that cannot be
// decoded, or an order the Importer refuses, is counted as skipped.
func importBulkObject(ctx context.Context, shop ritorno.Shop, root shopify.BulkObject, children []shopify.BulkObject,
	im *history.Importer, records *history.RecordImporter, sum *importSummary) error {
	raws := make([]json.RawMessage, len(children))
	for i, c := range children {
		raws[i] = c.Raw
	}
	var err error
	switch root.Type {
	case "Order":
		var o ritorno.Order
		if o, err = shopify.DecodeBulkOrder(root.Raw, raws); err == nil {
			if err = im.Add(ctx, o); err == nil {
				sum.saw(o.PlacedAt())
			}
		}
	case "Product":
		var p ritorno.Product
		if p, err = shopify.DecodeBulkProduct(root.Raw, raws, shop.Currency); err == nil {
			return records.AddProduct(ctx, p) // a failed write fails the import
		}
	case "Customer":
		var c ritorno.Customer
		if c, err = shopify.DecodeBulkCustomer(root.Raw); err == nil {
			return records.AddCustomer(ctx, c)
		}
	default:
		err = ritorno.Errorf(ritorno.EINVALID, "%s objects are not imported", root.Type)
	}
	if err != nil && ritorno.ErrorCode(err) == ritorno.EINVALID {
		sum.skip(fmt.Sprintf("%.60s (byte %d)", root.ID, root.Offset), err)
		return nil
	}
	return err
}

// seekableInput is f, or for a gzip file a decompressed temporary copy; cleanup removes
// the copy.
func seekableInput(f *os.File) (src *os.File, cleanup func(), err error) {
	var head [2]byte
	if _, err := f.ReadAt(head[:], 0); err != nil {
		return nil, nil, ritorno.Errorf(ritorno.EINVALID, "read %s: %v", f.Name(), err)
	}
	if !isGzip(head[:]) {
		return f, func() {}, nil
	}
	tmp, err := gunzipToTemp(f)
	if err != nil {
		return nil, nil, err
	}
	return tmp, func() { tmp.Close(); os.Remove(tmp.Name()) }, nil
}

// gunzipToTemp decompresses f into a temporary file, removed by the caller.
func gunzipToTemp(f *os.File) (*os.File, error) {
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	zr, err := gzip.NewReader(f)
	if err != nil {
		return nil, ritorno.Errorf(ritorno.EINVALID, "gzip: %v", err)
	}
	tmp, err := os.CreateTemp("", "ritorno-import-*.jsonl")
	if err != nil {
		return nil, err
	}
	if _, err := io.Copy(tmp, zr); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return nil, ritorno.Errorf(ritorno.EINVALID, "gzip: %v", err)
	}
	return tmp, nil
}
