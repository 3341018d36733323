package store

import (
	"net/url"
	"regexp"
	"strings"
)

// A database address can carry its password in three places: the URL's userinfo
// (postgres://user:pw@host), a password query parameter (postgres://host/db?password=pw),
// and a key/value DSN (host=h password=pw, quoted or not). Drivers may quote the address in
// their errors, decoded or not, so the password is masked both structurally and wherever
// its text appears.

const passwordMask = "xxxxx"

var (
	kvPassword    = regexp.MustCompile(`(?i)(\bpassword\s*=\s*)('(?:\\.|[^'\\])*'|[^\s]*)`)
	queryPassword = regexp.MustCompile(`(?i)([?&]password=)([^&#\s]*)`)
	userinfo      = regexp.MustCompile(`(://[^/@:\s]*:)([^@\s]*)(@)`)
)

// RedactDSN returns a database URL or DSN fit for a log line or an error: every password
// is replaced by xxxxx.
func RedactDSN(dsn string) string {
	out := dsn
	if u, err := url.Parse(dsn); err == nil && u.Scheme != "" && u.Opaque == "" {
		changed := false
		if _, ok := u.User.Password(); ok {
			u.User, changed = url.UserPassword(u.User.Username(), passwordMask), true
		}
		if q := u.Query(); q.Has("password") {
			q.Set("password", passwordMask)
			u.RawQuery, changed = q.Encode(), true
		}
		if changed {
			out = u.String()
		}
	} else {
		out = userinfo.ReplaceAllString(out, "${1}"+passwordMask+"${3}")
		out = queryPassword.ReplaceAllString(out, "${1}"+passwordMask)
	}
	out = kvPassword.ReplaceAllString(out, "${1}"+passwordMask)
	return scrubSecrets(out, dsn)
}

// scrubSecrets masks, in text, every password that dsn carries, in its written and its
// decoded form.
func scrubSecrets(text, dsn string) string {
	var secrets []string
	add := func(s string) {
		if s = strings.Trim(s, "'"); s != "" && s != passwordMask {
			secrets = append(secrets, s)
			if d, err := url.QueryUnescape(s); err == nil && d != s {
				secrets = append(secrets, d)
			}
		}
	}
	for _, re := range []*regexp.Regexp{userinfo, queryPassword, kvPassword} {
		for _, m := range re.FindAllStringSubmatch(dsn, -1) {
			add(m[2])
		}
	}
	if u, err := url.Parse(dsn); err == nil {
		if pw, ok := u.User.Password(); ok {
			add(pw)
		}
		if u.Opaque == "" {
			for _, pw := range u.Query()["password"] {
				add(pw)
			}
		}
	}
	for _, s := range secrets {
		text = strings.ReplaceAll(text, s, passwordMask)
	}
	return text
}

// redactedError is an error whose text has the database password masked; it still
// unwraps to the cause for errors.Is.
type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }

func redactError(err error, dsn string) error {
	if err == nil {
		return nil
	}
	return &redactedError{msg: scrubSecrets(err.Error(), dsn), err: err}
}
