package dynamostore_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/orderhub/orderhub/local/localaws"
	"github.com/orderhub/orderhub/shared/order"
	"github.com/orderhub/orderhub/shared/store/dynamostore"
)

// TestTheOrderItemFitsOneWriteUnit, on DynamoDB Local: a marketplace order of the usual size is
// stored compressed, in an item under 1 KB (one write unit, where its text took two), and reads back
// whole; an order item written as text, as before, still reads.
func TestTheOrderItemFitsOneWriteUnit(t *testing.T) {
	db, table, _ := localaws.TestTable(t, "OrdersTable")
	s := dynamostore.New(db, table)
	ctx := context.Background()
	o, err := order.New(order.SourceMarketplace, "221", storetestTime, order.Actor{Function: "test"})
	if err != nil {
		t.Fatal(err)
	}
	o.EventID, o.Digest = "evt_0000000c0000000d", "9f0c6a1e1b2d3c4e5f60718293a4b5c6"
	o.Customer = order.Customer{Email: "erika.muster@example.com", Language: "de", Gender: "female", FirstName: "Erika", LastName: "Muster",
		SourceID: "1337", Address: order.Address{Street: "Hauptstraße", HouseNumber: "5", PostalCode: "34117", Town: "Kassel", Country: "DE"}}
	o.Items = []order.Item{{Product: "1338", Name: "SuperService", Quantity: order.DecimalFromInt(1), Price: order.Money{Gross: 490000, Net: 411765}, OfferID: "O_MZA1E7173120881551"}}
	o.Payment = order.Payment{Method: "paypal", TransactionID: "1S473067CV761473M", PlenigoMethod: "PAYPAL"}
	o.StartDate, o.PlacedAt = storetestTime, storetestTime
	o.SourceDetails = order.SourceDetails{"addressId": "25", "contactId": "1337", "pluginId": "orderhub-service-purchase",
		"eventType": "SERVICE.PLUGIN.PURCHASE", "createdAt": "2026-11-01T10:00:00Z", "updatedAt": "2026-11-01T10:00:00Z"}
	o.Subscription.PlenigoOrderID, o.Subscription.PromiseID = "500123", "P_7QZX0R2T4V6W8Y9A1B3C"
	o.Items[0].PlenigoOrderID = "500123"
	o.Customer.PlenigoCustomerID = "100233"
	o.Customer.Address.Phone, o.Customer.Address.Email = "+49 561 1234567", "erika.muster@example.com"
	o.Customer.Address.Company, o.Customer.Address.Additional = "Muster Medien GmbH", "Hinterhaus, 2. Stock"
	o.Customer.Address.FirstName, o.Customer.Address.LastName = "Erika", "Muster"
	doc, err := o.Document()
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Create(ctx, o); err != nil {
		t.Fatal(err)
	}
	key := map[string]types.AttributeValue{dynamostore.AttrPK: &types.AttributeValueMemberS{Value: o.ID}, dynamostore.AttrSK: &types.AttributeValueMemberS{Value: dynamostore.SKOrder}}
	raw, err := db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(table), Key: key, ConsistentRead: aws.Bool(true), ReturnConsumedCapacity: types.ReturnConsumedCapacityTotal})
	if err != nil {
		t.Fatal(err)
	}
	stored, ok := raw.Item[dynamostore.AttrDoc].(*types.AttributeValueMemberB)
	if !ok {
		t.Fatalf("the document is stored as %T, want compressed bytes", raw.Item[dynamostore.AttrDoc])
	}
	size := 0
	for k, v := range raw.Item {
		size += len(k)
		switch v := v.(type) {
		case *types.AttributeValueMemberS:
			size += len(v.Value)
		case *types.AttributeValueMemberB:
			size += len(v.Value)
		case *types.AttributeValueMemberN:
			size += len(v.Value)
		}
	}
	if len(doc) <= 1024 || size >= 1024 {
		t.Errorf("document %d bytes as text, %d compressed; item about %d bytes, want a text over 1 KB in an item under it", len(doc), len(stored.Value), size)
	}
	got, err := s.Get(ctx, o.ID)
	if err != nil || got.Customer.Address.Street != "Hauptstraße" || got.Items[0].OfferID != "O_MZA1E7173120881551" {
		t.Fatalf("read back: %+v, %v", got, err)
	}

	// An item written as text, as orders were before.
	raw.Item[dynamostore.AttrDoc] = &types.AttributeValueMemberS{Value: string(doc)}
	raw.Item[dynamostore.AttrPK] = &types.AttributeValueMemberS{Value: "mkt-222"}
	if _, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table), Item: raw.Item}); err != nil {
		t.Fatal(err)
	}
	if old, err := s.Get(ctx, "mkt-222"); err != nil || old.ID != "mkt-221" || old.Customer.Email != o.Customer.Email {
		t.Fatalf("an order stored as text: %+v, %v", old, err)
	}
}
