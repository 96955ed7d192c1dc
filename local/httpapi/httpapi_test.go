package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
)

func TestRequestBecomesPayload20AndBack(t *testing.T) {
	var got events.APIGatewayV2HTTPRequest
	srv := httptest.NewServer(&Server{Log: slog.New(slog.DiscardHandler), Routes: []Route{{Method: "POST", Path: "/webhooks/marketplace/{token}",
		Invoke: func(_ context.Context, payload []byte) ([]byte, error) {
			if err := json.Unmarshal(payload, &got); err != nil {
				return nil, err
			}
			return json.Marshal(events.APIGatewayV2HTTPResponse{StatusCode: 202, Headers: map[string]string{"content-type": "application/json"}, Body: `{"ok":true}`})
		}}}})
	defer srv.Close()
	resp, err := http.Post(srv.URL+"/webhooks/marketplace/secret?x=1&x=2", "application/json", strings.NewReader(`{"a":1}`))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 202 || string(b) != `{"ok":true}` || resp.Header.Get("content-type") != "application/json" {
		t.Fatalf("response %d %s", resp.StatusCode, b)
	}
	if got.RouteKey != "POST /webhooks/marketplace/{token}" || got.PathParameters["token"] != "secret" || got.Body != `{"a":1}` || got.IsBase64Encoded ||
		got.RawQueryString != "x=1&x=2" || got.QueryStringParameters["x"] != "1,2" || got.Headers["content-type"] != "application/json" ||
		got.RequestContext.HTTP.Method != "POST" || got.RequestContext.RequestID == "" || got.Version != "2.0" {
		t.Fatalf("event %+v", got)
	}
}

func TestBinaryBodyIsBase64AndUnknownRouteIs404(t *testing.T) {
	var got events.APIGatewayV2HTTPRequest
	srv := httptest.NewServer(&Server{Log: slog.New(slog.DiscardHandler), Routes: []Route{{Method: "POST", Path: "/upload",
		Invoke: func(_ context.Context, payload []byte) ([]byte, error) {
			_ = json.Unmarshal(payload, &got)
			return []byte(`{"statusCode":200,"body":"aGk=","isBase64Encoded":true}`), nil
		}}}})
	defer srv.Close()
	resp, _ := http.Post(srv.URL+"/upload", "application/octet-stream", strings.NewReader("\x00\x01"))
	b, _ := io.ReadAll(resp.Body)
	if !got.IsBase64Encoded || got.Body != "AAE=" || string(b) != "hi" {
		t.Fatalf("binary: event %+v, answer %q", got, b)
	}
	if resp, _ := http.Post(srv.URL+"/nowhere", "application/json", nil); resp.StatusCode != 404 {
		t.Fatalf("unknown route: %d", resp.StatusCode)
	}
	if resp, _ := http.Get(srv.URL + "/upload"); resp.StatusCode != 404 {
		t.Fatalf("wrong method: %d", resp.StatusCode)
	}
}

func TestFunctionFailureIsA500(t *testing.T) {
	srv := httptest.NewServer(&Server{Log: slog.New(slog.DiscardHandler), Routes: []Route{{Method: "POST", Path: "/x",
		Invoke: func(context.Context, []byte) ([]byte, error) { return nil, errors.New("crashed") }}}})
	defer srv.Close()
	resp, _ := http.Post(srv.URL+"/x", "application/json", strings.NewReader("{}"))
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 500 || !strings.Contains(string(b), "Internal Server Error") {
		t.Fatalf("%d %s", resp.StatusCode, b)
	}
}
