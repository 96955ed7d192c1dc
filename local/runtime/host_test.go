package runtime

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

var fnBinary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "runtime-fn-")
	if err != nil {
		panic(err)
	}
	fnBinary = filepath.Join(dir, "bootstrap")
	out, err := exec.Command("go", "build", "-tags", "lambda.norpc", "-o", fnBinary, "./testdata/fn").CombinedOutput()
	if err != nil {
		panic(string(out))
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

type answer struct {
	RequestID   string `json:"requestId"`
	FunctionARN string `json:"functionArn"`
	DeadlineMs  int64  `json:"deadlineMs"`
	PID         int    `json:"pid"`
	Env         string `json:"env"`
}

func host(t *testing.T, timeout time.Duration, env ...string) *Host {
	t.Helper()
	h, err := Start(Function{Name: "test-fn", Binary: fnBinary, Dir: t.TempDir(), Env: env, Timeout: timeout, MemoryMB: 128, Output: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(h.Stop)
	return h
}

func call(t *testing.T, h *Host, payload string) (answer, error) {
	t.Helper()
	out, err := h.Invoke(context.Background(), []byte(payload))
	var a answer
	if err == nil {
		if jerr := json.Unmarshal(out, &a); jerr != nil {
			t.Fatalf("answer %q: %v", out, jerr)
		}
	}
	return a, err
}

func TestInvocationCarriesRequestIDDeadlineAndARN(t *testing.T) {
	h := host(t, 3*time.Second, "EXTRA=from-template")
	before := time.Now()
	a, err := call(t, h, `{"do":"echo"}`)
	if err != nil {
		t.Fatal(err)
	}
	if len(a.RequestID) != 36 || a.FunctionARN != "arn:aws:lambda:eu-central-1:000000000000:function:test-fn" || a.Env != "from-template" {
		t.Fatalf("answer %+v", a)
	}
	dl := time.UnixMilli(a.DeadlineMs)
	if dl.Before(before.Add(2*time.Second)) || dl.After(time.Now().Add(3*time.Second)) {
		t.Fatalf("deadline %v is not about 3 s after the invocation", dl)
	}
	b, _ := call(t, h, `{"do":"echo"}`)
	if b.PID != a.PID || b.RequestID == a.RequestID {
		t.Fatalf("a warm invocation should reuse the process with a new request id: %+v %+v", a, b)
	}
	if st := h.Stats(); st.ColdStarts != 1 || st.Invocations != 2 || st.LastColdStart <= 0 {
		t.Fatalf("stats %+v", st)
	}
}

func TestFunctionErrorIsReported(t *testing.T) {
	h := host(t, 3*time.Second)
	_, err := call(t, h, `{"do":"error"}`)
	var fe *FunctionError
	if !errors.As(err, &fe) || fe.Message != "asked to fail" {
		t.Fatalf("err %v", err)
	}
	if _, err := call(t, h, `{"do":"echo"}`); err != nil || h.Stats().ColdStarts != 1 {
		t.Fatalf("after a function error the process should stay warm: %v %+v", err, h.Stats())
	}
}

func TestCrashIsReportedAndRestarted(t *testing.T) {
	h := host(t, 3*time.Second)
	first, _ := call(t, h, `{"do":"echo"}`)
	_, err := call(t, h, `{"do":"crash"}`)
	var fe *FunctionError
	if !errors.As(err, &fe) || fe.Type != "Runtime.ExitError" {
		t.Fatalf("crash: %v", err)
	}
	again, err := call(t, h, `{"do":"echo"}`)
	if err != nil || again.PID == first.PID {
		t.Fatalf("no fresh process after the crash: %v pid %d→%d", err, first.PID, again.PID)
	}
	if st := h.Stats(); st.ColdStarts != 2 || st.Restarts != 1 {
		t.Fatalf("stats %+v", st)
	}
}

func TestTimeoutKillsAndRestarts(t *testing.T) {
	h := host(t, 300*time.Millisecond)
	first, _ := call(t, h, `{"do":"echo"}`)
	_, err := call(t, h, `{"do":"sleep","sleep":"5s"}`)
	var fe *FunctionError
	if !errors.As(err, &fe) || fe.Type != "Sandbox.Timedout" {
		t.Fatalf("timeout: %v", err)
	}
	again, err := call(t, h, `{"do":"echo"}`)
	if err != nil || again.PID == first.PID {
		t.Fatalf("no fresh process after the timeout: %v", err)
	}
}

func TestInitFailureIsReported(t *testing.T) {
	h := host(t, 3*time.Second, "FAIL_INIT=1")
	_, err := call(t, h, `{"do":"echo"}`)
	var fe *FunctionError
	if !errors.As(err, &fe) || fe.Type != "Runtime.ExitError" || fe.Message == "" {
		t.Fatalf("init failure: %v", err)
	}
}

func TestConcurrentInvocationsGetTheirOwnEnvironments(t *testing.T) {
	h, err := Start(Function{Name: "test-fn", Binary: fnBinary, Dir: t.TempDir(), Timeout: 3 * time.Second, MemoryMB: 128, Output: io.Discard, MaxConcurrency: 3})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(h.Stop)
	pids := make(chan int, 6)
	errs := make(chan error, 6)
	for range 6 {
		go func() {
			a, err := call(t, h, `{"do":"sleep","sleep":"200ms"}`)
			pids <- a.PID
			errs <- err
		}()
	}
	seen := map[int]bool{}
	for range 6 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
		seen[<-pids] = true
	}
	if len(seen) != 3 || h.Stats().ColdStarts != 3 {
		t.Fatalf("6 concurrent invocations with a limit of 3 used %d processes (%+v)", len(seen), h.Stats())
	}
}
