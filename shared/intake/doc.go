// Package intake turns what a source sends (a plentyMarketplace webhook, a dealer batch) into
// orders, and accepts each order exactly once into the repository.
package intake
