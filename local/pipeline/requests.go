package pipeline

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/orderhub/orderhub/local/eventsource"
	"github.com/orderhub/orderhub/shared/signature"
)

// MarketplacePurchase is a SERVICE.PLUGIN.PURCHASE body for one order, in the shape of the
// marketplace's documented example; variation and quantity are JSON numbers as text.
func MarketplacePurchase(orderID int, email, variation string, quantity string, createdAt time.Time) string {
	return fmt.Sprintf(`{"id":"evt_%08x%08x","type":"SERVICE.PLUGIN.PURCHASE","createdAt":%d,"resource":{`+
		`"contact":{"id":%d,"gender":"female","firstName":"Erika","lastName":"Muster","email":%q,"updatedAt":%d},`+
		`"address":{"id":%d,"companyName":"","firstName":"Erika","lastName":"Muster","street":"Hauptstraße","houseNumber":"5","additional":"","postalCode":"34117","town":"Kassel","country":"DE","phone":"","email":%q,"updatedAt":%d},`+
		`"order":{"id":%d,"payPalTransactionId":"PP%010d","orderItems":[{"itemVariationId":%s,"quantity":%s,"orderItemName":"Service","priceGross":49,"priceNet":41.1765}]}}}`,
		orderID, createdAt.UnixNano()&0xffffffff, createdAt.Unix(), 1000+orderID, email, createdAt.Unix(), 5000+orderID, email, createdAt.Unix(),
		orderID, orderID, variation, quantity)
}

// DealerPurchase is one purchase of a dealer batch.
func DealerPurchase(externalID, email, group, number, offer string, quantity int) string {
	return fmt.Sprintf(`{"externalSystemId":%q,"email":%q,"language":"de","dealerGroup":%q,"dealerNumber":%q,"offer":%q,"quantity":%d,"startDate":"2026-12-01","paymentMethod":"invoice"}`,
		externalID, email, group, number, offer, quantity)
}

// DealerBatch wraps purchases into a batch body.
func DealerBatch(purchases ...string) string {
	return `{"purchases":[` + strings.Join(purchases, ",") + `]}`
}

// MarketplaceRequest is the API Gateway request plentyMarketplace's webhook becomes.
func MarketplaceRequest(body string) events.APIGatewayV2HTTPRequest {
	path := "/webhooks/marketplace/" + MarketplaceToken
	return httpRequest("POST /webhooks/marketplace/{token}", path, map[string]string{"token": MarketplaceToken},
		map[string]string{"content-type": "application/json"}, body)
}

// DealerRequest is a dealer batch signed now with the local secret.
func DealerRequest(body string, now time.Time) events.APIGatewayV2HTTPRequest {
	id := "msg_" + eventsource.RequestID()
	sig, err := signature.Sign(DealerSecret, id, now, []byte(body))
	if err != nil {
		panic(err) // the local secret is a constant that decodes
	}
	return httpRequest("POST /dealer-purchases", "/dealer-purchases", nil, map[string]string{"content-type": "application/json",
		signature.HeaderID: id, signature.HeaderTimestamp: strconv.FormatInt(now.Unix(), 10), signature.HeaderSignature: sig}, body)
}

func httpRequest(routeKey, path string, params, headers map[string]string, body string) events.APIGatewayV2HTTPRequest {
	return events.APIGatewayV2HTTPRequest{
		Version: "2.0", RouteKey: routeKey, RawPath: path, Headers: headers, PathParameters: params, Body: body,
		RequestContext: events.APIGatewayV2HTTPRequestContext{RouteKey: routeKey, Stage: "$default", RequestID: eventsource.RequestID(),
			HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: "POST", Path: path, Protocol: "HTTP/1.1", SourceIP: "127.0.0.1"}},
	}
}
