package dynamostore

// The packing of the order item, for the external tests that check what is stored.
var (
	Unpack = unpack
	Packed = packed
)
