// Package runtime hosts a function's real bootstrap binary behind the Lambda Runtime API
// (2018-06-01), as the Lambda service does: each execution environment is one process with its own
// Runtime API endpoint, handed one invocation at a time through /runtime/invocation/next with the
// request id, deadline and function ARN; answers and errors are taken back, init errors reported,
// and a process that crashes or outlives its timeout is killed, so the next invocation starts a fresh
// one (a cold start). Concurrent invocations get more environments, up to a limit.
package runtime

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/orderhub/orderhub/local/eventsource"
)

// Function is what the host needs to run one function.
type Function struct {
	Name     string        // the function's name, as in AWS_LAMBDA_FUNCTION_NAME
	Binary   string        // the bootstrap, built for this machine
	Dir      string        // its working directory (LAMBDA_TASK_ROOT)
	Env      []string      // NAME=value pairs from the template and local configuration
	Timeout  time.Duration // the template's Timeout
	MemoryMB int           // the template's MemorySize
	Output   io.Writer     // where the processes' stdout and stderr go
	Region   string
	// MaxConcurrency bounds the environments running at once (0: 1).
	MaxConcurrency int
}

// FunctionError is an invocation that failed: the function reported an error, crashed, or timed out.
type FunctionError struct {
	Type    string `json:"errorType"`
	Message string `json:"errorMessage"`
}

func (e *FunctionError) Error() string { return e.Type + ": " + e.Message }

// Stats counts what the host saw.
type Stats struct {
	Invocations, Errors, ColdStarts, Restarts int
	// LastColdStart is from process start to the first answer of the last cold start.
	LastColdStart time.Duration
	// WarmInvocations and WarmTime cover invocations of an already running process.
	WarmInvocations int
	WarmTime        time.Duration
}

// Host runs a function's execution environments.
type Host struct {
	fn    Function
	slots chan struct{}

	mu   sync.Mutex
	idle []*environment
	all  map[*environment]bool

	statsMu sync.Mutex
	stats   Stats
}

// environment is one process and the Runtime API it talks to.
type environment struct {
	h        *Host
	ln       net.Listener
	srv      *http.Server
	cmd      *exec.Cmd
	exited   chan struct{}
	exitErr  error
	started  time.Time
	warm     bool
	next     chan *invocation
	current  atomic.Pointer[invocation]
	initErr  atomic.Pointer[FunctionError]
	stopOnce sync.Once
}

type invocation struct {
	id       string
	payload  []byte
	deadline time.Time
	done     chan result
	once     sync.Once
}

type result struct {
	body []byte
	err  error
}

func (inv *invocation) finish(r result) { inv.once.Do(func() { inv.done <- r }) }

// Start prepares a host. Processes start with the invocations that need them.
func Start(fn Function) (*Host, error) {
	if fn.MaxConcurrency <= 0 {
		fn.MaxConcurrency = 1
	}
	if fn.Region == "" {
		fn.Region = "eu-central-1"
	}
	if _, err := os.Stat(fn.Binary); err != nil {
		return nil, fmt.Errorf("function %s: %w", fn.Name, err)
	}
	return &Host{fn: fn, slots: make(chan struct{}, fn.MaxConcurrency), all: map[*environment]bool{}}, nil
}

// Stats returns a copy of the counters.
func (h *Host) Stats() Stats {
	h.statsMu.Lock()
	defer h.statsMu.Unlock()
	return h.stats
}

// Invoke runs one invocation and returns the function's answer. A function error is a
// *FunctionError. It waits for a free environment when MaxConcurrency are busy.
func (h *Host) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	select {
	case h.slots <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { <-h.slots }()
	h.count(func(s *Stats) { s.Invocations++ })
	e, err := h.environment()
	if err != nil {
		h.count(func(s *Stats) { s.Errors++ })
		return nil, err
	}
	out, alive, err := e.invoke(ctx, payload)
	if err != nil {
		h.count(func(s *Stats) { s.Errors++ })
	}
	h.mu.Lock()
	if alive {
		h.idle = append(h.idle, e)
	} else {
		delete(h.all, e)
		h.count(func(s *Stats) { s.Restarts++ })
	}
	h.mu.Unlock()
	if !alive {
		e.stop()
	}
	return out, err
}

