package importing

import (
	"cmp"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"strconv"
	"strings"
	"time"

	"github.com/orderhub/orderhub/shared/backoff"
	"github.com/orderhub/orderhub/shared/order"
	"github.com/orderhub/orderhub/shared/partner"
	"github.com/orderhub/orderhub/shared/plenigo"
)

// Outcome says what the worker does with a job after Import.
type Outcome int

const (
	// Done: acknowledge the job; the order moved on, failed visibly, or needs nothing.
	Done Outcome = iota
	// Retry: leave the job on the queue and make it visible again after Delay.
	Retry
)

// Result is the outcome for one order id.
type Result struct {
	Outcome Outcome
	Delay   time.Duration
}

// Retry delays grow from RetryBase, doubling per attempt, up to RetryCap.
const (
	RetryBase = 30 * time.Second
	RetryCap  = 15 * time.Minute
)

// Importer ensures each order's customer in plenigo and submits the orders' imports, as few calls
// as it can: one import call for a whole batch of jobs, and no customer call for an email it knows.
// It claims each order before calling plenigo, so only one import of an order is ever in flight,
// and after a submission whose outcome plenigo left open it looks the order up before posting again.
type Importer struct {
	Orders    order.Repository
	Customers Customers
	Plenigo   *plenigo.Client
	Now       func() time.Time
	Log       *slog.Logger
	// MaxItemsPerCall bounds the items of one import call.
	MaxItemsPerCall int
	// RetryBase and RetryCap shape the delays of retried jobs; zero means the package defaults.
	RetryBase, RetryCap time.Duration
	// ClaimTTL is how long a claim on an order's import step holds: longer than one invocation, so
	// only a worker that died loses it. Zero means DefaultClaimTTL.
	ClaimTTL time.Duration
	// UncertainAfter is how long after an uncertain submission plenigo may still be processing it:
	// until then a lookup that finds nothing waits instead of posting again. Zero means
	// DefaultUncertainAfter.
	UncertainAfter time.Duration
	// Budget is the least time before the invocation's deadline in which a plenigo step is started;
	// orders not reached are handed back for the next delivery. Zero means DefaultBudget.
	Budget time.Duration
}

// Defaults of the Importer's durations.
const (
	DefaultClaimTTL       = 2 * time.Minute
	DefaultUncertainAfter = 5 * time.Minute
	DefaultBudget         = 10 * time.Second
)

// Import processes the jobs for orderIDs and returns a result for each.
func (im *Importer) Import(ctx context.Context, orderIDs []string, by order.Actor) map[string]Result {
	results := make(map[string]Result, len(orderIDs))
	owner := claimOwner(by)
	var work []*order.Order
	seen := map[string]bool{}
	for _, id := range orderIDs {
		if seen[id] {
			continue // the same job twice in one batch: handle it once; both get its result
		}
		seen[id] = true
		o, r, ok := im.claim(ctx, id, owner)
		if !ok {
			results[id] = r
			continue
		}
		work = append(work, o)
	}

	var ready []*order.Order
	calls := map[string]*order.PartnerCall{}
	for _, o := range work {
		if !im.timeLeft(ctx) {
			results[o.ID] = im.handBack(ctx, o.ID, owner, by)
			continue
		}
		if !o.Submission.UncertainAt.IsZero() {
			if r, decided := im.settleUncertain(ctx, o, owner, by); decided {
				results[o.ID] = r
				continue
			}
		}
		rec, call, err := im.ensureCustomer(ctx, o)
		if err != nil {
			if partner.KindOf(err) == partner.NotFound {
				im.forgetCustomer(ctx, o.Customer.Email) // gone from plenigo: create it again next time
			}
			results[o.ID] = im.failOrRetry(ctx, []*order.Order{o}, owner, by, call, err, "ensure customer")
			continue
		}
		o.Customer.PlenigoCustomerID = rec.PlenigoID
		calls[o.ID] = call
		ready = append(ready, o)
	}
	chunk := max(im.MaxItemsPerCall, 1)
	for len(ready) > 0 {
		n, items := 0, 0
		for n < len(ready) && (n == 0 || items+len(ready[n].Items) <= chunk) {
			items += len(ready[n].Items)
			n++
		}
		if !im.timeLeft(ctx) {
			for _, o := range ready {
				results[o.ID] = im.handBack(ctx, o.ID, owner, by)
			}
			break
		}
		im.submit(ctx, ready[:n], calls, owner, by, results)
		ready = ready[n:]
	}
	return results
}

