// Package web is the gin plumbing shared by Ritorno's HTTP surfaces (admin, webhooks,
// storefront): request ids, the JSON request log, panic recovery, body limits, metrics, and
// the one place where an error becomes an HTTP status. It registers no routes and holds no
// business rules.
package web

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/ritorno/ritorno"
)

// RequestIDHeader carries the request id in both directions.
const RequestIDHeader = "X-Request-Id"

const (
	ctxRequestID = "ritorno.request_id"
	ctxLogger    = "ritorno.logger"
)

// statusOf maps error codes to HTTP statuses; it is the only such mapping.
var statusOf = map[string]int{
	ritorno.ECONFLICT:     http.StatusConflict,
	ritorno.EINTERNAL:     http.StatusInternalServerError,
	ritorno.EINVALID:      http.StatusBadRequest,
	ritorno.ENOTFOUND:     http.StatusNotFound,
	ritorno.EUNAUTHORIZED: http.StatusUnauthorized,
	ritorno.EFORBIDDEN:    http.StatusForbidden,
	ritorno.ETOOLARGE:     http.StatusRequestEntityTooLarge,
	ritorno.EUNAVAILABLE:  http.StatusServiceUnavailable,
	ritorno.ENOTREADY:     http.StatusServiceUnavailable,
	ritorno.ERATELIMITED:  http.StatusTooManyRequests,
}

// ErrorResponse is the JSON body of every error answer.
type ErrorResponse struct {
	Error     ErrorBody `json:"error"`
	RequestID string    `json:"request_id,omitempty"`
}

// ErrorBody is the code and client-safe message of an error.
type ErrorBody struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// Error answers the request with err: the status its code maps to and a JSON body with a
// client-safe message. Internal errors are logged with the request id and never shown.
func Error(c *gin.Context, err error) {
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		err = ritorno.Errorf(ritorno.ETOOLARGE, "request body is larger than %d bytes", tooLarge.Limit)
	}
	code := ritorno.ErrorCode(err)
	status, ok := statusOf[code]
	if !ok {
		status = http.StatusInternalServerError
	}
	if code == ritorno.EINTERNAL {
		Logger(c).Error("internal error", "err", err)
	}
	c.AbortWithStatusJSON(status, ErrorResponse{
		Error:     ErrorBody{Code: code, Message: ritorno.ErrorMessage(err)},
		RequestID: RequestID(c),
	})
}

// RequestID returns the request's id ("" outside the RequestIDs middleware).
func RequestID(c *gin.Context) string { return c.GetString(ctxRequestID) }

// Logger returns the request's logger, which carries its request id.
func Logger(c *gin.Context) *slog.Logger {
	if l, ok := c.Get(ctxLogger); ok {
		return l.(*slog.Logger)
	}
	return slog.Default()
}

// RequestIDs gives every request an id, taken from a well-formed incoming X-Request-Id
// (so a proxy's id follows the request) or made here, echoes it in the response, and puts
// a logger carrying it in the context.
func RequestIDs(log *slog.Logger) gin.HandlerFunc {
	return func(c *gin.Context) {
		id := c.GetHeader(RequestIDHeader)
		if !wellFormedID(id) {
			id = newID()
		}
		c.Set(ctxRequestID, id)
		c.Set(ctxLogger, log.With("request_id", id))
		c.Header(RequestIDHeader, id)
		c.Next()
	}
}

func wellFormedID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for _, r := range id {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.') {
			return false
		}
	}
	return true
}

func newID() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
