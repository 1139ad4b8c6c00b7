// Package wstest is a graphql-transport-ws client for tests: a real WebSocket connection
// (gorilla/websocket) that speaks the protocol as Apollo Client's graphql-ws does, answering
// the server's pings.
package wstest

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// Message is one server message: next, error, complete, connection_ack, ping or pong.
type Message struct {
	ID      string          `json:"id,omitempty"`
	Type    string          `json:"type"`
	Payload json.RawMessage `json:"payload,omitempty"`
}

// Conn is a connection to a GraphQL server's WebSocket endpoint.
type Conn struct {
	ws *websocket.Conn

	wmu  sync.Mutex
	msgs chan Message
	done chan struct{} // closed when the connection is read to its end
	// Close is the server's close frame (code and reason), once done is closed; Code 0 when the
	// connection ended without one.
	CloseCode   int
	CloseReason string
}

// Dial opens a connection to url (ws://host/query) with the graphql-transport-ws subprotocol
// and header (Origin, Authorization) on the upgrade request. A refused upgrade returns the
// HTTP response, its body read into the error.
func Dial(url string, header http.Header) (*Conn, *http.Response, error) {
	d := websocket.Dialer{Subprotocols: []string{"graphql-transport-ws"}, HandshakeTimeout: 10 * time.Second}
	ws, res, err := d.Dial(strings.Replace(url, "http://", "ws://", 1), header)
	if err != nil {
		return nil, res, err
	}
	c := &Conn{ws: ws, msgs: make(chan Message, 1024), done: make(chan struct{})}
	go c.read()
	return c, res, nil
}

func (c *Conn) read() {
	defer close(c.done)
	defer close(c.msgs)
	for {
		var m Message
		if err := c.ws.ReadJSON(&m); err != nil {
			var ce *websocket.CloseError
			if errors.As(err, &ce) {
				c.CloseCode, c.CloseReason = ce.Code, ce.Text
			}
			return
		}
		if m.Type == "ping" {
			_ = c.Send(Message{Type: "pong"})
			continue
		}
		c.msgs <- m
	}
}

// Send writes one message.
func (c *Conn) Send(m Message) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	return c.ws.WriteJSON(m)
}

// Init sends connection_init with payload and waits for connection_ack; an error says how the
// server answered instead (its close code and reason).
func (c *Conn) Init(payload map[string]any) error {
	raw, err := json.Marshal(payload)
	if err != nil {
		return err
	}
	if err := c.Send(Message{Type: "connection_init", Payload: raw}); err != nil {
		return err
	}
	m, err := c.Next(10 * time.Second)
	if err != nil {
		return err
	}
	if m.Type != "connection_ack" {
		return fmt.Errorf("got %s, want connection_ack", m.Type)
	}
	return nil
}

// Subscribe starts operation id.
func (c *Conn) Subscribe(id, query string, variables map[string]any) error {
	raw, err := json.Marshal(map[string]any{"query": query, "variables": variables})
	if err != nil {
		return err
	}
	return c.Send(Message{ID: id, Type: "subscribe", Payload: raw})
}

// Complete stops operation id.
func (c *Conn) Complete(id string) error {
	return c.Send(Message{ID: id, Type: "complete"})
}

// ErrClosed is returned by Next once the server closed the connection; CloseCode and
// CloseReason say how.
var ErrClosed = errors.New("connection closed")

// ErrTimeout is returned by Next when no message came in time.
var ErrTimeout = errors.New("no message in time")

// Next returns the next message other than a ping or pong, waiting at most d.
func (c *Conn) Next(d time.Duration) (Message, error) {
	t := time.NewTimer(d)
	defer t.Stop()
	for {
		select {
		case m, ok := <-c.msgs:
			if !ok {
				return Message{}, fmt.Errorf("%w: %d %q", ErrClosed, c.CloseCode, c.CloseReason)
			}
			if m.Type == "pong" {
				continue
			}
			return m, nil
		case <-t.C:
			return Message{}, ErrTimeout
		}
	}
}

// Closed waits at most d for the server to close the connection, and reports whether it did.
func (c *Conn) Closed(d time.Duration) bool {
	select {
	case <-c.done:
		return true
	case <-time.After(d):
		return false
	}
}

// Close closes the connection as a client leaving does (1000).
func (c *Conn) Close() {
	c.wmu.Lock()
	_ = c.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, "bye"), time.Now().Add(time.Second))
	c.wmu.Unlock()
	_ = c.ws.Close()
}

// Data is a next message's payload: data and errors.
type Data struct {
	Data   map[string]json.RawMessage `json:"data"`
	Errors []struct {
		Message    string         `json:"message"`
		Extensions map[string]any `json:"extensions"`
	} `json:"errors"`
}

// Decode reads a next message's payload.
func (m Message) Decode() (Data, error) {
	var d Data
	err := json.Unmarshal(m.Payload, &d)
	return d, err
}
