package ui

import (
	"strings"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
)

// markupNodes renders a message body: its markup as the few elements of
// markupElements, every piece of user text as a text node. A mention of
// me (the reader's nickname) is marked so it stands out.
func markupNodes(body, me string) []app.UI {
	return renderMarks(ParseMarkup(body), strings.ToLower(me))
}

func renderMarks(ms []Mark, me string) []app.UI {
	out := make([]app.UI, 0, len(ms))
	for _, m := range ms {
		switch m.Kind {
		case MarkText:
			out = append(out, app.Text(m.Text))
		case MarkBreak:
			out = append(out, app.Br())
		case MarkEm:
			out = append(out, app.Em().Body(renderMarks(m.Children, me)...))
		case MarkStrong:
			out = append(out, app.Strong().Body(renderMarks(m.Children, me)...))
		case MarkCode:
			out = append(out, app.Code().Class("md-code").Text(m.Text))
		case MarkPre:
			out = append(out, app.Pre().Class("md-pre").Body(app.Code().Text(m.Text)))
		case MarkQuote:
			out = append(out, app.Blockquote().Class("md-quote").Body(renderMarks(m.Children, me)...))
		case MarkLink:
			out = append(out, app.A().Href(m.URL).Target("_blank").Rel("noopener noreferrer").Class("link").Text(m.Text))
		case MarkMention:
			isMe := me != "" && strings.ToLower(m.Text[1:]) == me
			out = append(out, app.Span().Class("mention", when(isMe, "mention-me")).Text(m.Text))
		}
	}
	return out
}