// claimOwner names this invocation as the holder of the claims it takes.
func claimOwner(by order.Actor) string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return by.Function + "/" + by.RequestID + "/" + hex.EncodeToString(b[:])
}

// claim takes the order's import step for owner. ok is false, with the job's result, when the order
// is gone, past this step, or held by another worker.
func (im *Importer) claim(ctx context.Context, id, owner string) (o *order.Order, r Result, ok bool) {
	var held time.Time
	o, err := im.Orders.Update(ctx, id, func(cur *order.Order) error {
		held = time.Time{}
		if !cur.AwaitsSubmission() {
			return order.ErrNoChange
		}
		if !cur.Claim(owner, im.Now(), cmp.Or(im.ClaimTTL, DefaultClaimTTL)) {
			held = cur.Submission.Until
			return order.ErrNoChange
		}
		return nil
	})
	switch {
	case errors.Is(err, order.ErrNotFound):
		im.Log.WarnContext(ctx, "import job for an unknown order", "order", id)
		return nil, Result{Outcome: Done}, false
	case err != nil:
		im.Log.ErrorContext(ctx, "claim order", "order", id, "error", err.Error())
		return nil, Result{Outcome: Retry, Delay: im.retryDelay(1)}, false
	case !held.IsZero():
		// Another worker is importing it: come back after its claim, when it is done or has expired.
		return nil, Result{Outcome: Retry, Delay: max(held.Sub(im.Now()), time.Second)}, false
	case !o.ClaimedBy(owner, im.Now()):
		return nil, Result{Outcome: Done}, false // already past this step
	}
	return o, Result{}, true
}

// timeLeft reports whether a plenigo step can still finish before the invocation's deadline.
func (im *Importer) timeLeft(ctx context.Context) bool { return timeLeft(ctx, im.Budget) }

// timeLeft reports whether more than budget (zero: DefaultBudget) is left before ctx's deadline.
func timeLeft(ctx context.Context, budget time.Duration) bool {
	dl, ok := ctx.Deadline()
	return !ok || time.Until(dl) > cmp.Or(budget, DefaultBudget)
}

// handBack releases a claimed order this invocation has no time for; its job comes back at once.
func (im *Importer) handBack(ctx context.Context, id, owner string, by order.Actor) Result {
	im.release(ctx, id, owner, false)
	im.Log.InfoContext(ctx, "handed back: too little time left in this invocation", "order", id, "function", by.Function)
	return Result{Outcome: Retry, Delay: time.Second}
}

// release gives up owner's claim without moving the order.
func (im *Importer) release(ctx context.Context, id, owner string, uncertain bool) {
	_, err := im.Orders.Update(context.WithoutCancel(ctx), id, func(cur *order.Order) error {
		if cur.Submission.Owner != owner {
			return order.ErrNoChange
		}
		cur.Release(uncertain, im.Now())
		return nil
	})
	if err != nil {
		im.Log.WarnContext(ctx, "release claim", "order", id, "error", err.Error())
	}
}

