// Package outbox holds mail that a mutation asked for until a worker delivers it: rows are
// added in the mutation's own transaction, so that a refused or dry-run request sends nothing.
package outbox

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"
)

// Message is one mail waiting in the outbox.
type Message struct {
	bun.BaseModel `bun:"table:mail_outbox,alias:m"`

	ID            int64      `bun:"id,pk,autoincrement"`
	Kind          string     `bun:"kind"`
	Recipient     string     `bun:"recipient"`
	Subject       string     `bun:"subject"`
	Body          string     `bun:"body"`
	CreatedAt     time.Time  `bun:"created_at,nullzero,default:now()"`
	NextAttemptAt time.Time  `bun:"next_attempt_at,nullzero,default:now()"`
	Attempts      int        `bun:"attempts"`
	LastError     *string    `bun:"last_error"`
	SentAt        *time.Time `bun:"sent_at"`
	FailedAt      *time.Time `bun:"failed_at"`
	ClaimedAt     *time.Time `bun:"claimed_at"` // set while an attempt is under way
}

// Enqueue adds messages to the outbox inside db, usually a mutation's transaction.
func Enqueue(ctx context.Context, db bun.IDB, msgs []*Message) error {
	if len(msgs) == 0 {
		return nil
	}
	if _, err := db.NewInsert().Model(&msgs).Column("kind", "recipient", "subject", "body").Returning("NULL").Exec(ctx); err != nil {
		return fmt.Errorf("enqueue mail: %w", err)
	}
	return nil
}
