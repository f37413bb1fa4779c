/** What the browser code reads at start-up (embedded as JSON in the page). */
export interface IdeSettings {
  /** Where the dev token endpoint is, relative to the page; null when a real identity provider is configured. */
  tokenUrl: string | null;
  /** The demo users the sign-in control offers. */
  demoUsers: string[];
}

/** `<` escaped, so that no value can close the script element it is embedded in. */
const embedJson = (value: unknown) => JSON.stringify(value).replaceAll('<', '\\u003c');

/** The IDE's HTML page, served at GET /graphql to browsers; its assets are relative to it. */
export function idePage(settings: IdeSettings): string {
  return `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>tenantgraph · GraphQL IDE (development)</title>
    <link rel="stylesheet" href="ide/ide.css" />
  </head>
  <body>
    <div id="ide"></div>
    <script type="application/json" id="ide-settings">${embedJson(settings)}</script>
    <script src="ide/ide.js"></script>
  </body>
</html>
`;
}