// settleUncertain decides about an order whose last submission's outcome is unknown, before it is
// posted again. plenigo has every item: IMPORTED. The import log shows an item pending: wait. It
// shows the earlier import refused: IMPORT_FAILED with plenigo's reason (plenigo processed it; a
// second post would only meet an old refusal in the log). No trace of an item once UncertainAfter
// has passed: decided false, and the items plenigo does not have are submitted again.
func (im *Importer) settleUncertain(ctx context.Context, o *order.Order, owner string, by order.Actor) (Result, bool) {
	look := func(err error) (Result, bool) {
		im.release(ctx, o.ID, owner, false)
		kind := partner.KindOf(err)
		im.Log.WarnContext(ctx, "look up an uncertain import", "order", o.ID, "kind", kind.String(), "error", err.Error())
		if kind == partner.Unauthorized {
			return Result{Outcome: Retry, Delay: cmp.Or(im.RetryCap, RetryCap)}, true
		}
		return Result{Outcome: Retry, Delay: im.retryDelay(max(o.Attempts, 1))}, true
	}
	found, _, err := lookupImport(ctx, im.Plenigo, o)
	if err != nil {
		return look(err)
	}
	var refused *plenigo.LogEntry
	pending, traceless := false, false
	for i := range o.Items {
		k := o.ImportKey(i)
		if _, ok := found[k]; ok || o.Items[i].PlenigoOrderID != "" {
			continue
		}
		entries, err := im.Plenigo.ImportLogFor(ctx, k)
		if err != nil {
			return look(err)
		}
		if len(entries) == 0 {
			traceless = true
			continue
		}
		e := entries[len(entries)-1] // the newest says what became of the last submission
		switch {
		case e.Success:
			found[k] = strconv.FormatInt(e.OrderID, 10)
		case pendingEntry(e):
			pending = true
		default:
			refused = &e
		}
	}
	now := im.Now()
	switch {
	case !pending && !traceless && refused == nil: // plenigo has every item
		return im.update(ctx, o.ID, func(cur *order.Order) error {
			if !cur.AwaitsSubmission() {
				return order.ErrNoChange
			}
			cur.Submitted()
			return confirmFound(cur, found, now, by)
		}), true
	case refused != nil && !pending:
		call := &order.PartnerCall{Partner: "plenigo", Operation: "import log", Outcome: "failed", Detail: fmt.Sprintf("entry %d", refused.ID)}
		return im.update(ctx, o.ID, func(cur *order.Order) error {
			if !cur.AwaitsSubmission() {
				return order.ErrNoChange
			}
			cur.Submitted()
			return cur.MoveTo(order.ImportFailed, order.Change{At: now, By: by, Reason: "plenigo's import failed: " + describeFailure(*refused), Call: call})
		}), true
	}
	wait := cmp.Or(im.UncertainAfter, DefaultUncertainAfter) - now.Sub(o.Submission.UncertainAt)
	if !pending && wait <= 0 {
		// Never arrived: submit again what plenigo does not have; what it has is kept.
		for k, pid := range found {
			o.ConfirmImport(k, pid)
		}
		return Result{}, false
	}
	reason := "plenigo shows no trace of the last submission yet; looking again before posting"
	if pending {
		reason, wait = "plenigo is still processing the last submission", max(wait, im.retryDelay(1))
	}
	r := im.update(ctx, o.ID, func(cur *order.Order) error {
		if cur.Submission.Owner != owner {
			return order.ErrNoChange
		}
		cur.Release(false, now)
		cur.Record(order.Change{At: now, By: by, Reason: reason,
			Call: &order.PartnerCall{Partner: "plenigo", Operation: "find order", Outcome: "not found yet"}})
		return nil
	})
	if r.Outcome == Done {
		r = Result{Outcome: Retry, Delay: max(wait, time.Second)}
	}
	return r, true
}

// submit imports orders in one call. A refusal of a multi-order call is retried order by order, so
// one bad order cannot hold back the others and plenigo's reason lands on the right order.
func (im *Importer) submit(ctx context.Context, orders []*order.Order, customerCalls map[string]*order.PartnerCall, owner string, by order.Actor, results map[string]Result) {
	req := plenigo.OrderImports{Purchase: false, SuppressMail: true}
	for _, o := range orders {
		req.Items = append(req.Items, importItems(o)...)
	}
	var res plenigo.ImportResult
	var err error
	if len(req.Items) > 0 {
		res, err = im.Plenigo.ImportOrders(ctx, req)
	} else {
		err = &plenigo.Error{Op: "import orders", Code: 97001, Message: "every item was confirmed before"}
	}
	kind := partner.KindOf(err)
	if len(orders) > 1 && (kind == partner.Permanent || kind == partner.AlreadyDone || kind == partner.NotFound) {
		for _, o := range orders {
			if !im.timeLeft(ctx) {
				results[o.ID] = im.handBack(ctx, o.ID, owner, by)
				continue
			}
			im.submit(ctx, []*order.Order{o}, customerCalls, owner, by, results)
		}
		return
	}
	if kind != 0 && kind != partner.AlreadyDone {
		r := im.failOrRetry(ctx, orders, owner, by, nil, err, "import order")
		for _, o := range orders {
			results[o.ID] = r
		}
		if kind == partner.NotFound {
			// The remembered customer is gone from plenigo: forget it and create it again next time.
			im.forgetCustomer(ctx, orders[0].Customer.Email)
		}
		return
	}
	for _, o := range orders {
		call := &order.PartnerCall{Partner: "plenigo", Operation: "import order", Outcome: "accepted", Status: 201}
		reason := "import accepted; waiting for plenigo's import log"
		if kind == partner.AlreadyDone {
			call.Outcome, call.Status, call.Detail = "already imported", partner.StatusOf(err), err.Error()
			reason = "plenigo already has this order; confirming from its import log"
		} else if res.PromiseID != "" {
			call.Detail = "promise " + res.PromiseID
		}
		results[o.ID] = im.update(ctx, o.ID, func(cur *order.Order) error {
			if !cur.AwaitsSubmission() {
				return order.ErrNoChange
			}
			cur.Submitted()
			cur.Customer.PlenigoCustomerID = o.Customer.PlenigoCustomerID
			if o.Dealer != nil && cur.Dealer != nil {
				cur.Dealer.DeliveryAddressID = o.Dealer.DeliveryAddressID
			}
			if res.PromiseID != "" {
				cur.Subscription.PromiseID = res.PromiseID
			}
			if c := customerCalls[o.ID]; c != nil {
				cur.Record(order.Change{At: im.Now(), By: by, Call: c})
			}
			return cur.MoveTo(order.ImportSubmitted, order.Change{At: im.Now(), By: by, Reason: reason, Call: call})
		})
	}
}

