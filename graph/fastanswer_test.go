package graph

import (
	"bytes"
	"strings"
	"testing"
)

// TestFastAnswerAdoption writes answers as gqlgen writes a response's data: the first answer
// takes the response's buffer over, keeping the bytes before it, and is held until the
// response is written; a second answer, a prefix longer than the room before an answer, a
// writer that is not a bytes.Buffer, or no adoption in the context get a copy. The bytes are
// the same either way.
func TestFastAnswerAdoption(t *testing.T) {
	var hint sizeHint
	answer := func(s string, adopted *adoptedAnswer) *fastAnswer {
		buf := getAnswerBuffer(&hint)
		*buf = append(*buf, s...)
		return &fastAnswer{buf: buf, adopted: adopted}
	}
	adopted := &adoptedAnswer{}
	var data bytes.Buffer
	data.WriteString(`{"a":`)
	first := answer(`[1,2]`, adopted)
	firstBuf := first.buf
	first.MarshalGQL(&data)
	data.WriteString(`,"b":`)
	answer(`[3]`, adopted).MarshalGQL(&data)
	data.WriteString(`}`)
	if got := data.String(); got != `{"a":[1,2],"b":[3]}` {
		t.Errorf("data %s", got)
	}
	if adopted.buf != firstBuf || first.buf != nil {
		t.Error("the first answer's buffer is not held by the response")
	}
	if &data.Bytes()[0] != &(*firstBuf)[answerHead-len(`{"a":`)] {
		t.Error("the response's data is not in the first answer's buffer")
	}
	adopted.release()
	if adopted.buf != nil || len(*firstBuf) != answerHead {
		t.Error("the written response did not give the buffer back")
	}

	long := `{"` + strings.Repeat("x", answerHead) + `":`
	var b2 bytes.Buffer
	b2.WriteString(long)
	other := &adoptedAnswer{}
	answer(`[4]`, other).MarshalGQL(&b2)
	var sb strings.Builder
	answer(`[5]`, other).MarshalGQL(&sb)
	var b3 bytes.Buffer
	answer(`[6]`, nil).MarshalGQL(&b3)
	if b2.String() != long+`[4]` || sb.String() != `[5]` || b3.String() != `[6]` || other.buf != nil {
		t.Errorf("copied answers: %q, %q, %q; held %v", b2.String()[len(long):], sb.String(), b3.String(), other.buf != nil)
	}
}
