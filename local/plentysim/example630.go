package plentysim

// WorkedExample630 returns order 630 exactly as plentymarkets' guide to order data shows the answer
// of GET /rest/orders/630, for decoding tests. It has the guide's mixed types: integer statusId,
// ownerId and locationId, "position" as a string, "attributeValues" null on the variation line and
// "" on the shipping-cost line, a shipping-cost line with "id": 0 and no position, and item amounts
// with and without ids. The simulator's own documents follow its shape.
func (s *Sim) WorkedExample630() []byte { return []byte(example630) }

const example630 = `{
	"id": 630,
	"typeId": 1,
	"plentyId": 1000,
	"locationId": 1,
	"statusId": 3,
	"statusName": "[3] Warten auf Zahlung",
	"ownerId": 3,
	"lockStatus": "unlocked",
	"createdAt": "2017-12-13T14:19:37+01:00",
	"updatedAt": "2017-12-13T14:19:37+01:00",
	"amounts": [
		{
			"id": 534,
			"orderId": 630,
			"isSystemCurrency": true,
			"isNet": false,
			"currency": "EUR",
			"exchangeRate": 1,
			"netTotal": 129.4,
			"grossTotal": 153.99,
			"vatTotal": 24.59,
			"invoiceTotal": 153.99,
			"paidAmount": 0,
			"giftCardAmount": 0,
			"createdAt": "2017-12-13T14:19:37+01:00",
			"updatedAt": "2017-12-13T14:19:37+01:00",
			"prepaidAmount": 0,
			"vats": [
				{
					"id": 550,
					"orderAmountId": 534,
					"countryVatId": 1,
					"vatField": 0,
					"vatRate": 19,
					"value": 24.59,
					"createdAt": "2017-12-13T14:19:37+01:00",
					"updatedAt": "2017-12-13T14:19:37+01:00",
					"netTotal": 129.4,
					"grossTotal": 153.99
				}
			]
		}
	],
	"properties": [
		{
			"orderId": 630,
			"typeId": 3,
			"value": "4"
		},
		{
			"orderId": 630,
			"typeId": 4,
			"value": "unpaid"
		},
		{
			"orderId": 630,
			"typeId": 2,
			"value": "6"
		},
		{
			"orderId": 630,
			"typeId": 1,
			"value": "1"
		},
		{
			"orderId": 630,
			"typeId": 6,
			"value": "de"
		}
	],
	"dates": [
		{
			"orderId": 630,
			"typeId": 2,
			"date": "2017-12-13T14:19:37+01:00"
		},
		{
			"orderId": 630,
			"typeId": 4,
			"date": "2017-12-13T14:19:37+01:00"
		}
	],
	"addressRelations": [
		{
			"orderId": 630,
			"typeId": 1,
			"addressId": 33
		},
		{
			"orderId": 630,
			"typeId": 2,
			"addressId": 33
		}
	],
	"relations": [
		{
			"orderId": 630,
			"referenceType": "warehouse",
			"referenceId": 1,
			"relation": "sender"
		},
		{
			"orderId": 630,
			"referenceType": "contact",
			"referenceId": 104,
			"relation": "receiver"
		}
	],
	"orderReferences": [],
	"orderItems": [
		{
			"id": 744,
			"orderId": 630,
			"typeId": 1,
			"referrerId": 0,
			"itemVariationId": 1012,
			"quantity": 1,
			"orderItemName": "Design Sessel Black&White",
			"attributeValues": null,
			"shippingProfileId": 0,
			"countryVatId": 1,
			"vatField": 0,
			"vatRate": 19,
			"position": "0",
			"createdAt": "2017-12-13T14:19:37+01:00",
			"updatedAt": "2017-12-13T14:19:37+01:00",
			"warehouseId": 1,
			"amounts": [
				{
					"id": 592,
					"orderItemId": 744,
					"isSystemCurrency": true,
					"currency": "EUR",
					"exchangeRate": 1,
					"purchasePrice": 143.16,
					"priceOriginalGross": 149,
					"priceOriginalNet": 125.2101,
					"priceGross": 149,
					"priceNet": 125.2101,
					"surcharge": 0,
					"discount": 0,
					"isPercentage": true,
					"createdAt": "2017-12-13T14:19:37+01:00",
					"updatedAt": "2017-12-13T14:19:37+01:00"
				}
			],
			"properties": [
				{
					"id": 1912,
					"orderItemId": 744,
					"typeId": 1,
					"value": "1",
					"createdAt": "2017-12-13T14:19:37+01:00",
					"updatedAt": "2017-12-13T14:19:37+01:00"
				},
				{
					"id": 1913,
					"orderItemId": 744,
					"typeId": 21,
					"value": "1",
					"createdAt": "2017-12-13T14:19:37+01:00",
					"updatedAt": "2017-12-13T14:19:37+01:00"
				}
			],
			"dates": [],
			"references": []
		},
		{
			"orderId": 630,
			"typeId": 6,
			"referrerId": 0,
			"itemVariationId": 0,
			"quantity": 1,
			"orderItemName": "Shipping Costs",
			"attributeValues": "",
			"shippingProfileId": 6,
			"vatField": 0,
			"vatRate": 19,
			"id": 0,
			"amounts": [
				{
					"orderItemId": 0,
					"currency": "EUR",
					"exchangeRate": 1,
					"isSystemCurrency": true,
					"priceOriginalGross": 4.99,
					"priceOriginalNet": 4.1933,
					"priceGross": 4.99,
					"priceNet": 4.1933
				}
			]
		}
	]
}
`
