package shopify

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/ritorno/ritorno"
)

// Bulk operations export a shop's history as a JSONL file, for the backfill: start one
// with RunBulkQuery, wait for it with WaitBulk (or the bulk_operations/finish webhook),
// download its URL and stream it through ReadBulkJSONL.
//
// Bulk query rules (Shopify refuses the query otherwise): at least one and at most five
// connections, nested at most two deep, each read through edges { node { … } }, each
// parent node selecting id; no connection inside a list field.

// BulkProductsQuery exports products with their variants. Variants select what
// DecodeProduct reads from webhooks: position, compare-at price and whether stock is
// tracked (inventoryItem.tracked, REST's inventory_management).
const BulkProductsQuery = `{
  products {
    edges {
      node {
        id
        title
        handle
        productType
        vendor
        tags
        status
        createdAt
        updatedAt
        publishedAt
        featuredImage { url }
        variants {
          edges {
            node {
              id
              title
              sku
              position
              price
              compareAtPrice
              inventoryQuantity
              inventoryPolicy
              inventoryItem { tracked }
              availableForSale
            }
          }
        }
      }
    }
  }
}`

// BulkCustomersQuery exports customers. The email is read through defaultEmailAddress,
// which replaced the deprecated Customer.email in API 2025-04.
const BulkCustomersQuery = `{
  customers {
    edges {
      node {
        id
        defaultEmailAddress { emailAddress }
        firstName
        lastName
        tags
        state
        createdAt
        updatedAt
      }
    }
  }
}`

// BulkOrdersQuery exports orders with their line items and refund headers. Amounts are
// read in shop money. Refund line items are not in it: Order.refunds is a list, and a
// bulk query may not hold a connection (refundLineItems) inside a list; fetch them per
// refunded order with OrderRefundsQuery. The customer's address is read for orders
// without one of their own, as webhooks do; Refund.processedAt needs API 2026-01.
// Without the read_all_orders scope Shopify returns only the last 60 days of orders.
const BulkOrdersQuery = `{
  orders {
    edges {
      node {
        id
        name
        email
        createdAt
        updatedAt
        processedAt
        cancelledAt
        cancelReason
        test
        currencyCode
        presentmentCurrencyCode
        displayFinancialStatus
        displayFulfillmentStatus
        tags
        sourceName
        customer { id defaultEmailAddress { emailAddress } }
        subtotalPriceSet { shopMoney { amount currencyCode } }
        totalPriceSet { shopMoney { amount currencyCode } }
        totalTaxSet { shopMoney { amount currencyCode } }
        totalDiscountsSet { shopMoney { amount currencyCode } }
        totalShippingPriceSet { shopMoney { amount currencyCode } }
        totalRefundedSet { shopMoney { amount currencyCode } }
        refunds {
          id
          createdAt
          processedAt
          note
          totalRefundedSet { shopMoney { amount currencyCode } }
        }
        lineItems {
          edges {
            node {
              id
              title
              variantTitle
              sku
              vendor
              quantity
              originalUnitPriceSet { shopMoney { amount currencyCode } }
              totalDiscountSet { shopMoney { amount currencyCode } }
              product { id }
              variant { id }
              isGiftCard
            }
          }
        }
      }
    }
  }
}`

// OrderRefundsQuery reads one order's refunds with their line items (variable $id, an
// Order GID): the part of a refund that BulkOrdersQuery cannot carry. A refund with more
// than 250 line items reports hasNextPage.
const OrderRefundsQuery = `query OrderRefunds($id: ID!) {
  node(id: $id) {
    ... on Order {
      id
      refunds {
        id
        createdAt
        processedAt
        note
        totalRefundedSet { shopMoney { amount currencyCode } }
        refundLineItems(first: 250) {
          pageInfo { hasNextPage }
          nodes {
            lineItem { id }
            quantity
            subtotalSet { shopMoney { amount currencyCode } }
          }
        }
      }
    }
  }
}`

// BulkStatus is the state of a bulk operation. URL (and PartialDataURL for a failed
// one) is the JSONL result, valid for a week.
type BulkStatus struct {
	ID             string
	Status         string // CREATED, RUNNING, COMPLETED, FAILED, CANCELING, CANCELED, EXPIRED
	ErrorCode      string // ACCESS_DENIED, INTERNAL_SERVER_ERROR, TIMEOUT when FAILED
	ObjectCount    int64
	URL            string
	PartialDataURL string
}

// bulkOperationJSON decodes the BulkOperation fields bulkOperationQuery selects.
type bulkOperationJSON struct {
	ID             string        `json:"id"`
	Status         string        `json:"status"`
	ErrorCode      *string       `json:"errorCode"`
	ObjectCount    unsignedInt64 `json:"objectCount"`
	URL            *string       `json:"url"`
	PartialDataURL *string       `json:"partialDataUrl"`
}

// unsignedInt64 decodes an UnsignedInt64, which GraphQL serializes as a string ("42"); a plain
// number is accepted too.
type unsignedInt64 int64

func (n *unsignedInt64) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(b), `"`)
	if s == "null" || s == "" {
		*n = 0
		return nil
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return ritorno.Errorf(ritorno.EINVALID, "count %.30q is not an integer", s)
	}
	*n = unsignedInt64(v)
	return nil
}

const runBulkMutation = `mutation RunBulk($query: String!) {
  bulkOperationRunQuery(query: $query, groupObjects: false) {
    bulkOperation { id status }
    userErrors { field message }
  }
}`

