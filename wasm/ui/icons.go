package ui

import "github.com/maxence-charriere/go-app/v10/pkg/app"

// Icon paths (24x24, stroked with currentColor). They are constants written
// here, never user input, so rendering them with app.Raw is safe.
var iconPaths = map[string]string{
	"eye":     `<path d="M2.5 12S6 5.5 12 5.5 21.5 12 21.5 12 18 18.5 12 18.5 2.5 12 2.5 12z"/><circle cx="12" cy="12" r="3"/>`,
	"clock":   `<circle cx="12" cy="12" r="9"/><path d="M12 7v5l3 2"/>`,
	"check":   `<path d="M5 12.5l4.5 4.5L19 7.5"/>`,
	"alert":   `<circle cx="12" cy="12" r="9"/><path d="M12 7.5v5.5M12 16.5v.01"/>`,
	"send":    `<path d="M4 12l16-8-6 16-2.5-6.5L4 12z"/><path d="M11.5 13.5L20 4"/>`,
	"back":    `<path d="M15 5l-7 7 7 7"/>`,
	"plus":    `<path d="M12 5v14M5 12h14"/>`,
	"bell":    `<path d="M6 16V11a6 6 0 0112 0v5l1.5 2h-15L6 16z"/><path d="M10 20.5a2 2 0 004 0"/>`,
	"x":       `<path d="M6 6l12 12M18 6L6 18"/>`,
	"users":   `<circle cx="9" cy="8" r="3.5"/><path d="M2.5 19.5c.8-3.4 3.3-5 6.5-5s5.7 1.6 6.5 5"/><path d="M15.5 4.8a3.5 3.5 0 010 6.4M18 14.8c1.8.7 3 2.2 3.5 4.7"/>`,
	"lock":    `<rect x="5" y="11" width="14" height="9.5" rx="2"/><path d="M8 11V8a4 4 0 018 0v3"/>`,
	"refresh": `<path d="M20 12a8 8 0 11-2.3-5.7"/><path d="M20 4v5h-5"/>`,
	"down":    `<path d="M12 5v14M6 13l6 6 6-6"/>`,
	"search":  `<circle cx="11" cy="11" r="6.5"/><path d="M16 16l4.5 4.5"/>`,
	"sending": `<path d="M12 3a9 9 0 109 9"/>`,
	"more":    `<circle cx="5.5" cy="12" r="1.3"/><circle cx="12" cy="12" r="1.3"/><circle cx="18.5" cy="12" r="1.3"/>`,
	"reply":   `<path d="M10 6L4 12l6 6"/><path d="M4 12h10a6 6 0 016 6v1"/>`,
	"smile":   `<circle cx="12" cy="12" r="9"/><path d="M8.5 14.5a4.5 4.5 0 007 0M9 9.5v.01M15 9.5v.01"/>`,
	"sliders": `<path d="M4 7h10M18 7h2M4 17h4M12 17h8"/><circle cx="16" cy="7" r="2"/><circle cx="10" cy="17" r="2"/>`,
}

// icon renders a decorative inline SVG icon; the text next to it (or the
// button's aria-label) carries the meaning for assistive technology.
func icon(name string) app.UI {
	return app.Raw(`<svg class="icon icon-` + name + `" viewBox="0 0 24 24" width="20" height="20" fill="none" ` +
		`stroke="currentColor" stroke-width="1.9" stroke-linecap="round" stroke-linejoin="round" ` +
		`aria-hidden="true" focusable="false">` + iconPaths[name] + `</svg>`)
}

// logo renders the app mark from web/icon.svg. It is decoration beside the
// word "Natter", so it is hidden from assistive technology; an empty alt
// would say the same, but go-app drops empty attributes and an image
// without alt gets its file name read out.
func logo(class string) app.UI {
	return app.Img().Src("/web/icon.svg").Aria("hidden", "true").Class(class).Width(28).Height(28)
}
