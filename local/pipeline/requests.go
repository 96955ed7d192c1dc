package pipeline

import (
	"github.com/orderhub/orderhub/local/scenario"
	"github.com/orderhub/orderhub/shared/dealerkeys"
	"strconv"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/orderhub/orderhub/local/eventsource"
	"github.com/orderhub/orderhub/shared/signature"
)

// MarketplaceRequest is the API Gateway request plentyMarketplace's webhook becomes.
func MarketplaceRequest(body string) events.APIGatewayV2HTTPRequest {
	path := "/webhooks/marketplace/" + scenario.MarketplaceToken
	return httpRequest("POST /webhooks/marketplace/{token}", path, map[string]string{"token": scenario.MarketplaceToken},
		map[string]string{"content-type": "application/json"}, body)
}

// DealerRequest is a dealer batch signed now with the local dealer system's key.
func DealerRequest(body string, now time.Time) events.APIGatewayV2HTTPRequest {
	id := "msg_" + eventsource.RequestID()
	sig, err := signature.Sign(scenario.DealerSecret, id, now, []byte(body))
	if err != nil {
		panic(err) // the local secret is a constant that decodes
	}
	return httpRequest("POST /dealer-purchases", "/dealer-purchases", nil, map[string]string{"content-type": "application/json",
		dealerkeys.HeaderKeyID: scenario.DealerKeyID, signature.HeaderID: id, signature.HeaderTimestamp: strconv.FormatInt(now.Unix(), 10), signature.HeaderSignature: sig}, body)
}

func httpRequest(routeKey, path string, params, headers map[string]string, body string) events.APIGatewayV2HTTPRequest {
	return events.APIGatewayV2HTTPRequest{
		Version: "2.0", RouteKey: routeKey, RawPath: path, Headers: headers, PathParameters: params, Body: body,
		RequestContext: events.APIGatewayV2HTTPRequestContext{RouteKey: routeKey, Stage: "$default", RequestID: eventsource.RequestID(),
			HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: "POST", Path: path, Protocol: "HTTP/1.1", SourceIP: "127.0.0.1"}},
	}
}
