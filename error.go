package ritorno

import (
	"errors"
	"fmt"
)

// Error codes. Only web.Error maps them to HTTP statuses; the CLI maps them to exit codes.
const (
	ECONFLICT     = "conflict"     // the action conflicts with the current state
	EINTERNAL     = "internal"     // a bug or an outage; the message is not shown to clients
	EINVALID      = "invalid"      // the input is malformed or breaks a rule
	ENOTFOUND     = "not_found"    // the entity does not exist (in this shop)
	EUNAUTHORIZED = "unauthorized" // missing or bad credentials or signature
	ETOOLARGE     = "too_large"    // the request body is over the limit
	EUNAVAILABLE  = "unavailable"  // a dependency (database, platform) cannot answer now
	ERATELIMITED  = "rate_limited" // the caller must slow down
	EFORBIDDEN    = "forbidden"    // authenticated but not allowed
	ENOTREADY     = "not_ready"    // e.g. migrations pending
)

// Error is the coded error of the application. Its Message is safe to show to a client.
type Error struct {
	Code    string
	Message string
}

func (e *Error) Error() string {
	return fmt.Sprintf("ritorno error: code=%s message=%s", e.Code, e.Message)
}

// Errorf returns an *Error with the code and a formatted, client-safe message.
func Errorf(code string, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of the first *Error in err's chain, EINTERNAL for any other
// non-nil error, and "" for nil.
func ErrorCode(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the client-safe message of the first *Error in err's chain, or a
// generic text for any other error so that internal details never reach a client.
func ErrorMessage(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return e.Message
	}
	return "internal error"
}
