package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/orderhub/orderhub/shared/records"
)

// RunRecords runs the contract of records and leases against the stores newStore returns; each
// call must give an empty one.
func RunRecords(t *testing.T, newStore func(t *testing.T) records.Store) {
	type doc struct {
		Name  string              `json:"name"`
		Marks map[string]bool     `json:"marks,omitempty"`
		Seen  map[int64]time.Time `json:"seen,omitempty"`
	}
	t.Run("RecordsRoundTripAndDelete", func(t *testing.T) {
		s, ctx := newStore(t), context.Background()
		if _, _, err := records.Get[doc](ctx, s, "CUSTOMER", "a@b.de"); !errors.Is(err, records.ErrNotFound) {
			t.Fatalf("unknown record: %v", err)
		}
		in := doc{Name: "900000000000000001", Marks: map[string]bool{"Nord|4711": true}, Seen: map[int64]time.Time{7: t0}}
		if err := s.Save(ctx, "CUSTOMER", "a@b.de", in, records.Any); err != nil {
			t.Fatal(err)
		}
		got, v, err := records.Get[doc](ctx, s, "CUSTOMER", "a@b.de")
		if err != nil || got.Name != in.Name || !got.Marks["Nord|4711"] || !got.Seen[7].Equal(t0) || v < 1 {
			t.Fatalf("got %+v version %d, %v", got, v, err)
		}
		if _, _, err := records.Get[doc](ctx, s, "CHECKPOINT", "a@b.de"); !errors.Is(err, records.ErrNotFound) {
			t.Fatalf("kinds share keys: %v", err)
		}
		if err := s.Delete(ctx, "CUSTOMER", "a@b.de"); err != nil {
			t.Fatal(err)
		}
		if _, _, err := records.Get[doc](ctx, s, "CUSTOMER", "a@b.de"); !errors.Is(err, records.ErrNotFound) {
			t.Fatalf("deleted record: %v", err)
		}
		if err := s.Delete(ctx, "CUSTOMER", "never@b.de"); err != nil {
			t.Fatalf("deleting an absent record: %v", err)
		}
	})
	t.Run("RecordsAreVersioned", func(t *testing.T) {
		s, ctx := newStore(t), context.Background()
		if err := s.Save(ctx, "CHECKPOINT", "log", doc{Name: "first"}, 0); err != nil {
			t.Fatal(err)
		}
		if err := s.Save(ctx, "CHECKPOINT", "log", doc{Name: "racer"}, 0); !errors.Is(err, records.ErrStale) {
			t.Fatalf("a second create: %v", err)
		}
		got, v, _ := records.Get[doc](ctx, s, "CHECKPOINT", "log")
		if got.Name != "first" || v != 1 {
			t.Fatalf("loaded %+v version %d", got, v)
		}
		if err := s.Save(ctx, "CHECKPOINT", "log", doc{Name: "second"}, v); err != nil {
			t.Fatal(err)
		}
		if err := s.Save(ctx, "CHECKPOINT", "log", doc{Name: "late"}, v); !errors.Is(err, records.ErrStale) {
			t.Fatalf("save over a newer version: %v", err)
		}
		if err := s.Save(ctx, "CHECKPOINT", "log", doc{Name: "forced"}, records.Any); err != nil {
			t.Fatal(err)
		}
		got, v2, _ := records.Get[doc](ctx, s, "CHECKPOINT", "log")
		if got.Name != "forced" || v2 <= v+1 {
			t.Fatalf("after an unconditional save: %+v version %d (was %d)", got, v2, v+1)
		}
	})
	t.Run("LeasesExcludeOthersUntilTheyExpire", func(t *testing.T) {
		c, ctx := newStore(t), context.Background()
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
