package models

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"io"
	"slices"
	"strconv"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/payplat/paygql/internal/auth"
)

// WebhookEntityType names a kind of record whose changes an endpoint hears of.
type WebhookEntityType string

// The values of WebhookEntityType.
const (
	WebhookConnectorConfiguration WebhookEntityType = "CONNECTOR_CONFIGURATION"
	WebhookCustomerPaymentGateway WebhookEntityType = "CUSTOMER_PAYMENT_GATEWAY"
	WebhookSubDealer              WebhookEntityType = "SUB_DEALER"
	WebhookDevicePurchaseOrder    WebhookEntityType = "DEVICE_PURCHASE_ORDER"
)

// webhookEntities maps each WebhookEntityType to its entity name (audit_log.entity_type) and
// the role that may hear of it.
var webhookEntities = map[WebhookEntityType]struct{ entity, role string }{
	WebhookConnectorConfiguration: {EntityConnectorConfiguration, auth.RoleConnectorAdmin},
	WebhookCustomerPaymentGateway: {EntityCustomerPaymentGateway, auth.RoleGatewayAdmin},
	WebhookSubDealer:              {EntitySubDealer, auth.RoleDealerAdmin},
	WebhookDevicePurchaseOrder:    {EntityDevicePurchaseOrder, auth.RoleDealerAdmin},
}

// UnmarshalGQL reads a WebhookEntityType from GraphQL.
func (t *WebhookEntityType) UnmarshalGQL(v any) error {
	s, _ := v.(string)
	if _, ok := webhookEntities[WebhookEntityType(s)]; !ok {
		return inputErrorf("%v is not a WebhookEntityType", v)
	}
	*t = WebhookEntityType(s)
	return nil
}

// MarshalGQL writes t to GraphQL.
func (t WebhookEntityType) MarshalGQL(w io.Writer) {
	_, _ = io.WriteString(w, strconv.Quote(string(t)))
}

// Entity is the entity name of t's records, as events carry it.
func (t WebhookEntityType) Entity() string { return webhookEntities[t].entity }

// WebhookFilters narrow the events an endpoint hears of; a filter applies to its entity type
// only, and an empty one lets every record of the endpoint's scope through.
type WebhookFilters struct {
	DealerCode     *string    `json:"dealerCode,omitempty"`
	MainDealerCode *string    `json:"mainDealerCode,omitempty"`
	CustomerID     *uuid.UUID `json:"customerId,omitempty"`
	ConnectorID    *uuid.UUID `json:"connectorId,omitempty"`
}

// WebhookFiltersInput is WebhookFilters as a mutation sends them.
type WebhookFiltersInput = WebhookFilters

// WebhookEndpoint is a partner's URL that hears of committed changes.
type WebhookEndpoint struct {
	bun.BaseModel `bun:"table:webhook_endpoints,alias:we"`

	ID               uuid.UUID           `bun:"id,pk"`
	URL              string              `bun:"url"`
	Description      *string             `bun:"description"`
	EntityTypes      []WebhookEntityType `bun:"entity_types,array"`
	Filters          WebhookFilters      `bun:"filters,type:jsonb"`
	Owner            string              `bun:"owner"`
	ScopeAdmin       bool                `bun:"scope_admin"`
	ScopeCustomerIDs []string            `bun:"scope_customer_ids,array"`
	ScopeDealerCodes []string            `bun:"scope_dealer_codes,array"`
	Secret           []byte              `bun:"secret"` // sealed with SECRETS_KEY
	Version          int                 `bun:"version"`
	CreatedAt        time.Time           `bun:"created_at"`
	UpdatedAt        time.Time           `bun:"updated_at"`
	DisabledAt       *time.Time          `bun:"disabled_at"`
	DisabledReason   *string             `bun:"disabled_reason"`
}

// Enabled reports whether the endpoint receives deliveries.
func (w *WebhookEndpoint) Enabled() bool { return w.DisabledAt == nil }