// RunBulkQuery starts a bulk export of query and returns the operation's id. Objects are
// not grouped (grouping is slower and fails more): children follow their parents as
// separate lines with __parentId. A refused query (userErrors, e.g. another export still
// running) is EINVALID. The mutation is retried like any call, so after a lost answer the
// retry may be refused as "already in progress" although the first attempt started.
func RunBulkQuery(ctx context.Context, c *GraphQLClient, query string) (id string, err error) {
	var out struct {
		BulkOperationRunQuery struct {
			BulkOperation *struct {
				ID string `json:"id"`
			} `json:"bulkOperation"`
			UserErrors []struct {
				Field   []string `json:"field"`
				Message string   `json:"message"`
			} `json:"userErrors"`
		} `json:"bulkOperationRunQuery"`
	}
	if err := c.Do(ctx, runBulkMutation, map[string]any{"query": query}, &out); err != nil {
		return "", err
	}
	p := out.BulkOperationRunQuery
	if len(p.UserErrors) > 0 {
		msgs := make([]string, 0, len(p.UserErrors))
		for _, e := range p.UserErrors {
			msgs = append(msgs, e.Message)
		}
		return "", ritorno.Errorf(ritorno.EINVALID, "bulk query refused: %s", strings.Join(msgs, "; "))
	}
	if p.BulkOperation == nil || p.BulkOperation.ID == "" {
		return "", ritorno.Errorf(ritorno.EUNAVAILABLE, "bulk query started no operation")
	}
	return p.BulkOperation.ID, nil
}

const bulkOperationQuery = `query BulkOperation($id: ID!) {
  node(id: $id) {
    ... on BulkOperation { id status errorCode objectCount url partialDataUrl }
  }
}`

// BulkOperation returns the status of the bulk operation id; ENOTFOUND when the shop has
// no such operation.
func BulkOperation(ctx context.Context, c *GraphQLClient, id string) (BulkStatus, error) {
	var out struct {
		Node *bulkOperationJSON `json:"node"`
	}
	if err := c.Do(ctx, bulkOperationQuery, map[string]any{"id": id}, &out); err != nil {
		return BulkStatus{}, err
	}
	if out.Node == nil || out.Node.ID == "" {
		return BulkStatus{}, ritorno.Errorf(ritorno.ENOTFOUND, "bulk operation %.80q not found", id)
	}
	n := out.Node
	return BulkStatus{ID: n.ID, Status: n.Status, ErrorCode: deref(n.ErrorCode), ObjectCount: int64(n.ObjectCount),
		URL: deref(n.URL), PartialDataURL: deref(n.PartialDataURL)}, nil
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// WaitBulk polls the operation every poll (5 s when 0) until it ends. A COMPLETED
// operation returns a nil error; FAILED, CANCELED and EXPIRED return the status (which
// may still carry a PartialDataURL) with an error saying why.
func WaitBulk(ctx context.Context, c *GraphQLClient, id string, poll time.Duration) (BulkStatus, error) {
	if poll <= 0 {
		poll = 5 * time.Second
	}
	for {
		st, err := BulkOperation(ctx, c, id)
		if err != nil {
			return BulkStatus{}, err
		}
		if ended, err := bulkEnded(st); ended {
			return st, err
		}
		if err := c.sleep(ctx, poll); err != nil {
			return BulkStatus{}, err
		}
	}
}

// bulkEnded reports whether the operation is over and, if it did not complete, why:
// FAILED for lack of access is EFORBIDDEN (the scopes must change), anything else
// EUNAVAILABLE. CANCELING counts as over: the export will not complete.
func bulkEnded(st BulkStatus) (ended bool, err error) {
	switch st.Status {
	case "COMPLETED":
		return true, nil
	case "FAILED":
		code := ritorno.EUNAVAILABLE
		if st.ErrorCode == "ACCESS_DENIED" {
			code = ritorno.EFORBIDDEN
		}
		return true, ritorno.Errorf(code, "bulk operation failed: %.40s", st.ErrorCode)
	case "CANCELING", "CANCELED", "EXPIRED":
		return true, ritorno.Errorf(ritorno.EUNAVAILABLE, "bulk operation %s", strings.ToLower(st.Status))
	}
	return false, nil
}

// MaxBulkLine is the longest JSONL line ReadBulkJSONL accepts. A line is one object
// without its nested connections, so even a product with a long description fits.
const MaxBulkLine = 16 << 20

// ReadBulkJSONL streams a bulk result line by line, holding one line in memory at a time,
// and calls fn with each object and the id of its parent ("" for a top-level object).
// The __parentId key is taken out of obj. Children come after their parent but not
// necessarily right after it, so fn must not assume adjacency. Blank lines are skipped; a
// malformed line stops the read with its line number. fn's error stops it too, wrapped
// with the line number.
func ReadBulkJSONL(r io.Reader, fn func(obj map[string]json.RawMessage, parentID string) error) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), MaxBulkLine)
	line := 0
	for sc.Scan() {
		line++
		b := sc.Bytes()
		if len(bytes.TrimSpace(b)) == 0 {
			continue
		}
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(b, &obj); err != nil || obj == nil {
			return ritorno.Errorf(ritorno.EINVALID, "bulk result line %d is not a JSON object", line)
		}
		var parent string
		if raw, ok := obj["__parentId"]; ok {
			if err := json.Unmarshal(raw, &parent); err != nil {
				return ritorno.Errorf(ritorno.EINVALID, "bulk result line %d: __parentId is not a string", line)
			}
			delete(obj, "__parentId")
		}
		if err := fn(obj, parent); err != nil {
			return fmt.Errorf("bulk result line %d: %w", line, err)
		}
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return ritorno.Errorf(ritorno.EINVALID, "bulk result line %d is longer than %d bytes", line+1, MaxBulkLine)
		}
		return fmt.Errorf("%w: %w", ritorno.Errorf(ritorno.EUNAVAILABLE, "bulk result unreadable after line %d", line), err)
	}
	return nil
}
