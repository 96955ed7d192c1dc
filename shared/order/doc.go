// Package order is orderhub's domain: the Order, the states it moves through, the history of every
// move, and the repository port that stores it. It imports nothing from AWS.
package order
