// Package runtime hosts a function's real bootstrap binary behind the Lambda Runtime API
// (2018-06-01), as the Lambda service does: one process per function, invocations handed out through
// /runtime/invocation/next with the request id, deadline and function ARN, answers and errors taken
// back, init errors reported, and a process that crashes or outlives its timeout killed and started
// fresh for the next invocation (a cold start).
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
	Output   io.Writer     // where the process's stdout and stderr go
	Region   string
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

// Host serves the Runtime API for one function and runs its process.
type Host struct {
	fn  Function
	ln  net.Listener
	srv *http.Server

	mu       sync.Mutex // one invocation at a time: a Lambda execution environment is single-tenant
	proc     *process
	stats    Stats
	statsMu  sync.Mutex
	next     chan *invocation
	inflight sync.Map                      // request id → *invocation
	initErr  atomic.Pointer[FunctionError] // reported by the process before it exits
}

type process struct {
	cmd     *exec.Cmd
	exited  chan struct{}
	err     error
	started time.Time
	warm    bool
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

// Start serves the Runtime API on a loopback port. The process starts with the first invocation.
func Start(fn Function) (*Host, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("runtime API for %s: %w", fn.Name, err)
	}
	h := &Host{fn: fn, ln: ln, next: make(chan *invocation)}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /2018-06-01/runtime/invocation/next", h.handleNext)
	mux.HandleFunc("POST /2018-06-01/runtime/invocation/{id}/response", h.handleResponse)
	mux.HandleFunc("POST /2018-06-01/runtime/invocation/{id}/error", h.handleError)
	mux.HandleFunc("POST /2018-06-01/runtime/init/error", h.handleInitError)
	h.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = h.srv.Serve(ln) }()
	return h, nil
}

// Addr is the Runtime API's host:port, as AWS_LAMBDA_RUNTIME_API gives it.
func (h *Host) Addr() string { return h.ln.Addr().String() }

// Stats returns a copy of the counters.
func (h *Host) Stats() Stats {
	h.statsMu.Lock()
	defer h.statsMu.Unlock()
	return h.stats
}

// Invoker returns the host as an event source's Invoker.
func (h *Host) Invoker() eventsource.Invoker { return h.Invoke }

