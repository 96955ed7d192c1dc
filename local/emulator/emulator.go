// Package emulator installs (pinned, downloaded on first use, cached), starts and stops the local AWS
// emulators: DynamoDB Local and the fauxqs SQS emulator. Failures say what is wrong and how to fix
// it in one line; nothing waits forever.
package emulator

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Pinned versions. DynamoDB Local comes from an npm package that carries AWS's own jar (version
// 1.25.1 inside), because the registries here have no other route to it; the tarball is checked
// against its hash before anything is unpacked.
const (
	dynamoPackage = "amplify-dynamodb-simulator@2.9.30"
	dynamoSHA256  = "3503ffac19f183407909fecdacf4db51ab1fdad1da7b2f177016670b2d80e4b9"
	fauxqsVersion = "1.9.2"
)

//go:embed fauxqs/package.json
var fauxqsPackageJSON []byte

//go:embed fauxqs/package-lock.json
var fauxqsLock []byte

// StartTimeout bounds how long an emulator may take to answer after it starts.
const StartTimeout = 60 * time.Second

// Process is a running emulator.
type Process struct {
	Name     string
	Endpoint string
	cmd      *exec.Cmd
	log      *tailBuffer
	done     chan struct{}
	stopOnce sync.Once
}

// DefaultCacheDir is where downloads are kept: .cache/ in the repository, or ORDERHUB_CACHE_DIR.
func DefaultCacheDir(repoRoot string) string {
	if d := os.Getenv("ORDERHUB_CACHE_DIR"); d != "" {
		return d
	}
	return filepath.Join(repoRoot, ".cache")
}

// StartDynamoDB installs DynamoDB Local if needed and starts it in memory on a free loopback port
// (or port, when not zero).
func StartDynamoDB(ctx context.Context, cacheDir string, port int) (*Process, error) {
	java, err := exec.LookPath("java")
	if err != nil {
		return nil, errors.New("DynamoDB Local needs Java, which is not on PATH: install a Java 17+ runtime (Debian: apt-get install openjdk-17-jre-headless)")
	}
	dir, err := installDynamoDB(ctx, cacheDir)
	if err != nil {
		return nil, err
	}
	port, err = choosePort(port)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(java, "-Xmx512m", "-Djava.library.path=./DynamoDBLocal_lib", "-jar", "DynamoDBLocal.jar",
		"-inMemory", "-sharedDb", "-disableTelemetry", "-port", fmt.Sprint(port))
	cmd.Dir = dir
	p, err := start("DynamoDB Local", cmd, fmt.Sprintf("http://127.0.0.1:%d", port))
	if err != nil {
		return nil, err
	}
	// DynamoDB Local answers any POST once it is up; a 400 for an empty body is "ready".
	return p, p.waitReady(ctx, func(c *http.Client) bool {
		resp, err := c.Post(p.Endpoint, "application/x-amz-json-1.0", strings.NewReader("{}"))
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode > 0
	})
}

// StartSQS installs fauxqs if needed and starts it on a free loopback port (or port, when not zero).
func StartSQS(ctx context.Context, cacheDir string, port int) (*Process, error) {
	node, err := exec.LookPath("node")
	if err != nil {
		return nil, errors.New("the SQS emulator needs Node.js 20+, which is not on PATH: install it (Debian: apt-get install nodejs npm)")
	}
	dir, err := installFauxqs(ctx, cacheDir)
	if err != nil {
		return nil, err
	}
	port, err = choosePort(port)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(node, filepath.Join("node_modules", "fauxqs", "dist", "cli.js"))
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), fmt.Sprintf("FAUXQS_PORT=%d", port), "FAUXQS_HOST=127.0.0.1")
	p, err := start("fauxqs (SQS)", cmd, fmt.Sprintf("http://127.0.0.1:%d", port))
	if err != nil {
		return nil, err
	}
	return p, p.waitReady(ctx, func(c *http.Client) bool {
		resp, err := c.Get(p.Endpoint)
		if err != nil {
			return false
		}
		resp.Body.Close()
		return true
	})
}

// Stop ends the emulator and everything it started. It is safe to call more than once.
func (p *Process) Stop() {
	p.stopOnce.Do(func() {
		if p.cmd.Process == nil {
			return
		}
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGTERM)
		select {
		case <-p.done:
		case <-time.After(5 * time.Second):
			_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
			<-p.done
		}
	})
}

func start(name string, cmd *exec.Cmd, endpoint string) (*Process, error) {
	log := &tailBuffer{max: 8 << 10}
	cmd.Stdout, cmd.Stderr = log, log
	// Own process group, so Stop also ends children and a Ctrl-C reaches them through us.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	p := &Process{Name: name, Endpoint: endpoint, cmd: cmd, log: log, done: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(p.done) }()
	return p, nil
}

func (p *Process) waitReady(ctx context.Context, ready func(*http.Client) bool) error {
	c := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(StartTimeout)
	for {
		if ready(c) {
			return nil
		}
		select {
		case <-p.done:
			return fmt.Errorf("%s exited while starting; its last output:\n%s", p.Name, p.log.String())
		case <-ctx.Done():
			p.Stop()
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			p.Stop()
			return fmt.Errorf("%s did not answer on %s within %s; its last output:\n%s", p.Name, p.Endpoint, StartTimeout, p.log.String())
		}
	}
}