// failOrRetry records a failed plenigo call for orders: a permanent refusal fails them with
// plenigo's reason; anything else (transient, token trouble, a forgotten customer) is retried
// later. Every claim is given up; an uncertain import is marked so, so it is looked up first.
func (im *Importer) failOrRetry(ctx context.Context, orders []*order.Order, owner string, by order.Actor, call *order.PartnerCall, err error, op string) Result {
	kind := partner.KindOf(err)
	if call == nil {
		call = &order.PartnerCall{Partner: "plenigo", Operation: op}
	}
	call.Outcome, call.Detail, call.Status = kind.String(), err.Error(), partner.StatusOf(err)
	uncertain := op == "import order" && plenigo.IsUncertain(err)
	if uncertain {
		call.Outcome = "uncertain: plenigo may have it"
	}
	if kind == partner.Unauthorized {
		im.Log.ErrorContext(ctx, "plenigo refused the API token; check the token secret and its rights (CUSTOMERS, IMPORTS)",
			"orders", len(orders), "status", call.Status, "error", err.Error())
	}
	var last Result
	for _, o := range orders {
		if kind == partner.Permanent {
			last = im.update(ctx, o.ID, func(cur *order.Order) error {
				if !cur.AwaitsSubmission() {
					return order.ErrNoChange
				}
				cur.Submitted()
				return cur.MoveTo(order.ImportFailed, order.Change{At: im.Now(), By: by, Reason: "plenigo refused the order: " + err.Error(), Call: call})
			})
			continue
		}
		attempts := 0
		last = im.update(ctx, o.ID, func(cur *order.Order) error {
			attempts = 0
			if !cur.AwaitsSubmission() {
				return order.ErrNoChange
			}
			attempts = cur.Attempts + 1
			reason := "will retry: " + kind.String() + " failure"
			if kind == partner.Unauthorized {
				reason = "held: plenigo refused the API token; orders go on once the token is fixed"
			}
			if cur.Submission.Owner == owner {
				cur.Release(uncertain, im.Now())
			} else if uncertain {
				cur.Submission.UncertainAt = im.Now().UTC()
			}
			ch := order.Change{At: im.Now(), By: by, Reason: reason, Call: call}
			if cur.State == order.Queued {
				if err := cur.MoveTo(order.Retrying, ch); err != nil {
					return err
				}
			} else {
				cur.Record(ch)
			}
			cur.Attempts = attempts
			return nil
		})
		if last.Outcome == Done && attempts > 0 {
			last = Result{Outcome: Retry, Delay: im.retryDelay(attempts)}
			if kind == partner.Unauthorized {
				last.Delay = cmp.Or(im.RetryCap, RetryCap)
			}
		}
	}
	return last
}

// update applies fn and turns a store failure into a retry of the job.
func (im *Importer) update(ctx context.Context, id string, fn func(*order.Order) error) Result {
	if _, err := im.Orders.Update(ctx, id, fn); err != nil {
		im.Log.ErrorContext(ctx, "update order", "order", id, "error", err.Error())
		return Result{Outcome: Retry, Delay: RetryBase}
	}
	return Result{Outcome: Done}
}

