package main

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strings"
	"testing"
)

// maxFuncLines is the longest a function of cmd may be: a command is flags, one call and
// printing, and a longer function hides logic that belongs in a package of its own.
const maxFuncLines = 80

// TestFunctionLength keeps every non-test function of cmd/ritorno within maxFuncLines
// lines, from func to closing brace. The benchmarks (bench*.go) are moving to their own
// package and are not held to it here.
func TestFunctionLength(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	checked := 0
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") || strings.HasPrefix(name, "bench") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			fn, ok := d.(*ast.FuncDecl)
			if !ok || fn.Body == nil {
				continue
			}
			checked++
			if n := fset.Position(fn.Body.Rbrace).Line - fset.Position(fn.Pos()).Line + 1; n > maxFuncLines {
				t.Errorf("%s: %s is %d lines (at most %d): split it, or move its logic to the package it belongs to",
					fset.Position(fn.Pos()), fn.Name.Name, n, maxFuncLines)
			}
		}
	}
	if checked < 50 {
		t.Fatalf("checked only %d functions: is the test run in cmd/ritorno?", checked)
	}
}
