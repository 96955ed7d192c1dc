package secrets

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
)

type fakeSM struct {
	versions map[string]string
	created  map[string]time.Time // each stage's version's CreatedDate; none when missing
	fail     error
	calls    int
}

func (f *fakeSM) GetSecretValue(_ context.Context, in *secretsmanager.GetSecretValueInput, _ ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error) {
	f.calls++
	if f.fail != nil {
		return nil, f.fail
	}
	v, ok := f.versions[aws.ToString(in.VersionStage)]
	if !ok {
		return nil, &types.ResourceNotFoundException{Message: aws.String("no such version")}
	}
	out := &secretsmanager.GetSecretValueOutput{SecretString: aws.String(v)}
	if c, ok := f.created[aws.ToString(in.VersionStage)]; ok {
		out.CreatedDate = aws.Time(c)
	}
	return out, nil
}

var discard = slog.New(slog.NewTextHandler(io.Discard, nil))

func TestManagerCachesAndKeepsPreviousVersion(t *testing.T) {
	now := time.Unix(0, 0)
	api := &fakeSM{versions: map[string]string{"AWSCURRENT": "new", "AWSPREVIOUS": "old"},
		created: map[string]time.Time{"AWSCURRENT": now.Add(-time.Minute), "AWSPREVIOUS": now.Add(-48 * time.Hour)}}
	m := &Manager{API: api, SecretID: "s", TTL: time.Minute, PreviousGrace: time.Hour, Log: discard, Now: func() time.Time { return now }}
	for range 3 {
		v, err := m.Values(context.Background())
		if err != nil || !slices.Equal(v, []string{"new", "old"}) {
			t.Fatalf("Values = %v, %v", v, err)
		}
	}
	if api.calls != 2 {
		t.Fatalf("%d calls for three reads within the TTL, want 2 (one per version stage)", api.calls)
	}
	now = now.Add(2 * time.Minute)
	api.fail = errors.New("throttled")
	if v, err := m.Values(context.Background()); err != nil || len(v) != 2 {
		t.Fatalf("a failed refresh should serve the cached values: %v, %v", v, err)
	}
}

func TestManagerWithoutPreviousVersion(t *testing.T) {
	api := &fakeSM{versions: map[string]string{"AWSCURRENT": "only"}}
	m := &Manager{API: api, SecretID: "s", TTL: time.Minute, Now: time.Now}
	if v, err := m.Values(context.Background()); err != nil || !slices.Equal(v, []string{"only"}) {
		t.Fatalf("Values = %v, %v", v, err)
	}
}

// A rotation made to revoke a leaked value must revoke it: the previous version is accepted only for
// the grace period after the current version was created, whatever the cache holds.
func TestManagerAcceptsPreviousVersionOnlyWithinGrace(t *testing.T) {
	rotated := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	now := rotated.Add(10 * time.Minute)
	api := &fakeSM{versions: map[string]string{"AWSCURRENT": "new", "AWSPREVIOUS": "leaked"},
		created: map[string]time.Time{"AWSCURRENT": rotated, "AWSPREVIOUS": rotated.Add(-90 * 24 * time.Hour)}}
	m := &Manager{API: api, SecretID: "s", TTL: 5 * time.Minute, PreviousGrace: time.Hour, Log: discard, Now: func() time.Time { return now }}
	want := func(step string, vals ...string) {
		t.Helper()
		got, err := m.Values(context.Background())
		if err != nil || !slices.Equal(got, vals) {
			t.Fatalf("%s: Values = %q, %v; want %q", step, got, err, vals)
		}
	}
	want("within the grace", "new", "leaked")
	now = rotated.Add(58 * time.Minute) // refreshed here, cached until 63 min
	want("just before the grace ends", "new", "leaked")
	calls := api.calls
	now = rotated.Add(time.Hour) // still cached: the grace is checked on every read, not per fetch
	want("at the end of the grace, from the cache", "new")
	if api.calls != calls {
		t.Fatalf("the cached read made %d calls", api.calls-calls)
	}
	now = rotated.Add(2 * time.Hour)
	api.fail = errors.New("throttled")
	want("a failed refresh does not revive it", "new")

	// The next rotation starts a new grace for the value that was current.
	api.fail = nil
	api.versions = map[string]string{"AWSCURRENT": "newer", "AWSPREVIOUS": "new"}
	api.created = map[string]time.Time{"AWSCURRENT": now, "AWSPREVIOUS": rotated}
	now = now.Add(6 * time.Minute)
	want("after the next rotation", "newer", "new")
}