// retryDelay is the delay before attempt n+1 of a job: the shared backoff from RetryBase to RetryCap
// with equal jitter, between half and all of RetryBase·2^(n-1), so the waits grow with the attempts
// and a partner that is down is not asked again at once.
func (im *Importer) retryDelay(attempt int) time.Duration {
	p := backoff.Policy{Base: im.RetryBase, Cap: im.RetryCap, Keep: 0.5}
	if p.Base <= 0 {
		p.Base = RetryBase
	}
	if p.Cap <= 0 {
		p.Cap = RetryCap
	}
	return p.Delay(attempt)
}

func importItems(o *order.Order) []plenigo.OrderImport {
	managedBy := "EXTERNAL"
	if o.Source == order.SourceDealer {
		managedBy = "WBZ"
	}
	items := make([]plenigo.OrderImport, 0, len(o.Items))
	for i, it := range o.Items {
		if it.PlenigoOrderID != "" {
			continue // confirmed before a replay: plenigo has this item
		}
		q, _ := it.Quantity.Whole() // the mapping admitted only whole quantities
		items = append(items, plenigo.OrderImport{
			ExternalSystemID:  o.ImportKey(i),
			PlenigoOfferID:    it.OfferID,
			InvoiceCustomerID: o.Customer.PlenigoCustomerID,
			Quantity:          int(q),
			StartDate:         o.StartDate,
			PaymentMethod:     o.Payment.PlenigoMethod,
			ManagedBy:         managedBy,
		})
		if o.Dealer != nil {
			items[len(items)-1].DeliveryAddressID = o.Dealer.DeliveryAddressID
		}
	}
	return items
}

// StableCustomerID derives a plenigo customer id from an email. Creating a customer with it is
// idempotent: plenigo answers 208 for the same email and id, so concurrent workers and retries
// after a lost answer all end with one customer, without a lookup first.
func StableCustomerID(email string) string {
	sum := sha256.Sum256([]byte(email))
	n := binary.BigEndian.Uint64(sum[:8]) % 100_000_000_000_000_000 // 17 digits
	return "9" + fmt.Sprintf("%017d", n)
}

// ensureCustomer returns the plenigo customer for the order's email, creating it (and a dealer's
// WBZ mark) when needed, and the call that did it for the order's history.
func (im *Importer) ensureCustomer(ctx context.Context, o *order.Order) (CustomerRecord, *order.PartnerCall, error) {
	email := o.Customer.Email
	call := &order.PartnerCall{Partner: "plenigo", Operation: "ensure customer", Outcome: "known"}
	rec, err := im.Customers.GetCustomer(ctx, email)
	switch {
	case errors.Is(err, ErrUnknownCustomer):
		rec, call.Outcome, err = im.createCustomer(ctx, o)
		if err != nil {
			return rec, call, err
		}
		if err := im.Customers.PutCustomer(ctx, rec); err != nil {
			// Not fatal: the next order recreates it with the same stable id (208).
			im.Log.WarnContext(ctx, "remember customer", "order", o.ID, "error", err.Error())
		}
	case err != nil:
		return rec, call, fmt.Errorf("load customer record: %w", err)
	}
	if d := o.Dealer; d != nil {
		if rec, err = im.ensureDealer(ctx, o, rec, call); err != nil {
			return rec, call, err
		}
	}
	call.Detail = "plenigo customer " + rec.PlenigoID
	return rec, call, nil
}

