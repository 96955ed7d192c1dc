package metrics

import "context"

// Disagreements is the count of a reconciliation's findings no repair settled, by Partner and in
// all; ReconciledOrders how many orders it compared with each partner.
const (
	Disagreements    = "Disagreements"
	ReconciledOrders = "ReconciledOrders"
)

// Reconciliation writes one record per partner compared and one for the total, so the alarm can
// watch the total and the dashboard show each partner.
func (s *Sink) Reconciliation(ctx context.Context, compared, disagreements map[string]int) {
	if !s.on() {
		return
	}
	total := 0
	for p, n := range compared {
		d := disagreements[p]
		total += d
		s.write(ctx, "reconciliation", [][]string{{DimPartner}}, []metric{{Disagreements, "Count"}, {ReconciledOrders, "Count"}},
			[]any{DimPartner, p, Disagreements, d, ReconciledOrders, n})
	}
	s.write(ctx, "reconciliation", [][]string{{}}, []metric{{Disagreements, "Count"}}, []any{Disagreements, total})
}
