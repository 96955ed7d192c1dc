// Package importing turns stored orders into plenigo subscriptions: the enqueuer's outbox step, the
// worker's customer-then-import step, and the poller's confirmation from plenigo's import log. It
// speaks to AWS only through the small ports declared here.
package importing