// Invoke runs one invocation and returns the function's answer. A function error is a
// *FunctionError.
func (h *Host) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.count(func(s *Stats) { s.Invocations++ })
	if h.proc == nil {
		if err := h.spawn(); err != nil {
			return nil, err
		}
	}
	p := h.proc
	began := time.Now()
	inv := &invocation{id: eventsource.RequestID(), payload: payload, deadline: time.Now().Add(h.fn.Timeout), done: make(chan result, 1)}
	h.inflight.Store(inv.id, inv)
	defer h.inflight.Delete(inv.id)

	timer := time.NewTimer(h.fn.Timeout)
	defer timer.Stop()
	// Hand the invocation to the process when it asks for the next one.
	select {
	case h.next <- inv:
	case <-p.exited:
		return nil, h.failed(p)
	case <-timer.C:
		return nil, h.timedOut(p)
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	select {
	case r := <-inv.done:
		if !p.warm {
			p.warm = true
			d := time.Since(p.started)
			h.count(func(s *Stats) { s.LastColdStart = d })
		} else {
			d := time.Since(began)
			h.count(func(s *Stats) { s.WarmInvocations++; s.WarmTime += d })
		}
		if r.err != nil {
			h.count(func(s *Stats) { s.Errors++ })
		}
		return r.body, r.err
	case <-p.exited:
		return nil, h.failed(p)
	case <-timer.C:
		return nil, h.timedOut(p)
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// Stop ends the process and the Runtime API server.
func (h *Host) Stop() {
	h.mu.Lock()
	if h.proc != nil {
		h.kill(h.proc)
		h.proc = nil
	}
	h.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_ = h.srv.Shutdown(ctx)
}

func (h *Host) spawn() error {
	cmd := exec.Command(h.fn.Binary)
	cmd.Dir = h.fn.Dir
	cmd.Env = append(h.baseEnv(), h.fn.Env...)
	cmd.Stdout, cmd.Stderr = h.fn.Output, h.fn.Output
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	p := &process{cmd: cmd, exited: make(chan struct{}), started: time.Now()}
	if err := cmd.Start(); err != nil {
		return &FunctionError{Type: "Runtime.InvalidEntrypoint", Message: err.Error()}
	}
	go func() { p.err = cmd.Wait(); close(p.exited) }()
	h.proc = p
	h.count(func(s *Stats) { s.ColdStarts++ })
	return nil
}

func (h *Host) baseEnv() []string {
	region := h.fn.Region
	if region == "" {
		region = "eu-central-1"
	}
	env := []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + os.Getenv("HOME"),
		"AWS_LAMBDA_RUNTIME_API=" + h.Addr(),
		"AWS_LAMBDA_FUNCTION_NAME=" + h.fn.Name,
		"AWS_LAMBDA_FUNCTION_VERSION=$LATEST",
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE=" + strconv.Itoa(h.fn.MemoryMB),
		"AWS_LAMBDA_LOG_GROUP_NAME=/aws/lambda/" + h.fn.Name,
		"AWS_REGION=" + region,
		"AWS_DEFAULT_REGION=" + region,
		"AWS_ACCESS_KEY_ID=local",
		"AWS_SECRET_ACCESS_KEY=local",
		"LAMBDA_TASK_ROOT=" + h.fn.Dir,
		"_HANDLER=bootstrap",
		"TZ=UTC",
	}
	return env
}

// failed reports a process that exited, as Lambda does, and forgets it so the next invocation
// starts a fresh one.
func (h *Host) failed(p *process) error {
	if h.proc == p {
		h.proc = nil
		h.count(func(s *Stats) { s.Restarts++; s.Errors++ })
	}
	if fe := h.initErr.Swap(nil); fe != nil {
		return fe
	}
	msg := "Runtime exited without providing a reason"
	if p.err != nil {
		msg = "Runtime exited with error: " + p.err.Error()
	}
	return &FunctionError{Type: "Runtime.ExitError", Message: msg}
}

func (h *Host) timedOut(p *process) error {
	h.kill(p)
	if h.proc == p {
		h.proc = nil
		h.count(func(s *Stats) { s.Restarts++; s.Errors++ })
	}
	return &FunctionError{Type: "Sandbox.Timedout", Message: fmt.Sprintf("Task timed out after %.2f seconds", h.fn.Timeout.Seconds())}
}

func (h *Host) kill(p *process) {
	if p.cmd.Process != nil {
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
	}
	<-p.exited
}

func (h *Host) count(f func(*Stats)) {
	h.statsMu.Lock()
	defer h.statsMu.Unlock()
	f(&h.stats)
}

func (h *Host) handleNext(w http.ResponseWriter, r *http.Request) {
	select {
	case inv := <-h.next:
		w.Header().Set("Lambda-Runtime-Aws-Request-Id", inv.id)
		w.Header().Set("Lambda-Runtime-Deadline-Ms", strconv.FormatInt(inv.deadline.UnixMilli(), 10))
		w.Header().Set("Lambda-Runtime-Invoked-Function-Arn", "arn:aws:lambda:"+h.region()+":000000000000:function:"+h.fn.Name)
		w.Header().Set("Lambda-Runtime-Trace-Id", "Root=1-"+strconv.FormatInt(time.Now().Unix(), 16)+"-"+strings.ReplaceAll(inv.id, "-", "")[:24]+";Sampled=0")
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(inv.payload)
	case <-r.Context().Done():
	}
}

func (h *Host) region() string {
	if h.fn.Region != "" {
		return h.fn.Region
	}
	return "eu-central-1"
}

func (h *Host) handleResponse(w http.ResponseWriter, r *http.Request) {
	inv, ok := h.inflight.Load(r.PathValue("id"))
	if !ok {
		http.Error(w, `{"errorMessage":"unknown request id","errorType":"InvalidRequestID"}`, http.StatusBadRequest)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 6<<20+1))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if len(body) > 6<<20 {
		inv.(*invocation).finish(result{err: &FunctionError{Type: "Function.ResponseSizeTooLarge", Message: "response payload exceeds 6 MB"}})
		w.WriteHeader(http.StatusRequestEntityTooLarge)
		return
	}
	inv.(*invocation).finish(result{body: body})
	w.WriteHeader(http.StatusAccepted)
}

func (h *Host) handleError(w http.ResponseWriter, r *http.Request) {
	inv, ok := h.inflight.Load(r.PathValue("id"))
	if !ok {
		http.Error(w, `{"errorMessage":"unknown request id","errorType":"InvalidRequestID"}`, http.StatusBadRequest)
		return
	}
	inv.(*invocation).finish(result{err: decodeError(r, "Function.Error")})
	w.WriteHeader(http.StatusAccepted)
}

func (h *Host) handleInitError(w http.ResponseWriter, r *http.Request) {
	fe := decodeError(r, "Runtime.InitError")
	h.initErr.Store(fe)
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
