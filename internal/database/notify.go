package database

import "database/sql"

// The audit log's trigger (migration 20261205160001) notifies the channel audit_log at commit
// only in a transaction that set paygql.notify to on. A notification serializes the commits of
// every session that sends one (PostgreSQL queues them under one lock), so a transaction asks
// for one only while some instance follows the change feed: NotifyCommits says so per pool.
const (
	// notifySetting follows the timeouts' set_config calls in a pipelined transaction's BEGIN.
	notifySetting = ", set_config('paygql.notify', 'on', true)"
	// notifyLocal follows the timeouts' `set local` in another transaction's first message.
	notifyLocal = "; set local paygql.notify = 'on'"
)

// NotifyCommits tells whether the transactions of db, a pool opened by Open, notify
// LISTEN audit_log of the audit rows they write (off when Open returns it). Another pool is
// left alone.
func NotifyCommits(db *sql.DB, on bool) {
	if c := poolConnector(db); c != nil {
		c.notify.Store(on)
	}
}

// Notifying tells whether the transactions of db, a pool opened by Open, notify their commits.
func Notifying(db *sql.DB) bool {
	c := poolConnector(db)
	return c != nil && c.notify.Load()
}
