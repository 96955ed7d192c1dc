package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/orderhub/orderhub/shared/dealerkeys"
)

// runDealerKey makes a new dealer system's key, or checks a keys document (docs/dealer-batch.md).
func runDealerKey(args []string) error {
	if len(args) == 0 {
		return errors.New("dealer-key: new --id ID --group GROUP... --prefix PREFIX, or check FILE")
	}
	switch args[0] {
	case "new":
		fs := flag.NewFlagSet("dealer-key new", flag.ContinueOnError)
		id := fs.String("id", "", "the dealer system's key id")
		prefix := fs.String("prefix", "", "the prefix of every externalSystemId the system sends")
		var groups groupFlags
		fs.Var(&groups, "group", "a dealer group the system submits purchases for (repeatable)")
		if err := fs.Parse(args[1:]); err != nil {
			return err
		}
		secret, err := dealerkeys.NewSecret()
		if err != nil {
			return err
		}
		key := map[string]any{"id": *id, "secret": secret, "groups": []string(groups), "idPrefix": *prefix}
		doc, _ := json.Marshal(map[string]any{"keys": []any{key}})
		if _, err := dealerkeys.Parse(string(doc)); err != nil {
			return fmt.Errorf("dealer-key new: %w", err)
		}
		out, _ := json.Marshal(key)
		fmt.Println(string(out))
		return nil
	case "check":
		if len(args) != 2 {
			return errors.New("dealer-key check: give the keys document's file")
		}
		b, err := os.ReadFile(args[1])
		if err != nil {
			return err
		}
		set, err := dealerkeys.Parse(string(b))
		if err != nil {
			return err
		}
		for _, k := range set.Keys {
			fmt.Printf("%s: groups %s, ids %s…\n", k.ID, strings.Join(k.Groups, ", "), k.IDPrefix)
		}
		fmt.Printf("%d keys, valid\n", len(set.Keys))
		return nil
	}
	return fmt.Errorf("dealer-key: unknown command %q (new or check)", args[0])
}

type groupFlags []string

func (g *groupFlags) String() string     { return strings.Join(*g, ",") }
func (g *groupFlags) Set(v string) error { *g = append(*g, v); return nil }
