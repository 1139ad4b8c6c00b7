package models

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/schema"

	"github.com/payplat/paygql/internal/database"
)

// A list's bulk update and bulk insert carry all their rows in one jsonb parameter that
// jsonb_populate_recordset turns back into rows of the table's own type, so that each has
// one statement text whatever the number of rows (a VALUES list would make a new text, and
// a new plan, for every length). Like the statements in statement.go they are prepared.

// bulkTexts holds the statement texts by kind and table.
var bulkTexts sync.Map // string → string

// bulkUpdate sets every column of items, matched by primary key, in one statement. All items
// belong to one parent, and the statement says so: a prepared statement runs on a generic
// plan, which must not guess how many rows the parameter holds, and with the parent's index
// it reads that parent's rows only instead of joining a guessed hundred rows against the
// whole table.
func bulkUpdate[T listItem](ctx context.Context, db bun.IDB, items []T) error {
	table := db.Dialect().Tables().Get(reflect.TypeFor[T]())
	rows, err := bulkRows(table, items)
	if err != nil {
		return err
	}
	text := bulkText("update", table, func(b *strings.Builder) {
		b.WriteString("UPDATE " + string(table.SQLName) + " AS t SET ")
		first := true
		for _, f := range table.DataFields {
			if !first {
				b.WriteString(", ")
			}
			first = false
			b.WriteString(string(f.SQLName) + " = d." + string(f.SQLName))
		}
		b.WriteString(" FROM jsonb_populate_recordset(NULL::" + string(table.SQLName) + ", ?) AS d WHERE ")
		for _, pk := range table.PKs {
			b.WriteString("t." + string(pk.SQLName) + " = d." + string(pk.SQLName) + " AND ")
		}
		b.WriteString("t." + items[0].parentColumn() + " = ?")
	})
	var p database.Params
	_, err = p.Exec(ctx, db, text, p.Args(rows, *items[0].parent())...)
	return err
}

// bulkInsert inserts items in one statement.
func bulkInsert[T listItem](ctx context.Context, db bun.IDB, items []T) error {
	table := db.Dialect().Tables().Get(reflect.TypeFor[T]())
	rows, err := bulkRows(table, items)
	if err != nil {
		return err
	}
	text := bulkText("insert", table, func(b *strings.Builder) {
		var cols []string
		for _, f := range table.Fields {
			cols = append(cols, string(f.SQLName))
		}
		list := strings.Join(cols, ", ")
		b.WriteString("INSERT INTO " + string(table.SQLName) + " (" + list + ") SELECT " + list +
			" FROM jsonb_populate_recordset(NULL::" + string(table.SQLName) + ", ?)")
	})
	var p database.Params
	_, err = p.Exec(ctx, db, text, p.Arg(rows))
	return err
}

func bulkText(kind string, table *schema.Table, build func(b *strings.Builder)) string {
	key := kind + " " + table.Name
	if s, ok := bulkTexts.Load(key); ok {
		return s.(string)
	}
	var b strings.Builder
	build(&b)
	bulkTexts.Store(key, b.String())
	return b.String()
}

// bulkRows encodes items as a JSON array of objects keyed by column name, every value in a
// form PostgreSQL reads back into its column's type: JSON strings, numbers, booleans and
// null as they are (money as its exact text), arrays as arrays, bytea as hex text.
func bulkRows[T listItem](table *schema.Table, items []T) (string, error) {
	var b bytes.Buffer
	b.Grow(2 + len(items)*len(table.Fields)*32) // a column's name and value: 32 bytes or so
	b.WriteByte('[')
	for i, it := range items {
		if i > 0 {
			b.WriteByte(',')
		}
		strct := reflect.ValueOf(it).Elem()
		b.WriteByte('{')
		for j, f := range table.Fields {
			if j > 0 {
				b.WriteByte(',')
			}
			appendJSONString(&b, f.Name)
			b.WriteByte(':')
			if err := appendColumnValue(&b, f.Value(strct)); err != nil {
				return "", err
			}
		}
		b.WriteByte('}')
	}
	b.WriteByte(']')
	return b.String(), nil
}

func appendColumnValue(b *bytes.Buffer, v reflect.Value) error {
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			b.WriteString("null")
			return nil
		}
		if v.Elem().Kind() == reflect.String {
			appendJSONString(b, v.Elem().String())
			return nil
		}
	case reflect.String:
		appendJSONString(b, v.String())
		return nil
	case reflect.Bool:
		b.WriteString(strconv.FormatBool(v.Bool()))
		return nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		b.WriteString(strconv.FormatInt(v.Int(), 10))
		return nil
	case reflect.Slice:
		if v.Type().Elem().Kind() == reflect.Uint8 { // bytea
			if v.IsNil() {
				b.WriteString("null")
			} else {
				appendJSONString(b, `\x`+hex.EncodeToString(v.Bytes()))
			}
			return nil
		}
		if v.IsNil() { // an empty array, as for a NOT NULL DEFAULT '{}' column
			b.WriteString("[]")
			return nil
		}
	}
	// uuid.UUID (its text), Decimal (its exact text, quoted), time.Time (RFC 3339), slices.
	out, err := json.Marshal(v.Interface())
	if err != nil {
		return err
	}
	b.Write(out)
	return nil
}

// appendJSONString writes s as a JSON string, fast for the common case of text that needs
// no escape.
func appendJSONString(b *bytes.Buffer, s string) {
	ascii := true
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c == '"' || c == '\\' {
			ascii = false
			break
		}
		if c >= utf8.RuneSelf && !utf8.ValidString(s) {
			ascii = false
			break
		}
	}
	if !ascii {
		out, _ := json.Marshal(s)
		b.Write(out)
		return
	}
	b.WriteByte('"')
	b.WriteString(s)
	b.WriteByte('"')
}