// Stop ends every environment.
func (h *Host) Stop() {
	h.mu.Lock()
	envs := make([]*environment, 0, len(h.all))
	for e := range h.all {
		envs = append(envs, e)
	}
	h.all, h.idle = map[*environment]bool{}, nil
	h.mu.Unlock()
	for _, e := range envs {
		e.stop()
	}
}

func (h *Host) environment() (*environment, error) {
	h.mu.Lock()
	if n := len(h.idle); n > 0 {
		e := h.idle[n-1]
		h.idle = h.idle[:n-1]
		h.mu.Unlock()
		return e, nil
	}
	h.mu.Unlock()
	e, err := h.spawn()
	if err != nil {
		return nil, err
	}
	h.mu.Lock()
	h.all[e] = true
	h.mu.Unlock()
	return e, nil
}

func (h *Host) spawn() (*environment, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("runtime API for %s: %w", h.fn.Name, err)
	}
	e := &environment{h: h, ln: ln, next: make(chan *invocation), exited: make(chan struct{})}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /2018-06-01/runtime/invocation/next", e.handleNext)
	mux.HandleFunc("POST /2018-06-01/runtime/invocation/{id}/response", e.handleResponse)
	mux.HandleFunc("POST /2018-06-01/runtime/invocation/{id}/error", e.handleError)
	mux.HandleFunc("POST /2018-06-01/runtime/init/error", e.handleInitError)
	e.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = e.srv.Serve(ln) }()

	cmd := exec.Command(h.fn.Binary)
	cmd.Dir = h.fn.Dir
	cmd.Env = append(h.baseEnv(ln.Addr().String()), h.fn.Env...)
	cmd.Stdout, cmd.Stderr = h.fn.Output, h.fn.Output
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	e.cmd, e.started = cmd, time.Now()
	if err := cmd.Start(); err != nil {
		_ = e.srv.Close()
		return nil, &FunctionError{Type: "Runtime.InvalidEntrypoint", Message: err.Error()}
	}
	go func() { e.exitErr = cmd.Wait(); close(e.exited) }()
	h.count(func(s *Stats) { s.ColdStarts++ })
	return e, nil
}

func (h *Host) baseEnv(api string) []string {
	return []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + os.Getenv("HOME"),
		"AWS_LAMBDA_RUNTIME_API=" + api,
		"AWS_LAMBDA_FUNCTION_NAME=" + h.fn.Name,
		"AWS_LAMBDA_FUNCTION_VERSION=$LATEST",
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE=" + strconv.Itoa(h.fn.MemoryMB),
		"AWS_LAMBDA_LOG_GROUP_NAME=/aws/lambda/" + h.fn.Name,
		"AWS_REGION=" + h.fn.Region,
		"AWS_DEFAULT_REGION=" + h.fn.Region,
		"AWS_ACCESS_KEY_ID=local",
		"AWS_SECRET_ACCESS_KEY=local",
		"LAMBDA_TASK_ROOT=" + h.fn.Dir,
		"_HANDLER=bootstrap",
		"TZ=UTC",
	}
}

func (h *Host) count(f func(*Stats)) {
	h.statsMu.Lock()
	defer h.statsMu.Unlock()
	f(&h.stats)
}

// invoke runs one invocation in this environment and reports whether the environment survived.
func (e *environment) invoke(ctx context.Context, payload []byte) ([]byte, bool, error) {
	h := e.h
	began := time.Now()
	inv := &invocation{id: eventsource.RequestID(), payload: payload, deadline: began.Add(h.fn.Timeout), done: make(chan result, 1)}
	e.current.Store(inv)
	defer e.current.Store(nil)
	timer := time.NewTimer(h.fn.Timeout)
	defer timer.Stop()
	select {
	case e.next <- inv:
	case <-e.exited:
		return nil, false, e.exitError()
	case <-timer.C:
		return nil, false, e.timeoutError()
	case <-ctx.Done():
		return nil, true, ctx.Err()
	}
	select {
	case r := <-inv.done:
		d := time.Since(began)
		if !e.warm {
			e.warm = true
			cold := time.Since(e.started)
			h.count(func(s *Stats) { s.LastColdStart = cold })
		} else {
			h.count(func(s *Stats) { s.WarmInvocations++; s.WarmTime += d })
		}
		return r.body, true, r.err
	case <-e.exited:
		return nil, false, e.exitError()
	case <-timer.C:
		return nil, false, e.timeoutError()
	case <-ctx.Done():
		// The caller gave up; the process finishes on its own and stays usable.
		<-inv.done
		return nil, true, ctx.Err()
	}
}

