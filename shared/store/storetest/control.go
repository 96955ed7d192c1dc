package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/orderhub/orderhub/shared/importing"
)

// Control is what a store offers the import steps besides orders.
type Control interface {
	importing.Customers
	importing.Checkpoints
}

// RunControl runs the contract of customer records, checkpoints and leases.
func RunControl(t *testing.T, newControl func(t *testing.T) Control) {
	t.Run("CustomerRecordsRoundTrip", func(t *testing.T) {
		c, ctx := newControl(t), context.Background()
		if _, err := c.GetCustomer(ctx, "a@b.de"); !errors.Is(err, importing.ErrUnknownCustomer) {
			t.Fatalf("unknown customer: %v", err)
		}
		rec := importing.CustomerRecord{Email: "a@b.de", PlenigoID: "900000000000000001", WBZMarks: map[string]bool{"Nord|4711": true}}
		if err := c.PutCustomer(ctx, rec); err != nil {
			t.Fatal(err)
		}
		got, err := c.GetCustomer(ctx, "a@b.de")
		if err != nil || got.PlenigoID != rec.PlenigoID || !got.WBZMarks["Nord|4711"] {
			t.Fatalf("got %+v, %v", got, err)
		}
		if err := c.DeleteCustomer(ctx, "a@b.de"); err != nil {
			t.Fatal(err)
		}
		if _, err := c.GetCustomer(ctx, "a@b.de"); !errors.Is(err, importing.ErrUnknownCustomer) {
			t.Fatalf("deleted customer: %v", err)
		}
	})
	t.Run("CheckpointsAreVersioned", func(t *testing.T) {
		c, ctx := newControl(t), context.Background()
		cp, err := c.LoadCheckpoint(ctx, "log")
		if err != nil || !cp.Since.IsZero() || cp.Version != 0 {
			t.Fatalf("fresh checkpoint: %+v %v", cp, err)
		}
		first := importing.Checkpoint{Since: t0, Applied: map[int64]time.Time{7: t0}, Version: 0}
		if err := c.SaveCheckpoint(ctx, "log", first); err != nil {
			t.Fatal(err)
		}
		if err := c.SaveCheckpoint(ctx, "log", importing.Checkpoint{Since: t0.Add(time.Hour)}); !errors.Is(err, importing.ErrStaleCheckpoint) {
			t.Fatalf("save over a newer checkpoint: %v", err)
		}
		cp, _ = c.LoadCheckpoint(ctx, "log")
		if !cp.Since.Equal(t0) || cp.Version != 1 || !cp.Applied[7].Equal(t0) {
			t.Fatalf("loaded %+v", cp)
		}
		cp.Since = t0.Add(time.Minute)
		if err := c.SaveCheckpoint(ctx, "log", cp); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("LeasesExcludeOthersUntilTheyExpire", func(t *testing.T) {
		c, ctx := newControl(t), context.Background()
		if ok, err := c.AcquireLease(ctx, "poll", "a", t0, time.Minute); !ok || err != nil {
			t.Fatalf("first acquire: %v %v", ok, err)
		}
		if ok, _ := c.AcquireLease(ctx, "poll", "b", t0.Add(30*time.Second), time.Minute); ok {
			t.Fatal("a second owner got a held lease")
		}
		if ok, _ := c.AcquireLease(ctx, "poll", "a", t0.Add(30*time.Second), time.Minute); !ok {
			t.Fatal("the owner could not renew")
		}
		if ok, _ := c.AcquireLease(ctx, "poll", "b", t0.Add(2*time.Minute), time.Minute); !ok {
			t.Fatal("an expired lease was not taken over")
		}
		if err := c.ReleaseLease(ctx, "poll", "a"); err != nil {
			t.Fatal(err)
		}
		if ok, _ := c.AcquireLease(ctx, "poll", "c", t0.Add(2*time.Minute), time.Minute); ok {
			t.Fatal("a release by a former owner freed b's lease")
		}
		if err := c.ReleaseLease(ctx, "poll", "b"); err != nil {
			t.Fatal(err)
		}
		if ok, _ := c.AcquireLease(ctx, "poll", "c", t0.Add(2*time.Minute), time.Minute); !ok {
			t.Fatal("a released lease could not be taken")
		}
	})
}
