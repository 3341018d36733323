//go:build race

package main

// raceEnabled: the race detector slows the full-data evaluations tenfold; scripts/test.sh
// runs those again without it.
const raceEnabled = true