// CreateWebhookEndpointInput is the input of createWebhookEndpoint.
type CreateWebhookEndpointInput struct {
	URL              string
	EntityTypes      []WebhookEntityType
	Filters          *WebhookFiltersInput
	Description      *string
	ClientMutationID *string
}

// UpdateWebhookEndpointInput is the input of updateWebhookEndpoint: fields left out keep
// their values.
type UpdateWebhookEndpointInput struct {
	ID               uuid.UUID
	URL              graphql.Omittable[*string]
	EntityTypes      graphql.Omittable[[]WebhookEntityType]
	Filters          graphql.Omittable[*WebhookFiltersInput]
	Description      graphql.Omittable[*string]
	Enabled          graphql.Omittable[*bool]
	ExpectedVersion  graphql.Omittable[*int]
	ClientMutationID *string
}

// WebhookEndpointKeyInput names one endpoint (delete, rotate the secret).
type WebhookEndpointKeyInput struct {
	ID               uuid.UUID
	ClientMutationID *string
}

// WebhookEndpointPayload is the answer of the endpoint mutations. Secret is set only by the
// mutations that make one (create, rotate): it is shown once and never again.
type WebhookEndpointPayload struct {
	WebhookEndpoint *WebhookEndpoint
	Secret          *string
	Outcome
}

// maxFilterLen bounds a filter's dealer code.
const maxFilterLen = 50

// maxWebhookURLLen bounds an endpoint's URL.
const maxWebhookURLLen = 2000

// secretPrefix starts every signing secret (Standard Webhooks' format: whsec_ and the base64
// of the key).
const secretPrefix = "whsec_"

// newWebhookSecret returns a fresh signing secret: 32 random bytes.
func newWebhookSecret() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return secretPrefix + base64.StdEncoding.EncodeToString(b)
}

// WebhookSecret opens an endpoint's signing secret.
func (s *Store) WebhookSecret(w *WebhookEndpoint) (string, error) {
	secret, err := s.Secrets.Open(w.Secret)
	if err != nil {
		return "", fmt.Errorf("open the signing secret of webhook endpoint %s: %w", w.ID, err)
	}
	return secret, nil
}

// canSee reports whether p may see and manage w: admins every endpoint, others those whose
// entity types their roles cover and whose scope lies within theirs.
func canSee(p *auth.Principal, w *WebhookEndpoint) bool {
	if p.IsAdmin() {
		return true
	}
	if w.ScopeAdmin {
		return false
	}
	for _, t := range w.EntityTypes {
		if !p.HasRole(webhookEntities[t].role) {
			return false
		}
	}
	for _, c := range w.ScopeCustomerIDs {
		if !p.ManagesCustomer(c) {
			return false
		}
	}
	for _, d := range w.ScopeDealerCodes {
		if !p.ManagesDealer(d) {
			return false
		}
	}
	return true
}

// takeScope stores p's scope, as far as w's entity types need it, in w.
func takeScope(p *auth.Principal, w *WebhookEndpoint) {
	w.Owner, w.ScopeAdmin = p.Subject, p.IsAdmin()
	w.ScopeCustomerIDs, w.ScopeDealerCodes = []string{}, []string{}
	if w.ScopeAdmin {
		return
	}
	for _, t := range w.EntityTypes {
		switch webhookEntities[t].role {
		case auth.RoleGatewayAdmin:
			w.ScopeCustomerIDs = slices.Clone(p.CustomerIDs)
		case auth.RoleDealerAdmin:
			w.ScopeDealerCodes = slices.Clone(p.DealerCodes)
		}
	}
}

