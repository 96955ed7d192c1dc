package operator

import (
	"fmt"
	"io"
	"maps"
	"slices"

	"github.com/orderhub/orderhub/shared/reconcile"
)

// PrintReconciliation writes a reconciliation's report for a person: the window, what was compared
// with each partner and at how many calls, then each disagreement with its repair.
func PrintReconciliation(w io.Writer, r reconcile.Report, opt reconcile.Options) {
	fmt.Fprintf(w, "orders received %s – %s (UTC): %d\n", r.From.Format("2006-01-02 15:04:05"), r.To.Format("2006-01-02 15:04:05"), r.Orders)
	for _, p := range slices.Sorted(maps.Keys(r.Calls)) {
		fmt.Fprintf(w, "  %-14s %6d compared  %5d calls", p, r.Compared[p], r.Calls[p])
		if n := r.NotCompared[p]; n > 0 {
			fmt.Fprintf(w, "  (%d not compared: the per-run bound)", n)
		}
		fmt.Fprintln(w)
	}
	if r.Truncated {
		fmt.Fprintf(w, "  only the first %d orders of the window were compared: reconcile shorter windows\n", r.Orders)
	}
	if len(r.Findings) == 0 {
		fmt.Fprintln(w, "orderhub and its partners agree")
		return
	}
	fmt.Fprintf(w, "%d disagreements, %d repaired:\n", len(r.Findings), r.Repaired)
	for _, f := range r.Findings {
		fmt.Fprintf(w, "  %-22s %-14s %-11s %s\n", f.OrderID, f.Partner, f.Kind, f.Detail)
		switch {
		case f.Repaired:
			fmt.Fprintf(w, "  %-22s repaired: %s\n", "", f.Repair)
		case f.Repair != "" && opt.Repair && opt.DryRun:
			fmt.Fprintf(w, "  %-22s would repair: %s\n", "", f.Repair)
		case f.Repair != "" && opt.Repair:
			fmt.Fprintf(w, "  %-22s not repaired: the order moved on since it was read\n", "")
		case f.Repair != "" && !opt.Repair:
			fmt.Fprintf(w, "  %-22s --repair would %s\n", "", f.Repair)
		case f.Repair == "":
			fmt.Fprintf(w, "  %-22s for a person to decide\n", "")
		}
	}
}

// TraceLive writes what each partner holds for the order now, and flags each disagreement.
func TraceLive(w io.Writer, v reconcile.LiveView) {
	if len(v.Holdings) == 0 {
		fmt.Fprintln(w, "no partner is configured to ask")
		return
	}
	fmt.Fprintln(w, "partners now:")
	for _, h := range v.Holdings {
		if h.Err != nil {
			fmt.Fprintf(w, "  %-14s could not be asked: %v\n", h.Partner, h.Err)
			continue
		}
		for i, l := range h.Lines {
			name := h.Partner
			if i > 0 {
				name = ""
			}
			fmt.Fprintf(w, "  %-14s %s\n", name, l)
		}
	}
	if len(v.Findings) == 0 {
		fmt.Fprintln(w, "  ✓ every partner agrees with orderhub")
		return
	}
	for _, f := range v.Findings {
		fmt.Fprintf(w, "  ✗ %s %s: %s\n", f.Partner, f.Kind, f.Detail)
	}
}
