package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/orderhub/orderhub/shared/intake"
	"github.com/orderhub/orderhub/shared/mapping"
	"github.com/orderhub/orderhub/shared/operator"
)

// runReevaluate applies the current mapping file to REJECTED orders, in the running local stack or,
// with --aws, in DynamoDB in AWS: those that now map move back to RECEIVED, and the stream hands them
// to the import like new ones.
func runReevaluate(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("reevaluate", flag.ContinueOnError)
	where := addTargetFlags(fs)
	mappingFile := fs.String("mapping", "", "mapping file (default: mapping.yaml in the repository)")
	all := fs.Bool("all", false, "every REJECTED order")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if !*all && fs.NArg() == 0 {
		return errors.New("reevaluate: give order ids, or --all for every REJECTED order")
	}
	m, err := loadMapping(mappingFile)
	if err != nil {
		return err
	}
	t, store, err := where.open(ctx, "reevaluate")
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "orderhub: re-evaluating in %s with %s\n", t, *mappingFile)
	_, err = operator.Reevaluate(ctx, os.Stdout, &intake.Service{Orders: store, Mapping: m}, store, fs.Args(), *all, nil)
	return err
}

// loadMapping loads the mapping file a command was given, or the repository's mapping.yaml, and
// sets *file to the one it read.
func loadMapping(file *string) (*mapping.Config, error) {
	if *file == "" {
		root, err := repoRoot()
		if err != nil {
			return nil, err
		}
		*file = filepath.Join(root, "mapping.yaml")
	}
	return mapping.Load(*file)
}