// checkEndpoint validates w as p would save it: the URL by the store's policy, entity types
// p's roles cover, filters that name an entity type of w within p's scope.
func (s *Store) checkEndpoint(v *Violations, p *auth.Principal, w *WebhookEndpoint) {
	u := w.URL
	text(v, Path{"url"}, &u, maxWebhookURLLen)
	if err := s.WebhookPolicy.CheckURL(w.URL); err != nil {
		v.Add(Path{"url"}, CodeInvalid, "url %v", err)
	}
	text(v, Path{"description"}, w.Description, 500)
	if len(w.EntityTypes) == 0 {
		v.Add(Path{"entityTypes"}, CodeRequired, "entityTypes must name at least one entity type")
	}
	seen := map[WebhookEntityType]bool{}
	for i, t := range w.EntityTypes {
		switch {
		case seen[t]:
			v.Add(Path{"entityTypes", strconv.Itoa(i)}, CodeDuplicate, "entityTypes lists %s twice", t)
		case !p.HasRole(webhookEntities[t].role):
			v.Add(Path{"entityTypes", strconv.Itoa(i)}, CodeInvalid, "your token lacks the role %s, which hearing of %s changes needs", webhookEntities[t].role, t)
		}
		seen[t] = true
	}
	f := w.Filters
	text(v, Path{"filters", "dealerCode"}, f.DealerCode, maxFilterLen)
	text(v, Path{"filters", "mainDealerCode"}, f.MainDealerCode, maxFilterLen)
	filter := func(name string, set bool, t WebhookEntityType, inScope bool, value string) {
		if !set {
			return
		}
		path := Path{"filters", name}
		switch {
		case !seen[t]:
			v.Add(path, CodeInvalid, "filters.%s narrows %s events, which entityTypes does not include", name, t)
		case !inScope:
			v.Add(path, CodeNotFound, "no %s %q lies within your scope", name, value)
		}
	}
	filter("dealerCode", f.DealerCode != nil, WebhookDevicePurchaseOrder, f.DealerCode != nil && p.ManagesDealer(*f.DealerCode), deref(f.DealerCode))
	filter("mainDealerCode", f.MainDealerCode != nil, WebhookSubDealer, f.MainDealerCode != nil && p.ManagesDealer(*f.MainDealerCode), deref(f.MainDealerCode))
	filter("customerId", f.CustomerID != nil, WebhookCustomerPaymentGateway, f.CustomerID != nil && p.ManagesCustomer(f.CustomerID.String()), uuidText(f.CustomerID))
	filter("connectorId", f.ConnectorID != nil, WebhookConnectorConfiguration, true, uuidText(f.ConnectorID))
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func uuidText(id *uuid.UUID) string {
	if id == nil {
		return ""
	}
	return id.String()
}

// CreateWebhookEndpoint validates and stores a new endpoint with a fresh signing secret, which
// the payload shows this once.
func (s *Store) CreateWebhookEndpoint(ctx context.Context, p *auth.Principal, in CreateWebhookEndpointInput) (*WebhookEndpointPayload, error) {
	at := now()
	w := &WebhookEndpoint{ID: newID(), URL: in.URL, Description: in.Description, EntityTypes: in.EntityTypes,
		Version: 1, CreatedAt: at, UpdatedAt: at}
	if in.Filters != nil {
		w.Filters = *in.Filters
	}
	out := &WebhookEndpointPayload{Outcome: Outcome{ClientMutationID: in.ClientMutationID}}
	var v Violations
	text(&v, Path{"clientMutationId"}, in.ClientMutationID, maxKeyLen)
	s.checkEndpoint(&v, p, w)
	if v.Failed() {
		out.UserErrors = v.Errors
		return out, nil
	}
	takeScope(p, w)
	secret := newWebhookSecret()
	w.Secret = s.Secrets.Seal(secret)
	if _, err := s.DB.NewInsert().Model(w).Returning("NULL").Exec(ctx); err != nil {
		return nil, fmt.Errorf("create webhook endpoint: %w", err)
	}
	out.WebhookEndpoint, out.Secret, out.UserErrors = w, &secret, []UserError{}
	return out, nil
}

// lockEndpoint loads an endpoint p may see, FOR UPDATE, or reports it as NOT_FOUND at id.
func lockEndpoint(ctx context.Context, tx bun.IDB, p *auth.Principal, id uuid.UUID, v *Violations) (*WebhookEndpoint, error) {
	w := new(WebhookEndpoint)
	err := tx.NewSelect().Model(w).Where("id = ?", id).For("UPDATE").Scan(ctx)
	if err = notFound(err); err == ErrNotFound || err == nil && !canSee(p, w) {
		v.Add(Path{"id"}, CodeNotFound, "no webhook endpoint has id %s", id)
		return nil, nil
	}
	return w, err
}

// UpdateWebhookEndpoint changes the sent fields of an endpoint; enabled: true re-enables an
// endpoint that was disabled, and its waiting deliveries are tried again at once.
func (s *Store) UpdateWebhookEndpoint(ctx context.Context, p *auth.Principal, in UpdateWebhookEndpointInput) (*WebhookEndpointPayload, error) {
	out := &WebhookEndpointPayload{Outcome: Outcome{ClientMutationID: in.ClientMutationID}}
	err := s.DB.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		var v Violations
		text(&v, Path{"clientMutationId"}, in.ClientMutationID, maxKeyLen)
		w, err := lockEndpoint(ctx, tx, p, in.ID, &v)
		if err != nil || w == nil {
			out.UserErrors = v.Errors
			return err
		}
		if e, ok := in.ExpectedVersion.ValueOK(); ok && e != nil && *e != w.Version {
			v.Add(Path{"expectedVersion"}, CodeVersionConflict, "the endpoint is at version %d, not %d: reload it and apply the change again", w.Version, *e)
		}
		if u, ok := in.URL.ValueOK(); ok {
			if u == nil {
				v.Add(Path{"url"}, CodeRequired, "url must not be null")
			} else {
				w.URL = *u
			}
		}
		if t, ok := in.EntityTypes.ValueOK(); ok {
			w.EntityTypes = t
		}
		if f, ok := in.Filters.ValueOK(); ok {
			w.Filters = WebhookFilters{}
			if f != nil {
				w.Filters = *f
			}
		}
		if d, ok := in.Description.ValueOK(); ok {
			w.Description = d
		}
		reenable := false
		if e, ok := in.Enabled.ValueOK(); ok {
			switch {
			case e == nil:
				v.Add(Path{"enabled"}, CodeRequired, "enabled must not be null")
			case *e && w.DisabledAt != nil:
				w.DisabledAt, w.DisabledReason, reenable = nil, nil, true
			case !*e && w.DisabledAt == nil:
				at, reason := now(), "disabled by "+p.Subject
				w.DisabledAt, w.DisabledReason = &at, &reason
			}
		}
		s.checkEndpoint(&v, p, w)
		if v.Failed() {
			out.UserErrors = v.Errors
			return nil
		}
		// A partner's change gives the endpoint the partner's scope (which covers the stored
		// one, or the endpoint would look missing); an admin's change keeps its owner's.
		if !p.IsAdmin() || w.ScopeAdmin {
			takeScope(p, w)
		}
		w.Version++
		w.UpdatedAt = now()
		if _, err := tx.NewUpdate().Model(w).WherePK().
			Column("url", "description", "entity_types", "filters", "owner", "scope_admin", "scope_customer_ids",
				"scope_dealer_codes", "version", "updated_at", "disabled_at", "disabled_reason").
			Returning("NULL").Exec(ctx); err != nil {
			return fmt.Errorf("update webhook endpoint: %w", err)
		}
		if reenable {
			// A fresh retry window, starting now, for what waited while it was disabled.
			if _, err := tx.NewRaw(`UPDATE webhook_deliveries SET next_attempt_at = now(), retry_since = NULL
				WHERE endpoint_id = ? AND delivered_at IS NULL AND claimed_at IS NULL`, w.ID).Exec(ctx); err != nil {
				return fmt.Errorf("re-enable webhook endpoint: %w", err)
			}
		}
		out.WebhookEndpoint, out.UserErrors = w, []UserError{}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// RotateWebhookEndpointSecret gives an endpoint a new signing secret, shown this once; the old
// one stops signing at once.
func (s *Store) RotateWebhookEndpointSecret(ctx context.Context, p *auth.Principal, in WebhookEndpointKeyInput) (*WebhookEndpointPayload, error) {
	return s.onEndpoint(ctx, p, in, func(tx bun.Tx, w *WebhookEndpoint, out *WebhookEndpointPayload) error {
		secret := newWebhookSecret()
		w.Secret = s.Secrets.Seal(secret)
		w.Version++
		w.UpdatedAt = now()
		if _, err := tx.NewUpdate().Model(w).WherePK().Column("secret", "version", "updated_at").Returning("NULL").Exec(ctx); err != nil {
			return fmt.Errorf("rotate webhook secret: %w", err)
		}
		out.Secret = &secret
		return nil
	})
}

// DeleteWebhookEndpoint removes an endpoint and its delivery log; the payload holds the
// endpoint as it was.
func (s *Store) DeleteWebhookEndpoint(ctx context.Context, p *auth.Principal, in WebhookEndpointKeyInput) (*WebhookEndpointPayload, error) {
	return s.onEndpoint(ctx, p, in, func(tx bun.Tx, w *WebhookEndpoint, _ *WebhookEndpointPayload) error {
		if _, err := tx.NewDelete().Model(w).WherePK().Exec(ctx); err != nil {
			return fmt.Errorf("delete webhook endpoint: %w", err)
		}
		return nil
	})
}

// onEndpoint runs change on the endpoint named by in, locked in a transaction, once p may
// change it; its payload holds the endpoint, or the user errors that refused it.
func (s *Store) onEndpoint(ctx context.Context, p *auth.Principal, in WebhookEndpointKeyInput, change func(tx bun.Tx, w *WebhookEndpoint, out *WebhookEndpointPayload) error) (*WebhookEndpointPayload, error) {
	out := &WebhookEndpointPayload{Outcome: Outcome{ClientMutationID: in.ClientMutationID}}
	err := s.DB.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		var v Violations
		text(&v, Path{"clientMutationId"}, in.ClientMutationID, maxKeyLen)
		w, err := lockEndpoint(ctx, tx, p, in.ID, &v)
		if err != nil || v.Failed() {
			out.UserErrors = v.Errors
			return err
		}
		if err := change(tx, w, out); err != nil {
			return err
		}
		out.WebhookEndpoint, out.UserErrors = w, []UserError{}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// WebhookEndpoint returns one endpoint p may see, or ErrNotFound.
func (s *Store) WebhookEndpoint(ctx context.Context, p *auth.Principal, id uuid.UUID) (*WebhookEndpoint, error) {
	w := new(WebhookEndpoint)
	if err := notFound(s.DB.NewSelect().Model(w).Where("id = ?", id).Scan(ctx)); err != nil {
		return nil, err
	}
	if !canSee(p, w) {
		return nil, ErrNotFound
	}
	return w, nil
}

// WebhookEndpoints returns the endpoints p may see, oldest first.
func (s *Store) WebhookEndpoints(ctx context.Context, p *auth.Principal) ([]*WebhookEndpoint, error) {
	var all []*WebhookEndpoint
	if err := s.DB.NewSelect().Model(&all).Order("id").Scan(ctx); err != nil {
		return nil, fmt.Errorf("list webhook endpoints: %w", err)
	}
	out := make([]*WebhookEndpoint, 0, len(all))
	for _, w := range all {
		if canSee(p, w) {
			out = append(out, w)
		}
	}
	return out, nil
}
