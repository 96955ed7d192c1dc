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
	return &secretsmanager.GetSecretValueOutput{SecretString: aws.String(v)}, nil
}

func TestManagerCachesAndKeepsPreviousVersion(t *testing.T) {
	now := time.Unix(0, 0)
	api := &fakeSM{versions: map[string]string{"AWSCURRENT": "new", "AWSPREVIOUS": "old"}}
	m := &Manager{API: api, SecretID: "s", TTL: time.Minute, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Now: func() time.Time { return now }}
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
