package client

import (
	"bytes"
	"encoding/json"
)

// Optional is how the client writes a nullable GraphQL field: nil leaves an input field out (it
// keeps its stored value) and reads a response's null; Value(v) sends v; Null[T]() sends null,
// which clears the field. It is a pointer, so that genqlient's omitempty leaves nil out.
type Optional[T any] = *Nullable[T]

// Nullable is a value or an explicit null. Build one with Value or Null.
type Nullable[T any] struct {
	value T
	null  bool
}

// Value is an Optional holding v: sent, it sets the field to v (an empty slice sends []).
func Value[T any](v T) Optional[T] { return &Nullable[T]{value: v} }

// Null is an Optional holding null: sent, it clears the field.
func Null[T any]() Optional[T] { return &Nullable[T]{null: true} }

// Get returns the value and true, or the zero value and false when o is nil or null.
func (o *Nullable[T]) Get() (T, bool) {
	if o == nil || o.null {
		var zero T
		return zero, false
	}
	return o.value, true
}

// OrZero returns the value, or the zero value when o is nil or null.
func (o *Nullable[T]) OrZero() T {
	v, _ := o.Get()
	return v
}

// MarshalJSON writes the value, or null.
func (o *Nullable[T]) MarshalJSON() ([]byte, error) {
	if o == nil || o.null {
		return []byte("null"), nil
	}
	return json.Marshal(o.value)
}

// UnmarshalJSON reads a value or null.
func (o *Nullable[T]) UnmarshalJSON(b []byte) error {
	if bytes.Equal(bytes.TrimSpace(b), []byte("null")) {
		*o = Nullable[T]{null: true}
		return nil
	}
	*o = Nullable[T]{}
	return json.Unmarshal(b, &o.value)
}

// content returns the value and true, or nil and false for null; the encoder in client.go
// reads an Optional's value through it, whatever T is.
func (o *Nullable[T]) content() (any, bool) {
	if o == nil || o.null {
		return nil, false
	}
	return o.value, true
}

// optional is what every *Nullable[T] is, for the encoder.
type optional interface{ content() (any, bool) }
