package main

import (
	"context"
	"fmt"
	"io"
	"text/tabwriter"
	"time"
)

func runMigrate(ctx context.Context, cfg Config, args []string, stdout io.Writer) error {
	fs := newFlagSet("migrate")
	status := fs.Bool("status", false, "list applied and pending migrations instead of applying")
	if err := parseFlags(ctx, fs, args, stdout, "Usage: ritorno migrate [--status]\n\nApplies pending migrations to RITORNO_DATABASE_URL (or the embedded database, created if\nmissing). Safe to run from several processes at once: on PostgreSQL they take turns under\nan advisory lock.\n"); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageErrorf("migrate takes no arguments")
	}
	db, err := openDatabase(ctx, &cfg)
	if err != nil {
		return err
	}
	defer db.Close()

	if *status {
		statuses, err := db.MigrationStatus(ctx)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "VERSION\tNAME\tSTATE\tAPPLIED AT")
		for _, s := range statuses {
			state, at := "pending", ""
			if s.Applied {
				state, at = "applied", s.AppliedAt.UTC().Format(time.RFC3339)
			}
			fmt.Fprintf(tw, "%04d\t%s\t%s\t%s\n", s.Version, s.Name, state, at)
		}
		return tw.Flush()
	}
	applied, err := db.Migrate(ctx)
	if err != nil {
		return err
	}
	if len(applied) == 0 {
		fmt.Fprintln(stdout, "database is up to date")
	}
	for _, m := range applied {
		fmt.Fprintf(stdout, "applied %04d_%s\n", m.Version, m.Name)
	}
	return nil
}
