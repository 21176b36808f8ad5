package ui

import "github.com/maxence-charriere/go-app/v10/pkg/app"

// InstallButton offers to install Natter as an app when the browser does
// (go-app's page script keeps the beforeinstallprompt event it receives,
// instead of only suppressing the browser's own banner) and disappears
// once it is installed. Apple's browsers have no prompt to show, so it
// stays hidden there.
type InstallButton struct {
	app.Compo
	can bool
}

// OnMount reads whether the browser offers installation now.
func (c *InstallButton) OnMount(ctx app.Context) { c.check(ctx) }

// OnAppInstallChange runs when the offer comes or the app got installed.
func (c *InstallButton) OnAppInstallChange(ctx app.Context) { c.check(ctx) }

func (c *InstallButton) check(ctx app.Context) {
	c.can = ctx.IsAppInstallable() && !ctx.IsAppleBrowser()
}

func (c *InstallButton) install(ctx app.Context, e app.Event) {
	ctx.ShowAppInstallPrompt()
}

// Render draws the button, or an empty placeholder (see ARCHITECTURE.md:
// optional siblings stay present so go-app does not replace their
// neighbours).
func (c *InstallButton) Render() app.UI {
	if !c.can {
		return app.Span().Class("install-slot")
	}
	return app.Button().ID("install-app").Type("button").Class("btn", "btn-secondary", "btn-small", "btn-block").
		OnClick(c.install).Body(icon("down"), app.Span().Text("Install Natter"))
}