func TestManagerWithoutGraceAcceptsTheCurrentVersionOnly(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	api := &fakeSM{versions: map[string]string{"AWSCURRENT": "new", "AWSPREVIOUS": "old"},
		created: map[string]time.Time{"AWSCURRENT": now, "AWSPREVIOUS": now.Add(-time.Hour)}}
	m := &Manager{API: api, SecretID: "s", TTL: time.Minute, Log: discard, Now: func() time.Time { return now }}
	if v, err := m.Values(context.Background()); err != nil || !slices.Equal(v, []string{"new"}) {
		t.Fatalf("grace 0: Values = %q, %v", v, err)
	}
}

func TestManagerWithoutCreationDateRefusesPreviousVersion(t *testing.T) {
	api := &fakeSM{versions: map[string]string{"AWSCURRENT": "new", "AWSPREVIOUS": "old"}}
	m := &Manager{API: api, SecretID: "s", TTL: time.Minute, PreviousGrace: 24 * time.Hour, Log: discard, Now: time.Now}
	if v, err := m.Values(context.Background()); err != nil || !slices.Equal(v, []string{"new"}) {
		t.Fatalf("no CreatedDate: Values = %q, %v", v, err)
	}
}

func TestManagerValuesCannotBeGrownByCallers(t *testing.T) {
	now := time.Unix(0, 0)
	api := &fakeSM{versions: map[string]string{"AWSCURRENT": "new", "AWSPREVIOUS": "old"}, created: map[string]time.Time{"AWSCURRENT": now}}
	m := &Manager{API: api, SecretID: "s", TTL: time.Minute, Log: discard, Now: func() time.Time { return now }}
	v, _ := m.Values(context.Background())
	_ = append(v, "mine")
	if v, _ := m.Values(context.Background()); !slices.Equal(v, []string{"new"}) {
		t.Fatalf("Values = %q after a caller appended", v)
	}
}

func TestRefPassesItsGrace(t *testing.T) {
	src := Ref{ARN: "arn:aws:secretsmanager:eu-central-1:000000000000:secret:s", PreviousGrace: 3 * time.Hour}.Source(&fakeSM{}, discard)
	if m, ok := src.(*Manager); !ok || m.PreviousGrace != 3*time.Hour || m.TTL != TTL {
		t.Fatalf("Ref.Source = %#v", src)
	}
	if _, ok := (Ref{Local: "a,b", PreviousGrace: time.Hour}).Source(nil, discard).(Static); !ok {
		t.Fatal("a local Ref does not give its local values")
	}
}

func TestManagerFirstFailureIsAnError(t *testing.T) {
	m := &Manager{API: &fakeSM{fail: errors.New("denied")}, SecretID: "s", TTL: time.Minute, Now: time.Now}
	if _, err := m.Values(context.Background()); err == nil {
		t.Fatal("no error without any value")
	}
}

func TestParseList(t *testing.T) {
	if got := ParseList(" a, ,b "); !slices.Equal(got, Static{"a", "b"}) {
		t.Fatalf("ParseList = %q", got)
	}
	if _, err := ParseList("").Values(context.Background()); err == nil {
		t.Fatal("an empty list yields values")
	}
}

// hangingSM answers nothing until the caller gives up, as an unreachable Secrets Manager does.
type hangingSM struct{}

func (hangingSM) GetSecretValue(ctx context.Context, _ *secretsmanager.GetSecretValueInput, _ ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error) {
	<-ctx.Done()
	return nil, ctx.Err()
}

func TestAHangingReadIsCutOffAtTheFetchTimeout(t *testing.T) {
	m := &Manager{API: hangingSM{}, SecretID: "s", TTL: time.Minute, Now: time.Now, FetchTimeout: 50 * time.Millisecond, Log: discard}
	done := make(chan error, 1)
	go func() { _, err := m.Values(context.Background()); done <- err }()
	select {
	case err := <-done:
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("a cold cache and a hanging read: %v, want the deadline", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a cold cache waited on a hanging Secrets Manager for 5 s")
	}
	// With a cache, the values last read are served instead.
	now := time.Unix(0, 0)
	warm := &Manager{API: &fakeSM{versions: map[string]string{"AWSCURRENT": "v1"}}, SecretID: "s", TTL: time.Minute,
		Now: func() time.Time { return now }, FetchTimeout: 50 * time.Millisecond, Log: discard}
	if _, err := warm.Values(context.Background()); err != nil {
		t.Fatal(err)
	}
	warm.API, now = hangingSM{}, now.Add(2*time.Minute)
	if v, err := warm.Values(context.Background()); err != nil || !slices.Equal(v, []string{"v1"}) {
		t.Fatalf("a warm cache and a hanging read: %v %v", v, err)
	}
}