// ensureDealer gives a dealer's customer its WBZ mark and, for a purchase that names a delivery
// address, the WBZ address plenigo delivers printed offers to; each is created once and remembered.
// plenigo keeps one WBZ mark per customer, so a purchase of another dealer under the same email is
// refused rather than moving the customer's earlier subscriptions to that dealer.
func (im *Importer) ensureDealer(ctx context.Context, o *order.Order, rec CustomerRecord, call *order.PartnerCall) (CustomerRecord, error) {
	d := o.Dealer
	key := d.Group + "|" + d.Number
	for other := range rec.WBZMarks {
		if other != key {
			call.Operation = "set WBZ mark"
			return rec, &dealerConflict{email: o.Customer.Email, has: other, wants: key}
		}
	}
	changed := false
	if !rec.WBZMarks[key] {
		if err := im.Plenigo.SetWBZMark(ctx, rec.PlenigoID, plenigo.WBZMark{DealerGroup: d.Group, DealerNumber: d.Number}); err != nil {
			call.Operation = "set WBZ mark"
			return rec, err
		}
		rec.WBZMarks = map[string]bool{key: true}
		call.Outcome += ", WBZ mark set"
		changed = true
	}
	if a := d.Delivery; a != nil {
		ak := addressKey(a)
		id := rec.WBZAddresses[ak]
		if id == 0 {
			var err error
			id, err = im.Plenigo.CreateWBZAddress(ctx, plenigo.WBZAddress{CustomerID: rec.PlenigoID, Type: "DELIVERY",
				CompanyName: a.Company, FirstName: a.FirstName, LastName: a.LastName, Street: a.Street, StreetNumber: a.HouseNumber,
				Postcode: a.PostalCode, City: a.Town, Country: a.Country})
			if err != nil {
				call.Operation = "create WBZ address"
				return rec, err
			}
			addrs := maps.Clone(rec.WBZAddresses)
			if addrs == nil {
				addrs = map[string]int64{}
			}
			addrs[ak] = id
			rec.WBZAddresses = addrs
			call.Outcome += fmt.Sprintf(", WBZ delivery address %d created", id)
			changed = true
		}
		d.DeliveryAddressID = id
	}
	if changed {
		if err := im.Customers.PutCustomer(ctx, rec); err != nil {
			im.Log.WarnContext(ctx, "remember WBZ mark and address", "order", o.ID, "error", err.Error())
		}
	}
	return rec, nil
}

// addressKey names a delivery address by its content, so one address is created once per customer.
func addressKey(a *order.Address) string {
	sum := sha256.Sum256([]byte(strings.Join([]string{a.Company, a.FirstName, a.LastName, a.Street, a.HouseNumber, a.PostalCode, a.Town, a.Country}, "\x00")))
	return hex.EncodeToString(sum[:12])
}

// dealerConflict is a purchase of another dealer for a customer that already carries a WBZ mark.
type dealerConflict struct{ email, has, wants string }

func (e *dealerConflict) Error() string {
	return fmt.Sprintf("the plenigo customer %s already carries the WBZ mark of dealer %s; plenigo keeps one mark per customer, so dealer %s needs its own email",
		e.email, strings.Replace(e.has, "|", "/", 1), strings.Replace(e.wants, "|", "/", 1))
}

// Kind implements partner.Classified: only a new email or a changed mark can resolve it.
func (e *dealerConflict) Kind() partner.Kind { return partner.Permanent }

func (im *Importer) createCustomer(ctx context.Context, o *order.Order) (CustomerRecord, string, error) {
	c := o.Customer
	in := plenigo.CustomerCreation{
		CustomerID: StableCustomerID(c.Email),
		Email:      c.Email,
		Language:   c.Language,
		Salutation: salutation(c.Gender),
		FirstName:  c.FirstName,
		LastName:   c.LastName,
	}
	if a := c.Address; a.Street != "" || a.Town != "" || a.Company != "" {
		in.Addresses = []plenigo.CustomerAddress{{Type: "INVOICE", Preferred: true, Salutation: in.Salutation,
			FirstName: a.FirstName, LastName: a.LastName, CompanyName: a.Company, Street: a.Street, StreetNumber: a.HouseNumber,
			AdditionalInfo: a.Additional, Postcode: a.PostalCode, City: a.Town, Country: a.Country}}
	}
	cu, created, err := im.Plenigo.CreateCustomer(ctx, in)
	outcome := "created"
	if err == nil && !created {
		outcome = "existed (208)"
	}
	if partner.KindOf(err) == partner.Conflict {
		// The email belongs to a customer plenigo knows under another id (made at checkout, say).
		cu, err = im.Plenigo.FindCustomerByEmail(ctx, c.Email)
		outcome = "found by email"
	}
	if err != nil {
		return CustomerRecord{}, "failed", err
	}
	return CustomerRecord{Email: c.Email, PlenigoID: cu.CustomerID}, outcome, nil
}

func salutation(gender string) string {
	switch gender {
	case "male":
		return "MR"
	case "female":
		return "MRS"
	case "diverse":
		return "DIVERSE"
	}
	return ""
}

func (im *Importer) forgetCustomer(ctx context.Context, email string) {
	if err := im.Customers.DeleteCustomer(ctx, email); err != nil {
		im.Log.WarnContext(ctx, "forget customer", "error", err.Error())
	}
}