func (e *environment) exitError() error {
	if fe := e.initErr.Load(); fe != nil {
		return fe
	}
	msg := "Runtime exited without providing a reason"
	if e.exitErr != nil {
		msg = "Runtime exited with error: " + e.exitErr.Error()
	}
	return &FunctionError{Type: "Runtime.ExitError", Message: msg}
}

func (e *environment) timeoutError() error {
	return &FunctionError{Type: "Sandbox.Timedout", Message: fmt.Sprintf("Task timed out after %.2f seconds", e.h.fn.Timeout.Seconds())}
}

func (e *environment) stop() {
	e.stopOnce.Do(func() {
		if e.cmd.Process != nil {
			_ = syscall.Kill(-e.cmd.Process.Pid, syscall.SIGKILL)
		}
		<-e.exited
		_ = e.srv.Close()
	})
}

func (e *environment) handleNext(w http.ResponseWriter, r *http.Request) {
	select {
	case inv := <-e.next:
		w.Header().Set("Lambda-Runtime-Aws-Request-Id", inv.id)
		w.Header().Set("Lambda-Runtime-Deadline-Ms", strconv.FormatInt(inv.deadline.UnixMilli(), 10))
		w.Header().Set("Lambda-Runtime-Invoked-Function-Arn", "arn:aws:lambda:"+e.h.fn.Region+":000000000000:function:"+e.h.fn.Name)
		w.Header().Set("Lambda-Runtime-Trace-Id", "Root=1-"+strconv.FormatInt(time.Now().Unix(), 16)+"-"+strings.ReplaceAll(inv.id, "-", "")[:24]+";Sampled=0")
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(inv.payload)
	case <-r.Context().Done():
	}
}

func (e *environment) invocation(w http.ResponseWriter, r *http.Request) *invocation {
	inv := e.current.Load()
	if inv == nil || inv.id != r.PathValue("id") {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		_, _ = io.WriteString(w, `{"errorMessage":"unknown request id","errorType":"InvalidRequestID"}`)
		return nil
	}
	return inv
}

func (e *environment) handleResponse(w http.ResponseWriter, r *http.Request) {
	inv := e.invocation(w, r)
	if inv == nil {
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 6<<20+1))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if len(body) > 6<<20 {
		inv.finish(result{err: &FunctionError{Type: "Function.ResponseSizeTooLarge", Message: "response payload exceeds 6 MB"}})
		w.WriteHeader(http.StatusRequestEntityTooLarge)
		return
	}
	inv.finish(result{body: body})
	w.WriteHeader(http.StatusAccepted)
}

func (e *environment) handleError(w http.ResponseWriter, r *http.Request) {
	if inv := e.invocation(w, r); inv != nil {
		inv.finish(result{err: decodeError(r, "Function.Error")})
		w.WriteHeader(http.StatusAccepted)
	}
}

func (e *environment) handleInitError(w http.ResponseWriter, r *http.Request) {
	e.initErr.Store(decodeError(r, "Runtime.InitError"))
	w.WriteHeader(http.StatusAccepted)
}

func decodeError(r *http.Request, fallback string) *FunctionError {
	fe := &FunctionError{}
	b, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err := json.Unmarshal(b, fe); err != nil || fe.Message == "" {
		fe.Message = strings.TrimSpace(string(b))
	}
	if fe.Type == "" {
		fe.Type = r.Header.Get("Lambda-Runtime-Function-Error-Type")
	}
	if fe.Type == "" {
		fe.Type = fallback
	}
	return fe
}
