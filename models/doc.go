// Package models holds the records, their rules and the transactions that change them.
//
// Every mutation goes through one driver (driver.go): in one transaction it loads the record
// FOR UPDATE by the entity's own key, answers a record outside the caller's scope like a
// missing one, checks expectedVersion, lets the entity refuse early, merges the patch
// (patch.go: left out keeps, null clears, a value sets), derives server-side values, runs
// the merged record's rules and the checks that need the database, writes the child lists
// (list.go: replace or upsert, at most one delete, one update and one insert per list), then
// the changed columns with version and updatedAt bumped and the audit row keyed by the
// record's stable id, in one statement (statement.go). A dry run or a refused input rolls
// back; a unique violation that loses a race becomes DUPLICATE at the field its constraint
// guards. The statements on this path are hot (internal/database.Params: written with ? like
// every query, their values bound instead of written into the text): PostgreSQL
// parses and plans each shape once per connection. An input with an idempotencyKey claims the
// key first thing in the transaction and keeps the result under it (idempotency.go), so a
// retry answers from there without writing again.
//
// # Adding an entity
//
//  1. schema.graphqls: a section with the type (id, version, createdAt, updatedAt, history),
//     its child types, create and update inputs (clientMutationId, dryRun; updates also the
//     key and expectedVersion), the payload (record, userErrors, warnings,
//     clientMutationId), the queries and mutations; every type and field described.
//  2. gqlgen.yml: secrets, child lists and history as resolver fields, lists and history
//     with batch: true so that a list query reads each with one statement.
//  3. migrations/: a timestamped .tx.up.sql and .tx.down.sql with the tables, foreign keys
//     (ON DELETE CASCADE for children), unique constraints and checks.
//  4. models/<entity>.go: the record (embedding Record), its child items (embedding Item
//     through a base struct that names the parent column), the Fields struct shared by the
//     inputs, the inputs (embedding MutationInput or UpdateInput), the payload (embedding
//     Outcome), and the merge method with its list definitions (replace or upsert).
//  5. models/<entity>_rules.go: Validate on the merged record, using rules.go for the
//     general rules (text with a maximum length for every string, nonNegative, email,
//     countryCode, currencyCode, gsm, …); table-driven unit tests beside it. A limit goes
//     into the field's description and a CHECK constraint too.
//  6. models/<entity>_store.go: the entity description for the driver (driver.go's entity
//     says which hooks are optional and which entity sets each: name, key path and lock,
//     scope, checkKey for text keys, editable / prepare / derive / check / whole / restore,
//     unique constraints), and the Store methods: create (a creation: the new record with
//     its defaults and the keys outside the Fields), update, reads, and a childLists method
//     per list wrapped in byPage. A paged list query is a Relay connection: its
//     <Entity>Connection with Edges, an <Entity>Edge, an <Entity>OrderField with its sortKeys
//     (page.go: page, paged, group, search), and a frontend/operations/ query. What one request learns on the way (codes other records hold, which items it
//     sent) lives in F, a change value like orderChange or subDealerChange, never on the
//     records.
//  7. graph/schema.resolvers.go: after `go tool gqlgen generate`, one-line resolvers: role
//     check and one Store call for operations; r.Store.<List>(ctx, objs) and models.History
//     for lists and history.
//  8. graph/limits.go: a paged list query gets its cost in pageCosts (TestPageCostsCoverSchema
//     fails without it); fields that read the database are priced from the resolvers by
//     themselves.
//  9. client/<entity>.graphql: the operations of the typed Go client, then `go tool genqlient`.
//  10. internal/demo: a few demo records, created through the Store.
//  11. Tests: graph/<entity>_test.go through the real handler (helpers in helpers_test.go),
//     models/<entity>_test.go for the rules; README's entity table and an example.
package models