// choosePort returns port if it is free, or a free loopback port when port is 0.
func choosePort(port int) (int, error) {
	l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		return 0, fmt.Errorf("port %d is in use: stop what listens there or choose another port", port)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func installDynamoDB(ctx context.Context, cacheDir string) (string, error) {
	dir := filepath.Join(cacheDir, "dynamodb-local-"+strings.TrimPrefix(dynamoPackage, "amplify-dynamodb-simulator@"))
	if _, err := os.Stat(filepath.Join(dir, "DynamoDBLocal.jar")); err == nil {
		return dir, nil
	}
	if err := os.MkdirAll(cacheDir, 0o755); err != nil {
		return "", err
	}
	tmp, err := os.MkdirTemp(cacheDir, "dynamodb-download-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp)
	if out, err := npm(ctx, tmp, "pack", dynamoPackage, "--silent", "--pack-destination", tmp); err != nil {
		return "", fmt.Errorf("download DynamoDB Local (npm pack %s): %w\n%s", dynamoPackage, err, out)
	}
	tgz, err := filepath.Glob(filepath.Join(tmp, "*.tgz"))
	if err != nil || len(tgz) != 1 {
		return "", fmt.Errorf("download DynamoDB Local: npm pack left no tarball in %s", tmp)
	}
	b, err := os.ReadFile(tgz[0])
	if err != nil {
		return "", err
	}
	if sum := sha256.Sum256(b); hex.EncodeToString(sum[:]) != dynamoSHA256 {
		return "", fmt.Errorf("download DynamoDB Local: %s has sha256 %x, want %s; refusing to run it", dynamoPackage, sum, dynamoSHA256)
	}
	staging := dir + ".partial"
	_ = os.RemoveAll(staging)
	if err := untar(b, "package/emulator/", staging); err != nil {
		return "", fmt.Errorf("unpack DynamoDB Local: %w", err)
	}
	if err := os.Rename(staging, dir); err != nil {
		return "", err
	}
	return dir, nil
}

func installFauxqs(ctx context.Context, cacheDir string) (string, error) {
	sum := sha256.Sum256(append(append([]byte{}, fauxqsPackageJSON...), fauxqsLock...))
	dir := filepath.Join(cacheDir, "fauxqs-"+fauxqsVersion+"-"+hex.EncodeToString(sum[:4]))
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "fauxqs", "dist", "cli.js")); err == nil {
		return dir, nil
	}
	staging := dir + ".partial"
	_ = os.RemoveAll(staging)
	if err := os.MkdirAll(staging, 0o755); err != nil {
		return "", err
	}
	if err := os.WriteFile(filepath.Join(staging, "package.json"), fauxqsPackageJSON, 0o644); err != nil {
		return "", err
	}
	if err := os.WriteFile(filepath.Join(staging, "package-lock.json"), fauxqsLock, 0o644); err != nil {
		return "", err
	}
	// npm ci installs exactly the lock file's versions and checks each package's integrity hash.
	if out, err := npm(ctx, staging, "ci", "--ignore-scripts", "--no-audit", "--no-fund", "--silent"); err != nil {
		return "", fmt.Errorf("install fauxqs %s (npm ci): %w\n%s", fauxqsVersion, err, out)
	}
	if err := os.Rename(staging, dir); err != nil {
		return "", err
	}
	return dir, nil
}

func npm(ctx context.Context, dir string, args ...string) ([]byte, error) {
	if _, err := exec.LookPath("npm"); err != nil {
		return nil, errors.New("npm is not on PATH: install Node.js 20+ with npm (Debian: apt-get install nodejs npm)")
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "npm", args...)
	cmd.Dir = dir
	return cmd.CombinedOutput()
}

// untar unpacks the entries under prefix of a gzipped tarball into dst, refusing paths that escape it.
func untar(tgz []byte, prefix, dst string) error {
	zr, err := gzip.NewReader(bytes.NewReader(tgz))
	if err != nil {
		return err
	}
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if !strings.HasPrefix(h.Name, prefix) || h.Typeflag != tar.TypeReg {
			continue
		}
		rel := filepath.Clean(strings.TrimPrefix(h.Name, prefix))
		if rel == "." || strings.HasPrefix(rel, "..") || filepath.IsAbs(rel) {
			return fmt.Errorf("unsafe path %q in archive", h.Name)
		}
		path := filepath.Join(dst, rel)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return err
		}
		f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
		if err != nil {
			return err
		}
		if _, err := io.Copy(f, tr); err != nil {
			f.Close()
			return err
		}
		if err := f.Close(); err != nil {
			return err
		}
	}
}

// tailBuffer keeps the last max bytes written, for error messages.
type tailBuffer struct {
	mu  sync.Mutex
	buf []byte
	max int
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if len(t.buf) > t.max {
		t.buf = t.buf[len(t.buf)-t.max:]
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.buf)
}
