package reconcile

import (
	"context"
	"fmt"
	"strings"

	"github.com/orderhub/orderhub/shared/bonifiq"
	"github.com/orderhub/orderhub/shared/loyalty"
	"github.com/orderhub/orderhub/shared/order"
	"github.com/orderhub/orderhub/shared/plenigo"
	"github.com/orderhub/orderhub/shared/plenty"
	"github.com/orderhub/orderhub/shared/plentysync"
)

// Holding is what one partner holds for an order right now, as lines for a person to read.
type Holding struct {
	Partner string
	Lines   []string
	// Err is set when the partner could not be asked; its lines are then empty.
	Err error
}

// LiveView is every configured partner's holding of one order and where they disagree with orderhub.
type LiveView struct {
	Holdings []Holding
	Findings []Finding
}

// Live asks each configured partner what it holds for o, with one lookup per import key, per
// plentymarkets order and per BonifiQ order, and checks it with the rules reconciliation uses.
func Live(ctx context.Context, o *order.Order, p Partners) LiveView {
	var v LiveView
	if p.Plenigo != nil {
		h := Holding{Partner: Plenigo}
		byKey := map[string][]plenigo.Order{}
		for i := range o.Items {
			k := o.ImportKey(i)
			got, err := p.Plenigo.OrdersByExternalSystemID(ctx, k)
			if err != nil {
				h.Err = err
				break
			}
			byKey[k] = got
			if len(got) == 0 {
				h.Lines = append(h.Lines, fmt.Sprintf("%s: no order", k))
			}
			for _, g := range got {
				h.Lines = append(h.Lines, fmt.Sprintf("%s: order %d %s, changed %s", k, g.OrderID, g.Status, g.ChangedDate.UTC().Format("2006-01-02 15:04:05")))
			}
		}
		if h.Err == nil {
			v.Findings = append(v.Findings, CheckPlenigo(o, byKey)...)
		}
		v.Holdings = append(v.Holdings, h)
	}
	if id, ok := PlentyRef(o); ok && p.Plenty != nil {
		h := Holding{Partner: Plenty}
		remote, err := p.Plenty.GetOrder(ctx, id)
		var pkgs []plenty.Package
		if err == nil {
			pkgs, err = p.Plenty.Packages(ctx, id)
		}
		if err != nil {
			h.Err = err
		} else {
			nums := make([]string, len(pkgs))
			for i, pk := range pkgs {
				nums[i] = pk.PackageNumber
			}
			h.Lines = append(h.Lines, fmt.Sprintf("order %d: status %s, updated %s", remote.ID, remote.Status, remote.UpdatedAt.UTC().Format("2006-01-02 15:04:05")),
				fmt.Sprintf("packages: %d (%s)", len(pkgs), strings.Join(nums, ", ")))
			v.Findings = append(v.Findings, CheckPlenty(o, remote, true)...)
			v.Findings = append(v.Findings, checkPackage(o, pkgs)...)
		}
		v.Holdings = append(v.Holdings, h)
	}
	if p.Bonifiq != nil && o.Track(loyalty.Track) != nil {
		h := Holding{Partner: Bonifiq}
		remote, found, err := bonifiqOrder(ctx, p.Bonifiq, o.ID)
		switch {
		case err != nil:
			h.Err = err
		case !found:
			h.Lines = append(h.Lines, "no order "+o.ID)
		default:
			h.Lines = append(h.Lines, fmt.Sprintf("order %d (%s): state %d %s, total %s", remote.ID, remote.OriginalID, remote.State, bonifiqState(remote.State), remote.OrderTotal))
		}
		if err == nil {
			v.Findings = append(v.Findings, CheckBonifiq(o, remote, found)...)
		}
		v.Holdings = append(v.Holdings, h)
	}
	return v
}

// checkPackage: once orderhub wrote an imported order back, plentymarkets has one package whose
// number is plenigo's order id.
func checkPackage(o *order.Order, pkgs []plenty.Package) []Finding {
	want := o.Subscription.PlenigoOrderID
	t := o.Track(plentysync.Track)
	if want == "" || t == nil || t.State != plentysync.Written || !inPlenigo(o.State) {
		return nil
	}
	n := 0
	for _, p := range pkgs {
		if p.PackageNumber == want {
			n++
		}
	}
	switch {
	case n == 0:
		return []Finding{{OrderID: o.ID, Partner: Plenty, Kind: Missing, Detail: "no package numbered with plenigo's order id " + want}}
	case n > 1:
		return []Finding{{OrderID: o.ID, Partner: Plenty, Kind: Duplicated, Detail: fmt.Sprintf("%d packages numbered %s", n, want)}}
	}
	return nil
}

func bonifiqState(s int) string {
	switch s {
	case bonifiq.StateInitial:
		return "(initial)"
	case bonifiq.StatePending:
		return "(pending)"
	case bonifiq.StateComplete:
		return "(completed)"
	case bonifiq.StateCancelled:
		return "(cancelled)"
	case bonifiq.StateIgnored:
		return "(ignored)"
	}
	return ""
}
