package importing

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
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
}

// Import processes the jobs for orderIDs and returns a result for each.
func (im *Importer) Import(ctx context.Context, orderIDs []string, by order.Actor) map[string]Result {
	results := make(map[string]Result, len(orderIDs))
	var work []*order.Order
	seen := map[string]bool{}
	for _, id := range orderIDs {
		if seen[id] {
			continue // the same job twice in one batch: handle it once; both get its result
		}
		seen[id] = true
		o, err := im.Orders.Get(ctx, id)
		switch {
		case errors.Is(err, order.ErrNotFound):
			im.Log.WarnContext(ctx, "import job for an unknown order", "order", id)
			results[id] = Result{Outcome: Done}
		case err != nil:
			im.Log.ErrorContext(ctx, "load order", "order", id, "error", err.Error())
			results[id] = Result{Outcome: Retry, Delay: RetryBase}
		case !o.AwaitsSubmission():
			results[id] = Result{Outcome: Done} // already past this step
		default:
			work = append(work, o)
		}
	}

	var ready []*order.Order
	calls := map[string]*order.PartnerCall{}
	for _, o := range work {
		rec, call, err := im.ensureCustomer(ctx, o)
		if err != nil {
			results[o.ID] = im.failOrRetry(ctx, o, by, call, err, "ensure customer")
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
		im.submit(ctx, ready[:n], calls, by, results)
		ready = ready[n:]
	}
	return results
}

// submit imports orders in one call. A refusal of a multi-order call is retried order by order, so
// one bad order cannot hold back the others and plenigo's reason lands on the right order.
func (im *Importer) submit(ctx context.Context, orders []*order.Order, customerCalls map[string]*order.PartnerCall, by order.Actor, results map[string]Result) {
	req := plenigo.OrderImports{Purchase: false, SuppressMail: true}
	for _, o := range orders {
		req.Items = append(req.Items, importItems(o)...)
	}
	res, err := im.Plenigo.ImportOrders(ctx, req)
	kind := partner.KindOf(err)
	if len(orders) > 1 && (kind == partner.Permanent || kind == partner.AlreadyDone || kind == partner.NotFound) {
		for _, o := range orders {
			im.submit(ctx, []*order.Order{o}, customerCalls, by, results)
		}
		return
	}
	for _, o := range orders {
		switch kind {
		case 0, partner.AlreadyDone:
			call := &order.PartnerCall{Partner: "plenigo", Operation: "import order", Outcome: "accepted", Status: 201}
			reason := "import accepted; waiting for plenigo's import log"
			if kind == partner.AlreadyDone {
				call.Outcome, call.Status, call.Detail = "already imported", 400, err.Error()
				reason = "plenigo already has this order; confirming from its import log"
			} else if res.PromiseID != "" {
				call.Detail = "promise " + res.PromiseID
			}
			results[o.ID] = im.update(ctx, o.ID, func(cur *order.Order) error {
				if !cur.AwaitsSubmission() {
					return order.ErrNoChange
				}
				cur.Customer.PlenigoCustomerID = o.Customer.PlenigoCustomerID
				if res.PromiseID != "" {
					cur.Subscription.PromiseID = res.PromiseID
				}
				if c := customerCalls[o.ID]; c != nil {
					cur.Record(order.Change{At: im.Now(), By: by, Call: c})
				}
				return cur.MoveTo(order.ImportSubmitted, order.Change{At: im.Now(), By: by, Reason: reason, Call: call})
			})
		case partner.NotFound:
			// The remembered customer is gone from plenigo: forget it and create it again next time.
			im.forgetCustomer(ctx, o.Customer.Email)
			results[o.ID] = im.failOrRetry(ctx, o, by, nil, err, "import order")
		default:
			results[o.ID] = im.failOrRetry(ctx, o, by, nil, err, "import order")
		}
	}
}

// failOrRetry records a failed plenigo call: a permanent refusal fails the order with plenigo's
// reason; anything else (transient, token trouble, a forgotten customer) is retried later.
func (im *Importer) failOrRetry(ctx context.Context, o *order.Order, by order.Actor, call *order.PartnerCall, err error, op string) Result {
	kind := partner.KindOf(err)
	if call == nil {
		call = &order.PartnerCall{Partner: "plenigo", Operation: op}
	}
	call.Outcome, call.Detail = kind.String(), err.Error()
	call.Status = partner.StatusOf(err)
	if kind == partner.Unauthorized {
		im.Log.ErrorContext(ctx, "plenigo refused the API token; check the token secret", "order", o.ID, "status", call.Status)
	}
	if kind == partner.Permanent {
		return im.update(ctx, o.ID, func(cur *order.Order) error {
			if !cur.AwaitsSubmission() {
				return order.ErrNoChange
			}
			return cur.MoveTo(order.ImportFailed, order.Change{At: im.Now(), By: by, Reason: "plenigo refused the order: " + err.Error(), Call: call})
		})
	}
	attempts := 0
	r := im.update(ctx, o.ID, func(cur *order.Order) error {
		if !cur.AwaitsSubmission() {
			return order.ErrNoChange
		}
		attempts = cur.Attempts + 1
		ch := order.Change{At: im.Now(), By: by, Reason: "will retry: " + kind.String() + " failure", Call: call}
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
	if r.Outcome == Done && attempts > 0 {
		return Result{Outcome: Retry, Delay: im.retryDelay(attempts)}
	}
	return r
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
	items := make([]plenigo.OrderImport, len(o.Items))
	for i, it := range o.Items {
		q, _ := it.Quantity.Whole() // the mapping admitted only whole quantities
		items[i] = plenigo.OrderImport{
			ExternalSystemID:  o.ImportKey(i),
			PlenigoOfferID:    it.OfferID,
			InvoiceCustomerID: o.Customer.PlenigoCustomerID,
			Quantity:          int(q),
			StartDate:         o.StartDate,
			PaymentMethod:     o.Payment.PlenigoMethod,
			ManagedBy:         managedBy,
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
		key := d.Group + "|" + d.Number
		if !rec.WBZMarks[key] {
			if err := im.Plenigo.SetWBZMark(ctx, rec.PlenigoID, plenigo.WBZMark{DealerGroup: d.Group, DealerNumber: d.Number}); err != nil {
				call.Operation = "set WBZ mark"
				return rec, call, err
			}
			marks := make(map[string]bool, len(rec.WBZMarks)+1)
			for k, v := range rec.WBZMarks {
				marks[k] = v
			}
			marks[key] = true
			rec.WBZMarks = marks
			call.Outcome += ", WBZ mark set"
			if err := im.Customers.PutCustomer(ctx, rec); err != nil {
				im.Log.WarnContext(ctx, "remember WBZ mark", "order", o.ID, "error", err.Error())
			}
		}
	}
	call.Detail = "plenigo customer " + rec.PlenigoID
	return rec, call, nil
}

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
